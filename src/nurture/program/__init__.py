"""Program delivery: sites, studies, curriculum versions, cohorts, sessions, attendance, fidelity."""
