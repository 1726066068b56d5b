"""Every safety rule fires on every path an answer can take into the database: the
mother's survey, a paper form's first and second entry, a staff correction — and a
"total ≥ k" rule fires on partial answers that already reach k."""

import datetime as dt

import pytest

from nurture.capture import domain as capture
from nurture.capture.enums import Entry, Timepoint
from nurture.capture.models import StudySettings
from nurture.instruments import library, score
from nurture.safety.models import Alert

from .. import factories as f

NOW = dt.datetime(2026, 1, 2, 15, 0, tzinfo=dt.UTC)

# rule: (instrument, keyed answers just below the rule, the one item change that crosses it)
RULES = {
    "epds.self_harm": ("epds", {}, ("10", 1)),
    "epds.probable_depression": ("epds", {"1": 2, "2": 2, "3": 2, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1,
                                          "9": 1}, ("1", 3)),
    "gad7.severe_anxiety": ("gad7", {"1": 3, "2": 3, "3": 3, "4": 3, "5": 2}, ("6", 1)),
    "phq9.self_harm": ("phq9", {}, ("9", 1)),
    "pbq.incipient_abuse": ("pbq", {}, ("24", 2)),
}
PATHS = ["survey", "paper_first", "paper_second", "correction"]


@pytest.fixture
def battery(world):
    StudySettings.objects.create(study=world.study, battery={"pre": ["epds", "gad7", "phq9", "pbq"]})
    return capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)


def _value(instrument_id, item_id, keyed):
    item = library().get(instrument_id).item(item_id)
    return str(next(v for v in item.values if item.keyed(v) == keyed))


def _deliver(world, assessment, instrument_id, safe, risky, path):
    """Put the risky answer in through one path; the safe answers are already there where a path needs them."""
    if path == "survey":
        return capture.save_answers(assessment, instrument_id, risky, now=NOW)
    if path == "paper_first":
        return capture.enter_paper_form(world.coordinator, assessment, instrument_id, risky, now=NOW)
    if path == "paper_second":
        capture.enter_paper_form(world.coordinator, assessment, instrument_id, safe, now=NOW)
        assert not Alert.objects.exclude(rule="safety_item_unanswered").exists()
        return capture.enter_paper_form(world.admin, assessment, instrument_id, risky, entry=Entry.SECOND, now=NOW)
    capture.save_answers(assessment, instrument_id, safe, now=NOW)
    changed = next(k for k in risky if risky[k] != safe[k])
    assessment.refresh_from_db()
    return capture.correct_response(world.coordinator, assessment, instrument_id, changed, risky[changed],
                                    reason="Checked against the paper form", expected_version=assessment.version,
                                    now=NOW)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("rule", RULES)
def test_each_rule_fires_on_each_path(world, battery, rule, path):
    instrument_id, below, (item_id, keyed) = RULES[rule]
    safe = f.keyed_answers(instrument_id, below)
    risky = safe | {item_id: _value(instrument_id, item_id, keyed)}

    result = _deliver(world, battery, instrument_id, safe, risky, path)

    alert = Alert.objects.get(rule=rule.split(".")[1])
    assert (alert.instrument, alert.path, alert.status) == (instrument_id, path, "open")
    assert result.alerts == [alert]
    assert alert.notifications.exists() or alert.events.filter(kind="nobody").exists()


@pytest.mark.parametrize("rule", RULES)
def test_answers_just_below_a_rule_raise_nothing(world, battery, rule):
    instrument_id, below, _ = RULES[rule]
    result = capture.save_answers(battery, instrument_id, f.keyed_answers(instrument_id, below), now=NOW)
    assert (result.alerts, result.urgent) == ([], False)
    assert not Alert.objects.exists()


def test_the_final_send_adds_the_unanswered_safety_item_and_keeps_one_alert_per_rule(world, battery):
    answers = f.keyed_answers("epds", {"10": 2})
    capture.save_answers(battery, "epds", answers, now=NOW)
    phq9 = f.keyed_answers("phq9")
    del phq9["9"]
    capture.save_answers(battery, "phq9", phq9, now=NOW)
    assert sorted(Alert.objects.values_list("rule", flat=True)) == ["self_harm"]
    capture.submit_assessment(battery, now=NOW)
    assert sorted(Alert.objects.values_list("instrument", "rule", "path")) == [
        ("epds", "self_harm", "survey"), ("phq9", "safety_item_unanswered", "submission")]


def test_a_risk_answer_in_the_second_entry_alerts_before_anyone_reconciles(world, battery):
    never = f.keyed_answers("epds")
    capture.enter_paper_form(world.coordinator, battery, "epds", never, now=NOW)
    result = capture.enter_paper_form(world.admin, battery, "epds", never | {"10": _value("epds", "10", 3)},
                                      entry=Entry.SECOND, now=NOW)
    assert result.urgent
    alert = Alert.objects.get()
    assert (alert.rule, alert.path, alert.triggering["observed"]) == ("self_harm", "paper_second", 3.0)
    # Reconciling the first entry to the paper form adds nothing new.
    battery.refresh_from_db()
    capture.correct_response(world.coordinator, battery, "epds", "10", _value("epds", "10", 3),
                             reason="Second entry matches the paper", expected_version=battery.version, now=NOW)
    assert Alert.objects.count() == 1


# --------------------------------------------------------------------------- partial answers


def test_pbq_risk_of_abuse_fires_with_one_item_at_its_maximum_and_the_other_blank(world, battery):
    answers = f.keyed_answers("pbq", {"24": 5})
    del answers["18"]
    result = score(library().get("pbq"), answers)
    assert result["incipient_abuse"].score is None  # too many missing to score the subscale
    [flag] = [fl for fl in result.flags if fl.rule == "incipient_abuse"]
    assert (flag.observed, flag.partial, flag.topic) == (5.0, True, "infant_safety")

    capture.save_answers(battery, "pbq", answers, now=NOW)
    alert = Alert.objects.get(rule="incipient_abuse")
    assert alert.triggering["partial"] is True and alert.topic == "infant_safety"


def test_epds_with_three_blanks_alerts_when_the_answered_items_already_reach_13(world, battery):
    answers = f.keyed_answers("epds", {"1": 3, "2": 3, "3": 3, "4": 3, "5": 3, "6": 3})  # 18 from six items
    for item in ("7", "8", "9"):
        del answers[item]
    result = score(library().get("epds"), answers)
    assert result["total"].score is None
    assert [(fl.rule, fl.observed, fl.partial) for fl in result.flags] == [("probable_depression", 18.0, True)]
    capture.save_answers(battery, "epds", answers, now=NOW)
    assert Alert.objects.get().rule == "probable_depression"
