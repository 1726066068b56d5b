"""A survey page save costs a fixed number of queries, whatever the number of answers that
changed and however many times she saves — and safety rules still run on every save."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.capture.models import ItemResponse
from nurture.safety.models import Alert

from .. import factories as f


@pytest.fixture(autouse=True)
def clear_throttle():
    cache.clear()


@pytest.fixture
def survey(world):
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    _, token = capture.issue_link(world.coordinator, assessment)
    return assessment, token


def writes(queries) -> list[str]:
    """The statements of a request; ``[`` and ``]`` mark the save's transaction (a savepoint
    inside the test's own transaction)."""
    marks = {"SAVEPOINT": "[", "RELEASE": "]"}
    return [marks.get(q["sql"].split()[0], q["sql"].split()[0]) for q in queries
            if not q["sql"].startswith("ROLLBACK TO SAVEPOINT")]


def post(client, token, number, data):
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/s/{token}/p/{number}/", data)
    assert response.status_code == 302
    return writes(captured.captured_queries)


# Before the transaction: the link, her saved answers (the save is validated and scored on
# them). Inside, where SQLite's one writer waits: the assessment's state and her saved answers
# read again (unchanged, so the plan stands), the write (insert or one bulk update), the version.
PAGE = ["SELECT", "SELECT", "[", "SELECT", "SELECT", "INSERT", "UPDATE", "]"]
CHANGED = ["SELECT", "SELECT", "[", "SELECT", "SELECT", "UPDATE", "UPDATE", "]"]


def test_a_page_save_costs_the_same_queries_however_many_answers_change(client, survey):
    assessment, token = survey
    gad7 = assessment.instruments.index("gad7") + 1
    assert post(client, token, gad7, {f"item-{k}": v for k, v in f.all_items("gad7", 0).items()}) == PAGE
    assert ItemResponse.objects.filter(assessment=assessment, instrument="gad7").count() == 7
    # all seven answers changed: one UPDATE for the rows, not one per row
    assert post(client, token, gad7, {f"item-{k}": v for k, v in f.all_items("gad7", 1).items()}) == CHANGED
    one_changed = f.all_items("gad7", 1) | {"1": "2"}
    assert post(client, token, gad7, {f"item-{k}": v for k, v in one_changed.items()}) == CHANGED
    # the same answers again (a double tap): nothing is written
    assert post(client, token, gad7, {f"item-{k}": v for k, v in one_changed.items()}) == \
        ["SELECT", "SELECT", "[", "SELECT", "SELECT", "]"]
    assert capture.current_answers(assessment, "gad7") == one_changed
    assert not Alert.objects.exists()  # no rule met by these answers


def test_safety_rules_run_on_every_save_with_one_read_of_earlier_alerts(client, survey):
    assessment, token = survey
    risk = f.keyed_answers("epds", {"10": 3})  # self-harm item at its worst: an urgent alert
    first = post(client, token, 1, {f"item-{k}": v for k, v in risk.items()})
    assert Alert.objects.filter(assessment=assessment, rule="self_harm").count() == 1
    # saved again unchanged: the rules run (one read of her earlier alerts) and raise nothing new
    again = post(client, token, 1, {f"item-{k}": v for k, v in risk.items()})
    # (and her dyad, read under the lock for the alert it might raise)
    assert again == ["SELECT", "SELECT", "[", "SELECT", "SELECT", "SELECT", "SELECT", "]"]
    assert Alert.objects.filter(assessment=assessment, rule="self_harm").count() == 1
    assert len(first) > len(again)  # the first save wrote the alert, its events and messages


def test_a_save_locks_the_assessment_and_the_dyad_together(client, survey):
    """As a withdrawal locks the dyad before it notes her alerts, a save locks the dyad with
    the assessment when it begins (PostgreSQL), so neither waits for the other in turn."""
    from nurture.participants.models import Dyad

    assessment, token = survey
    gad7 = assessment.instruments.index("gad7") + 1
    with CaptureQueriesContext(connection) as captured:
        client.post(f"/s/{token}/p/{gad7}/", {f"item-{k}": v for k, v in f.all_items("gad7", 0).items()})
    sql = [q["sql"] for q in captured.captured_queries]
    first = sql[next(i for i, s in enumerate(sql) if s.startswith("SAVEPOINT")) + 1]
    assert first.startswith("SELECT") and f"JOIN {connection.ops.quote_name(Dyad._meta.db_table)}" in first
    assert first.endswith(" FOR UPDATE") == connection.features.has_select_for_update


@pytest.mark.parametrize("instruments", [["gad7"], ["epds", "gad7", "pss", "kpcs", "rses", "pbq", "ibqr_vsf"]])
def test_the_review_page_reads_her_answers_once_however_many_questionnaires(client, survey, instruments):
    assessment, token = survey
    assessment.instruments = instruments
    assessment.save(update_fields=["instruments"])
    capture.save_answers(assessment, "gad7", f.all_items("gad7", 1))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/s/{token}/review/")
    assert response.status_code == 200
    assert writes(captured.captured_queries) == ["SELECT", "SELECT"]  # the link, then every saved answer
    html = response.content.decode()
    # what she saved is shown under its questionnaire, and the others as not answered yet
    assert html.count("All answered") == 1 and html.count(">0 of ") == len(instruments) - 1
