"""Harms and safety alerts from alerts.csv: by rule and severity, dyads with an urgent alert, response times."""

import pytest

from nurture.analysis.bundle import BundleError
from nurture.analysis.results import analyse
from nurture.instruments import library
from nurture.reports.catalogue import build_catalogue, rule_labels

from .test_flow import ATTENDANCE, PEOPLE, SCORES, SESSIONS, make

ALERTS = """\
    participant_id,instrument,rule,severity,timepoint,raised_on,status,minutes_to_acknowledgement,minutes_to_close,outcome
    A,epds,self_harm,urgent,pre,-3,closed,20,200,safety_plan
    A,epds,probable_depression,follow_up,pre,-3,closed,300,1500,contacted_mother
    C,epds,self_harm,urgent,pre,-2,closed,90,400,referred
    B,epds,self_harm,urgent,post,80,acknowledged,35,,
    D,gad7,severe_anxiety,follow_up,pre,-1,open,,,
    """


@pytest.fixture
def results():
    bundle = make({"participants.csv": PEOPLE, "scores.csv": SCORES, "sessions.csv": SESSIONS,
                   "attendance.csv": ATTENDANCE, "alerts.csv": ALERTS},
                  {"escalation_minutes": 60, "alert_outcome_labels": {"safety_plan": "Safety plan made"}})
    return analyse(bundle, build_catalogue(library()), n_boot=0, rule_labels=rule_labels(library()))


def test_dyads_with_an_urgent_alert_among_those_assessed(results):
    h = results["harms"]
    assert h["n_alerts"] == 5 and h["dyads_assessed"] == 5
    assert (h["dyads_with_urgent"]["successes"], h["dyads_with_urgent"]["n"]) == (3, 5)
    assert (h["dyads_with_alert"]["successes"], h["dyads_with_alert"]["n"]) == (4, 5)
    assert h["by_severity"] == {"urgent": {"alerts": 3, "dyads": 3}, "follow_up": {"alerts": 2, "dyads": 2}}
    assert h["by_timepoint"]["post"] == {"alerts": 1, "dyads": 1, "urgent_dyads": 1}


def test_alerts_by_rule_carry_the_rules_own_words(results):
    first = results["harms"]["by_rule"][0]
    assert (first["instrument"], first["rule"], first["alerts"], first["dyads"]) == ("epds", "self_harm", 3, 3)
    assert first["by_timepoint"] == {"pre": 2, "post": 1}
    assert first["label"] == "EPDS item 10 indicates thoughts of self-harm"
    assert [r["severity"] for r in results["harms"]["by_rule"]] == ["urgent", "follow_up", "follow_up"]


def test_time_to_acknowledgement_against_the_target(results):
    urgent = results["harms"]["acknowledgement"]["urgent"]
    # R: quantile(c(20, 90, 35)) -> 27.5, 35, 62.5 (type 7)
    assert (urgent["median"], urgent["q1"], urgent["q3"], urgent["max"]) == (35, 27.5, 62.5, 90)
    assert (urgent["within_target"]["successes"], urgent["within_target"]["n"]) == (2, 3)
    follow_up = results["harms"]["acknowledgement"]["follow_up"]
    assert follow_up["open"] == 1 and follow_up["within_target"] is None  # the target is for urgent alerts
    assert results["harms"]["closing"]["urgent"]["not_closed"] == 1
    assert results["harms"]["target_minutes"] == [60]


def test_outcomes_and_the_safety_criterion(results):
    outcomes = {o["code"]: (o["label"], o["n"]) for o in results["harms"]["outcomes"]}
    assert outcomes == {"safety_plan": ("Safety plan made", 1), "contacted_mother": ("Contacted mother", 1),
                        "referred": ("Referred", 1)}
    safety = next(c for c in results["feasibility"]["progression"] if c["id"] == "safety")
    assert (safety["estimate"], safety["n"]) == (pytest.approx(2 / 3), 3)
    # Wilson 2/3: [0.21, 0.94] — below green (95%) even at its upper limit
    assert safety["zone"] == "red" and safety["interval_zones"] == ["red", "amber"]


def test_without_alerts_file_harms_are_null_with_a_warning():
    bundle = make({"participants.csv": PEOPLE, "scores.csv": SCORES})
    results = analyse(bundle, build_catalogue(library()), n_boot=0)
    assert results["harms"] is None
    assert "No alerts.csv: harms are not reported." in results["warnings"]


def test_an_alert_for_an_unknown_dyad_or_with_a_bad_severity_is_refused():
    bad = ALERTS.replace("D,gad7", "Z,gad7")
    with pytest.raises(BundleError, match="alerts.csv, row 6, column participant_id: 'Z' is not in participants.csv"):
        make({"participants.csv": PEOPLE, "alerts.csv": bad})
    with pytest.raises(BundleError, match="alerts.csv, row 2, column severity: 'high' is not one of urgent, "
                                          "follow_up"):
        make({"participants.csv": PEOPLE, "alerts.csv": ALERTS.replace("self_harm,urgent,pre,-3", "self_harm,high,pre,-3")})


def test_alerts_closed_as_entry_errors_are_not_counted_and_targets_are_per_site():
    alerts = """\
        participant_id,instrument,rule,severity,timepoint,status,minutes_to_acknowledgement,outcome,raised_again,target_minutes
        A,epds,self_harm,urgent,pre,closed,20,entry_error,false,30
        B,epds,self_harm,urgent,pre,closed,45,safety_plan,false,30
        C,epds,self_harm,urgent,pre,closed,45,referred,false,60
        C,epds,self_harm,urgent,post,closed,10,referred,true,60
        """
    bundle = make({"participants.csv": PEOPLE, "scores.csv": SCORES, "alerts.csv": alerts})
    h = analyse(bundle, build_catalogue(library()), n_boot=0)["harms"]
    assert (h["n_alerts"], h["entry_errors"], h["raised_again"]) == (3, 1, 1)
    assert h["dyads_with_urgent"]["successes"] == 2
    # B waited 45 minutes against a 30-minute target; C's site allows 60.
    assert h["acknowledgement"]["urgent"]["within_target"]["successes"] == 2
    assert h["target_minutes"] == [30.0, 60.0]
