"""Eligibility criteria for Nurturing Connections, as asked at screening.

Each criterion is phrased so that ``True`` means the family meets it. A dyad is
eligible when every criterion is met.
"""

CRITERIA: dict[str, str] = {
    "mother_adult": "Mother is 18 or older",
    "infant_under_12_months": "Infant is under 12 months at the start of the cohort",
    "elevated_risk": "Elevated perinatal risk (mood or anxiety symptoms, or psychosocial stressors)",
    "can_attend": "Can attend weekly group sessions for the length of the curriculum",
    "language": "Mother takes part comfortably in English or Spanish",
    "no_acute_crisis": "No acute crisis needing a higher level of care first (e.g. psychosis, active suicidal intent)",
}


def unmet(criteria: dict[str, bool]) -> list[str]:
    """Labels of the criteria that are not met; raises ValueError on unknown or missing keys."""
    unknown = sorted(set(criteria) - set(CRITERIA))
    if unknown:
        raise ValueError(f"Unknown eligibility criteria: {', '.join(unknown)}")
    missing = sorted(set(CRITERIA) - set(criteria))
    if missing:
        raise ValueError(f"Screening must answer every criterion; missing: {', '.join(missing)}")
    return [CRITERIA[key] for key, met in criteria.items() if not met]
