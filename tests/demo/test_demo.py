import datetime as dt
from collections import Counter

import pytest
from django.db.models import Count

from nurture.capture.models import Assessment, Score
from nurture.demo.build import build_demo
from nurture.participants.models import Dyad, Infant
from nurture.program.enums import DeliveryMode
from nurture.program.models import Attendance, Cohort, Session

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """Build the demo once for this module, inside a transaction rolled back at the end."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        build_demo(today=TODAY)  # the default seed: the demo `make run` shows
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(built, db):
    return None


def test_the_demo_is_shaped_like_the_pilot(demo):
    cohorts = list(Cohort.objects.order_by("start_date").select_related("curriculum"))
    assert [c.curriculum.weeks for c in cohorts] == [12, 12, 12, 8, 8]
    assert Dyad.objects.count() == 60
    enrolled = Dyad.objects.exclude(cohort=None)
    assert enrolled.count() == 34
    completed = Assessment.objects.filter(status="completed").values("dyad").annotate(n=Count("pk"))
    assert completed.filter(n=2).count() == 26
    assert Assessment.objects.filter(timepoint="pre", status="completed").count() == 34
    ages = [d.mother.age_at_referral for d in enrolled.select_related("mother")]
    assert 19 <= min(ages) and max(ages) <= 41
    assert sum(d.mother.primiparous for d in enrolled.select_related("mother")) > 34 / 2
    assert all(i.age_weeks_at_referral < 52 for i in Infant.objects.all())
    statuses = Counter(Dyad.objects.values_list("status", flat=True))
    assert statuses["withdrawn"] >= 3 and statuses["ineligible"] >= 5
    assert all(d.end_reason for d in Dyad.objects.filter(status__in=["withdrawn", "lost"]))


def test_only_the_8_week_cohorts_have_online_sessions_and_the_last_cohort_meets_today(demo):
    online = Session.objects.filter(mode=DeliveryMode.ONLINE)
    assert {s.cohort.curriculum.weeks for s in online} == {8}
    assert Session.objects.filter(date=TODAY, cohort__name="Cohort 5").count() == 3
    assert not Attendance.objects.filter(session__date__gt=TODAY).exists()


def test_online_weeks_have_lower_attendance(demo):
    rows = Attendance.objects.filter(session__cohort__curriculum__weeks=8).select_related("session")
    rate = {mode: [] for mode in DeliveryMode}
    for row in rows:
        rate[row.session.mode].append(row.status == "present")
    assert sum(rate["online"]) / len(rate["online"]) < sum(rate["in_person"]) / len(rate["in_person"])


def test_the_same_seed_gives_the_same_study(db):
    build_demo(seed=3, today=TODAY)
    first = list(Dyad.objects.order_by("code").values_list("code", "status", "referred_on"))
    build_demo(seed=3, today=TODAY)
    assert list(Dyad.objects.order_by("code").values_list("code", "status", "referred_on")) == first


def test_demo_scores_show_the_pilot_pattern(demo):
    def mean_change(instrument):
        scores = Score.objects.current().filter(instrument=instrument, scale="total", score__isnull=False)
        by_dyad = {}
        for s in scores.select_related("assessment"):
            by_dyad.setdefault(s.assessment.dyad_id, {})[s.assessment.timepoint] = s.score
        diffs = [v["post"] - v["pre"] for v in by_dyad.values() if "pre" in v and "post" in v]
        return sum(diffs) / len(diffs)

    assert mean_change("pss") < -3 and mean_change("gad7") < -1.5
    assert abs(mean_change("pbq")) < abs(mean_change("pss"))


def test_demo_has_a_few_open_alerts_and_acknowledged_ones(demo):
    from nurture.safety.models import Alert

    assert 1 <= Alert.objects.open().count() <= 8
    assert Alert.objects.filter(acknowledged_at__isnull=False).exists()


@pytest.fixture(scope="module")
def demo_results(built, django_db_blocker):
    """The demo's feasibility as the researcher sees it: a de-identified bundle at the data date (once per module)."""
    from nurture.analysis.bundle import load_bundle_files
    from nurture.analysis.feasibility import feasibility
    from nurture.exports.bundle import collect, render
    from nurture.program.models import Study

    with django_db_blocker.unblock():
        study = Study.objects.get(slug="nurturing-connections-demo")
        bundle = load_bundle_files(render(collect(None, study, deidentified=True, today=TODAY)), "demo")
    result = feasibility(bundle)
    result.pop("_table")
    return {"feasibility": result, "manifest": bundle.manifest}


