"""Participant survey pages: private link, no login, mobile-first, work without JavaScript."""
