"""Assessments: timepoints and windows, item responses, scores, survey links, paper entry."""
