"""Shared set-up of the in-process survey benchmarks: a throwaway SQLite study.

``survey_links(n, prefix, instruments=None)`` points Nurture at a new temporary var folder
(SQLite in WAL, as `nurture serve` uses it), starts Django, migrates, and enrols ``n``
mothers in one cohort of one site, each with an assessment and a survey link: the pre-
program battery, or the given instruments on a screening assessment. Returns the
(assessment, token) pairs.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path


def survey_links(n: int, prefix: str, instruments: list[str] | None = None) -> list[tuple[object, str]]:
    os.environ.pop("NURTURE_DATABASE_URL", None)
    os.environ["NURTURE_VAR_DIR"] = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, os.environ["NURTURE_VAR_DIR"], ignore_errors=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "nurture.settings"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command
    from tests import factories as f

    from nurture.capture import domain as capture
    from nurture.capture.enums import Timepoint
    from nurture.capture.models import Assessment

    call_command("migrate", verbosity=0)
    site = f.make_site("a")
    study = f.make_study(site)
    cohort = f.make_cohort(study, site)
    links = []
    for i in range(n):
        dyad = f.make_enrolled(study, site, cohort, first_name="Bench", last_name=str(i))
        assessment = capture.schedule_assessment(None, dyad, Timepoint.SCREENING if instruments else Timepoint.PRE)
        if instruments:
            Assessment.objects.filter(pk=assessment.pk).update(instruments=instruments)
            assessment.refresh_from_db()
        links.append((assessment, capture.issue_link(None, assessment)[1]))
    return links
