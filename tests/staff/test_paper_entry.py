"""A paper questionnaire from first entry to a submitted, scored assessment: the
checking entry, the side-by-side reconciliation, and safety alerts on every step."""

import pytest

from nurture.capture import domain as capture
from nurture.capture.enums import Entry, Timepoint
from nurture.capture.models import Assessment, ItemResponse, ResponseRevision, StudySettings
from nurture.common.errors import DomainError
from nurture.instruments import library
from nurture.safety.models import Alert

from .. import factories as f


@pytest.fixture
def paper(world):
    StudySettings.objects.create(study=world.study, battery={"pre": ["epds", "gad7"]})
    return capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)


def _value(instrument_id, item_id, keyed):
    item = library().get(instrument_id).item(item_id)
    return str(next(v for v in item.values if item.keyed(v) == keyed))


def _post_entry(client, assessment, instrument_id, answers, entry=1, **extra):
    assessment.refresh_from_db()
    data = {"version": assessment.version} | {f"item-{k}": v for k, v in answers.items()} | extra
    return client.post(f"/assessments/{assessment.pk}/paper/{instrument_id}/{entry}/", data)


def test_a_paper_form_is_entered_questionnaire_by_questionnaire_then_submitted_with_scores(world, client_for, paper):
    client = client_for(world.coordinator)
    html = client.get(f"/assessments/{paper.pk}/").content.decode()
    assert "0 of 2 questionnaires entered" in html and "Submit: compute scores" not in html
    response = _post_entry(client, paper, "epds", f.keyed_answers("epds", default=1), next="1")
    assert response.status_code == 302 and response.url == f"/assessments/{paper.pk}/paper/gad7/1/"
    response = _post_entry(client, paper, "gad7", f.keyed_answers("gad7", default=2))
    assert response.url == f"/assessments/{paper.pk}/"
    html = client.get(response.url).content.decode()
    assert "2 of 2 questionnaires entered" in html and "Submit: compute scores" in html
    paper.refresh_from_db()
    assert (paper.status, paper.source) == ("in_progress", "paper")

    response = client.post(f"/assessments/{paper.pk}/submit/", follow=True)
    paper.refresh_from_db()
    assert paper.status == "completed" and paper.entered_by == world.coordinator
    totals = dict(paper.scores.current().filter(scale="total").values_list("instrument", "score"))
    assert totals == {"epds": 10.0, "gad7": 14.0}
    html = response.content.decode()
    assert "submitted: scores computed and safety rules run" in html
    assert "Submit: compute scores" not in html  # nothing left to submit


def test_a_risk_answer_on_paper_alerts_at_once_in_an_alert_styled_message(world, client_for, paper):
    client = client_for(world.coordinator)
    response = _post_entry(client, paper, "epds", f.keyed_answers("epds", {"10": 2}))
    alert = Alert.objects.get(rule="self_harm")
    assert alert.path == "paper_first"
    html = client.get(response.url).content.decode()
    message = html.split('<li class="safety" role="alert">')[1].split("</li>")[0]
    assert "1 safety alert raised by these answers" in message
    assert f'href="/alerts/{alert.pk}/"' in message and "Thoughts of self-harm" in message


def test_the_checking_entry_alerts_before_reconciliation_and_blocks_submission_until_reconciled(
        world, client_for, paper):
    never = f.keyed_answers("epds")
    _post_entry(client_for(world.coordinator), paper, "epds", never)
    _post_entry(client_for(world.coordinator), paper, "gad7", f.keyed_answers("gad7"))
    client = client_for(world.admin)
    risky = never | {"10": _value("epds", "10", 3)}
    response = _post_entry(client, paper, "epds", risky, entry=2)
    assert response.status_code == 302
    alert = Alert.objects.get(rule="self_harm")  # before anyone reconciles
    assert alert.path == "paper_second"
    html = client.get(f"/assessments/{paper.pk}/").content.decode()
    assert 'class="safety" role="alert"' in html
    assert "differs from the first in 1 answer" in html and "Reconcile 1 difference" in html
    assert "Submit: compute scores" not in html
    response = client.post(f"/assessments/{paper.pk}/submit/", follow=True)
    assert "still differ: reconcile them, then submit" in response.content.decode()
    paper.refresh_from_db()
    assert paper.status == "in_progress" and not paper.scores.exists()

    # Side by side, in words, the value on the paper chosen for each difference.
    page = client.get(f"/assessments/{paper.pk}/reconcile/epds/").content.decode()
    first, second = never["10"], risky["10"]
    assert "item 10 · " in page
    label = next(o.label["en"] for o in library().get("epds").item("10").options if str(o.value) == second)
    assert f"{second} · {label}" in page
    paper.refresh_from_db()
    response = client.post(f"/assessments/{paper.pk}/reconcile/epds/", {"version": paper.version,
                                                                         "item-10": "second"})
    assert response.status_code == 302
    row = ItemResponse.objects.get(assessment=paper, instrument="epds", item="10", entry=Entry.FIRST)
    assert row.value == second
    revision = ResponseRevision.objects.get(response=row)
    assert (revision.old_value, revision.new_value, revision.by) == (first, second, world.admin)
    assert capture.compare_entries(paper, "epds") == []
    assert Alert.objects.filter(rule="self_harm").count() == 1  # the same risk: no second alert

    client.post(f"/assessments/{paper.pk}/submit/")
    paper.refresh_from_db()
    assert paper.status == "completed"
    assert paper.scores.current().get(instrument="epds", scale="total").score == 3.0


