"""The denominators: retention among dyads due, attendance over sessions held, CONSORT boxes with codes."""

import hashlib
import json
import textwrap

import pytest

from nurture.analysis.bundle import load_bundle_files
from nurture.analysis.feasibility import feasibility
from nurture.analysis.flow import flow


def make(files: dict[str, str], manifest: dict | None = None):
    raw = {name: textwrap.dedent(text).strip().encode() + b"\n" for name, text in files.items()}
    if manifest is not None:
        # A manifest lists every file's digest (a manifest without them is refused).
        files = {name: {"sha256": hashlib.sha256(body).hexdigest()} for name, body in raw.items()}
        raw["manifest.json"] = json.dumps({"files": files} | manifest).encode()
    return load_bundle_files(raw, "test")


PEOPLE = """\
    participant_id,cohort,status,enrolled_on,reason_code,post_due,first_week
    A,C1,completed,0,,true,1
    B,C1,completed,0,,true,1
    C,C1,lost,0,no_contact,true,1
    D,C2,enrolled,0,,false,1
    E,C2,enrolled,0,,false,2
    F,,ineligible,,elevated_risk;can_attend,,
    G,,ineligible,,can_attend,,
    H,,withdrawn,,schedule,,
    I,,eligible,,,,
    """
SCORES = """\
    participant_id,timepoint,instrument,scale,score
    A,pre,epds,total,12
    A,post,epds,total,8
    B,pre,epds,total,14
    B,post,epds,total,13
    C,pre,epds,total,15
    D,pre,epds,total,11
    E,pre,epds,total,16
    """
SESSIONS = """\
    session_id,cohort,week,component,date,mode,held
    C1-1,C1,1,mother,0,in_person,true
    C1-2,C1,2,mother,7,online,true
    C2-1,C2,1,mother,0,in_person,true
    C2-2,C2,2,mother,7,in_person,true
    C2-3,C2,3,mother,14,in_person,false
    C2-4,C2,4,mother,21,in_person,false
    """
ATTENDANCE = """\
    participant_id,session_id,status
    A,C1-1,present
    A,C1-2,present
    B,C1-1,present
    B,C1-2,absent
    C,C1-1,absent
    C,C1-2,absent
    D,C2-1,present
    D,C2-2,present
    E,C2-2,present
    """
LABELS = {"reason_labels": {"no_contact": "Could not be contacted", "schedule": "Schedule or time commitment"},
          "criteria_labels": {"elevated_risk": "Elevated risk", "can_attend": "Can attend"},
          "data_date": "2024-03-01"}


@pytest.fixture
def small():
    return make({"participants.csv": PEOPLE, "scores.csv": SCORES, "sessions.csv": SESSIONS,
                 "attendance.csv": ATTENDANCE}, LABELS)


def test_retention_counts_only_dyads_whose_post_assessment_is_due(small):
    result = feasibility(small)
    overall = result["flow"]["overall"]
    assert (overall["enrolled"], overall["due"], overall["not_yet_due"], overall["completed_post"]) == (5, 3, 2, 2)
    assert result["rates"]["retention"]["successes"] == 2 and result["rates"]["retention"]["n"] == 3
    # Among all enrolled the cohort still running would count as lost: 2/5.
    assert result["rates"]["retention_among_enrolled"]["n"] == 5
    assert result["flow"]["by_cohort"]["C2"]["retention"]["n"] == 0


def test_a_completed_post_assessment_is_due_whatever_the_window_says():
    people = PEOPLE.replace("B,C1,completed,0,,true,1", "B,C1,completed,0,,false,1")
    bundle = make({"participants.csv": people, "scores.csv": SCORES}, LABELS)
    assert feasibility(bundle)["flow"]["overall"]["due"] == 3


def test_attendance_counts_held_sessions_from_each_dyads_first_week(small):
    att = feasibility(small)["attendance"]
    # D: 2 of 2 held sessions; E joined in week 2: 1 of 1; sessions not yet held are not absences.
    assert att["per_dyad"] == {"A": 1.0, "B": 0.5, "C": 0.0, "D": 1.0, "E": 1.0}
    assert att["sessions_held"] == 4 and att["sessions_planned"] == 6
    assert att["overall"]["mean"] == pytest.approx(0.7)
    assert att["by_mode"]["online"]["mean"] == pytest.approx(1 / 3)