def test_demo_retention_counts_only_dyads_due(demo_results):
    f = demo_results["feasibility"]
    retention = f["rates"]["retention"]
    # Cohort 5 (6 dyads) is still running: 26 of the 28 dyads due, not 26 of 34 enrolled.
    assert (retention["successes"], retention["n"]) == (26, 28)
    assert f["rates"]["retention_among_enrolled"]["n"] == 34
    assert f["flow"]["consort"]["follow_up"] == {
        "due": 28, "not_yet_due": 6, "completed": 26,
        "missing": {"n": 2, "by_status": {"lost": 2},
                    "reasons": [{"code": "no_contact", "label": "Could not be contacted", "n": 2}]}}
    from nurture.analysis.progression import assess, load_criteria

    criterion = next(c for c in load_criteria() if c["id"] == "retention")
    zone = assess(criterion, retention["estimate"], retention["ci95"])
    assert zone["zone"] == "green" and zone["interval_zones"] == ["amber", "green"]


def test_demo_attendance_counts_only_sessions_held(demo_results):
    a = demo_results["feasibility"]["attendance"]
    # 156 sessions are planned; 144 were held by the data date (cohort 5 has met 4 of its 8 weeks).
    assert (a["sessions_held"], a["sessions_planned"]) == (144, 156)
    assert a["overall"]["n_dyads"] == 34
    assert round(a["overall"]["mean"], 4) == 0.6797
    assert round(a["by_mode"]["online"]["mean"], 4) == 0.6667
    assert round(a["by_curriculum"]["8 weeks"]["mean"], 4) == 0.7628
    assert round(a["by_curriculum"]["12 weeks"]["mean"], 4) == 0.6283


def test_demo_flow_keeps_categorical_reasons_in_the_de_identified_bundle(demo_results):
    c = demo_results["feasibility"]["flow"]["consort"]
    assert (c["referred"], c["assessed"], c["enrolled"], c["received"], c["analysed"]) == (60, 60, 34, 34, 26)
    assert c["excluded"]["ineligible"]["n"] == 12 and c["excluded"]["declined"]["n"] == 14
    assert {r["code"] for r in c["excluded"]["declined"]["reasons"]} <= {"schedule", "work_or_school", "transport",
                                                                          "family"}
    assert c["discontinued"]["withdrew"]["reasons"] == [{"code": "moved", "label": "Moved away", "n": 1},
                                                        {"code": "work_or_school",
                                                         "label": "Returned to work or school", "n": 1}]
    assert demo_results["manifest"]["primary_measures"] == ["epds:total", "pss:total"]


def test_the_demo_has_coded_observations_and_themes_with_work_left_for_each_coder(demo):
    from django.contrib.auth.models import User

    from nurture.coding import domain as coding
    from nurture.coding.models import Assignment, Recording, Segment
    from nurture.program.models import Study

    assert Recording.objects.count() == 24
    assert set(Recording.objects.values_list("timepoint", flat=True)) == {"pre", "post"}
    assert Recording.objects.filter(resolution="needs_consensus").count() == 1
    assert Segment.objects.filter(source="transcript").count() == 9
    for name in ("coder", "coder2"):
        open_work = Assignment.objects.open().filter(coder__username=name)
        assert open_work.filter(recording__isnull=False).exists() and open_work.filter(segment__isnull=False).exists()
    result = coding.reliability(User.objects.get(username="coordinator"), Study.objects.get())
    assert [s["n"] for s in result["scales"]] == [6, 6, 6, 6]
    assert all(s["icc"] is not None for s in result["scales"])
    assert result["codes"]["n"] >= 10
    # open answers and transcript turns carry no demo name
    names = set(User.objects.values_list("first_name", flat=True)) - {""}
    assert not [t for t in Segment.objects.values_list("text", flat=True) if any(n in t for n in names)]