def test_reconciling_keeps_the_choices_and_says_what_is_missing(world, client_for, paper):
    answers = f.keyed_answers("gad7", default=1)
    capture.enter_paper_form(world.coordinator, paper, "gad7", answers)
    capture.enter_paper_form(world.admin, paper, "gad7", answers | {"1": "3", "2": "0"}, entry=Entry.SECOND)
    client = client_for(world.coordinator)
    paper.refresh_from_db()
    response = client.post(f"/assessments/{paper.pk}/reconcile/gad7/", {"version": paper.version,
                                                                         "item-1": "second"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose the value on the paper form for item 2" in html
    assert 'name="item-1" value="second" aria-describedby="item-label-1" checked' in html
    assert ItemResponse.objects.get(assessment=paper, instrument="gad7", item="1", entry=Entry.FIRST).value == "1"
    # Someone changed the assessment meanwhile: refused, nothing written.
    response = client.post(f"/assessments/{paper.pk}/reconcile/gad7/", {
        "version": paper.version - 1, "item-1": "second", "item-2": "first"})
    assert response.status_code == 400 and "Someone else changed this assessment" in response.content.decode()
    response = client.post(f"/assessments/{paper.pk}/reconcile/gad7/", {
        "version": paper.version, "item-1": "second", "item-2": "first"})
    assert response.status_code == 302
    assert capture.current_answers(paper, "gad7") == answers | {"1": "3"}
    assert capture.current_answers(paper, "gad7", Entry.SECOND) == answers | {"1": "3"}


def test_reconciling_a_submitted_assessment_rescores_it_and_runs_the_rules(world, paper):
    safe = f.keyed_answers("epds")
    capture.enter_paper_form(world.coordinator, paper, "epds", safe)
    capture.submit_assessment(paper, by=world.coordinator)
    capture.enter_paper_form(world.admin, paper, "epds", safe | {"1": _value("epds", "1", 3)}, entry=Entry.SECOND)
    paper.refresh_from_db()
    result = capture.reconcile_entries(world.admin, paper, "epds", {"1": _value("epds", "1", 3)},
                                       expected_version=paper.version)
    assert result.alerts == []
    assert paper.scores.current().get(instrument="epds", scale="total").score == 3.0
    assert paper.scores.filter(instrument="epds", scale="total", superseded_at__isnull=False).get().score == 0.0


def test_reconciliation_accepts_only_one_of_the_two_entered_values(world, paper):
    capture.enter_paper_form(world.coordinator, paper, "gad7", {"1": "1"})
    capture.enter_paper_form(world.admin, paper, "gad7", {"1": "2"}, entry=Entry.SECOND)
    paper.refresh_from_db()
    with pytest.raises(DomainError, match="choose one of the two entered values"):
        capture.reconcile_entries(world.admin, paper, "gad7", {"1": "3"}, expected_version=paper.version)
    with pytest.raises(DomainError, match="choose one of the two entered values"):
        capture.reconcile_entries(world.admin, paper, "gad7", {"1": "1", "2": "1"}, expected_version=paper.version)
    assert capture.current_answers(paper, "gad7") == {"1": "1"}


@pytest.mark.parametrize("persona", ["facilitator", "researcher"])
def test_only_those_who_manage_participants_submit_or_reconcile(world, client_for, paper, persona):
    capture.enter_paper_form(world.coordinator, paper, "gad7", {"1": "1"})
    capture.enter_paper_form(world.admin, paper, "gad7", {"1": "2"}, entry=Entry.SECOND)
    client = client_for(getattr(world, persona))
    html = client.get(f"/assessments/{paper.pk}/").content.decode()
    assert "/reconcile/" not in html and "/submit/" not in html and "/paper/" not in html
    assert client.post(f"/assessments/{paper.pk}/submit/").status_code == 403
    assert client.post(f"/assessments/{paper.pk}/reconcile/gad7/", {"version": 0, "item-1": "second"}
                       ).status_code == 403
    assert Assessment.objects.get(pk=paper.pk).status == "in_progress"
    assert capture.current_answers(paper, "gad7") == {"1": "1"}