def test_held_sessions_come_from_the_data_date_when_the_bundle_has_calendar_dates():
    sessions = """\
        session_id,cohort,week,component,date,mode
        C1-1,C1,1,mother,2024-02-01,in_person
        C1-2,C1,2,mother,2024-02-08,in_person
        C1-3,C1,3,mother,2024-03-07,in_person
        """
    people = """\
        participant_id,cohort,status,enrolled_on
        A,C1,enrolled,2024-01-20
        B,C1,enrolled,2024-02-05
        """
    attendance = """\
        participant_id,session_id,status
        A,C1-1,present
        B,C1-2,present
        """
    bundle = make({"participants.csv": people, "sessions.csv": sessions, "attendance.csv": attendance},
                  {"data_date": "2024-03-01"})
    warnings = []
    att = feasibility(bundle, warnings)["attendance"]
    # C1-3 (7 March) is after the data date; B enrolled after C1-1, so she was offered C1-2 only.
    assert att["per_dyad"] == {"A": 0.5, "B": 1.0}
    assert not any("held" in w for w in warnings)


def test_a_version_1_bundle_falls_back_with_warnings():
    people = "\n".join(line.rsplit(",", 3)[0] for line in textwrap.dedent(PEOPLE).strip().splitlines())
    sessions = "\n".join(line.rsplit(",", 1)[0] for line in textwrap.dedent(SESSIONS).strip().splitlines())
    bundle = make({"participants.csv": people, "scores.csv": SCORES, "sessions.csv": sessions,
                   "attendance.csv": ATTENDANCE})
    warnings = []
    result = feasibility(bundle, warnings)
    assert result["flow"]["overall"]["due"] == 3  # completed and lost count as due; still enrolled do not
    assert any("post_due" in w for w in warnings)
    assert any("attendance recorded" in w for w in warnings)
    # Without "held", a session counts as held when anyone's attendance was recorded: C2-1 and C2-2.
    assert result["attendance"]["sessions_held"] == 4


def test_consort_boxes_carry_categorical_reasons_with_labels(small):
    c = flow(small)[0]["consort"]
    assert c["excluded"]["n"] == 4
    assert c["excluded"]["ineligible"]["n"] == 2
    # A family may fail several criteria; each is counted.
    assert c["excluded"]["ineligible"]["criteria"] == [{"code": "can_attend", "label": "Can attend", "n": 2},
                                                       {"code": "elevated_risk", "label": "Elevated risk", "n": 1}]
    assert c["excluded"]["declined"]["reasons"] == [{"code": "schedule", "label": "Schedule or time commitment",
                                                     "n": 1}]
    assert c["excluded"]["pending"]["n"] == 1
    assert c["discontinued"]["lost"]["reasons"] == [{"code": "no_contact", "label": "Could not be contacted", "n": 1}]
    assert c["follow_up"] == {"due": 3, "not_yet_due": 2, "completed": 2,
                              "missing": {"n": 1, "by_status": {"lost": 1},
                                          "reasons": [{"code": "no_contact", "label": "Could not be contacted",
                                                       "n": 1}]}}
    assert (c["received"], c["not_received"], c["analysed"]) == (4, 1, 2)


def test_per_cohort_consort_and_data_date(small):
    result, _ = flow(small)
    assert set(result["consort_by_cohort"]) == {"C1", "C2"}
    assert result["consort_by_cohort"]["C2"]["follow_up"]["not_yet_due"] == 2
    assert result["data_date"] == "2024-03-01"


def test_a_malformed_data_date_is_refused():
    from nurture.analysis.bundle import BundleError

    with pytest.raises(BundleError, match="manifest.json: data_date '03/01/2024' is not a date"):
        make({"participants.csv": PEOPLE}, {"data_date": "03/01/2024"})
