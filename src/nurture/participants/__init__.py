"""Mothers, infants, dyads, screening, consent and the enrollment status history."""
