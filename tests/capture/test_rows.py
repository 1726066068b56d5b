"""Every survey request finds its link, with its assessment, in one written-out SELECT
(``capture/rows.py``). What it loads must be what the ORM loads, value for value and type
for type, on SQLite and on PostgreSQL alike; a revoked, expired or closed link must still
be refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nurture.capture import domain as capture
from nurture.capture import rows
from nurture.capture.enums import AssessmentStatus
from nurture.capture.models import Assessment, SurveyLink


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


@pytest.fixture
def link_and_token(world):
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, capture.Timepoint.PRE)
    capture.save_answers(assessment, "gad7", {"1": "2"})  # started: a datetime and a new version
    link, token = capture.issue_link(world.coordinator, assessment)
    SurveyLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
    Assessment.objects.filter(pk=assessment.pk).update(out_of_window=True)
    return link, token


def test_the_link_and_its_assessment_are_the_orms_to_the_type(link_and_token):
    _, token = link_and_token
    with CaptureQueriesContext(connection) as queries:
        link = capture.resolve_token(token)
        assessment = link.assessment  # loaded with the link: no second query
    assert len(queries) == 1
    orm = SurveyLink.objects.select_related("assessment").get(pk=link.pk)
    for ours, theirs in ((link, orm), (assessment, orm.assessment)):
        mine, expected = _fields(ours), _fields(theirs)
        assert mine == expected
        assert {k: type(v) for k, v in mine.items()} == {k: type(v) for k, v in expected.items()}
        assert not ours._state.adding and ours._state.db == theirs._state.db
    assert isinstance(assessment.instruments, list) and assessment.instruments[0] == "epds"
    assert assessment.started_at.tzinfo is not None and assessment.out_of_window is True
    assert link.last_used_at.tzinfo is not None and assessment.version == orm.assessment.version >= 1
    # an instance the ORM can save and reload as it was
    assessment.language = "es"
    assessment.save(update_fields=["language"])
    assert Assessment.objects.get(pk=assessment.pk).language == "es"


def test_a_link_that_cannot_be_used_is_still_refused(link_and_token):
    link, token = link_and_token
    with pytest.raises(capture.InvalidLink, match="unknown"):
        capture.resolve_token(token + "x")
    assert rows.link_by_hash(SurveyLink.hash_token("nothing")) is None
    SurveyLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(capture.InvalidLink, match="expired"):
        capture.resolve_token(token)
    SurveyLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() + dt.timedelta(days=1))
    Assessment.objects.filter(pk=link.assessment_id).update(status=AssessmentStatus.MISSED)
    with pytest.raises(capture.InvalidLink, match="closed"):
        capture.resolve_token(token)
    SurveyLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    with pytest.raises(capture.InvalidLink, match="revoked"):
        capture.resolve_token(token)


def test_her_answers_are_read_by_instrument_and_entry(link_and_token):
    link, _ = link_and_token
    capture.save_answers(link.assessment, "epds", {"1": "1", "2": "0"})
    assert capture.current_answers(link.assessment, "epds") == {"1": "1", "2": "0"}
    assert capture.current_answers(link.assessment, "gad7") == {"1": "2"}
    assert capture.current_answers(link.assessment, "pss") == {}
    assert capture.current_answers(link.assessment, "epds", capture.Entry.SECOND) == {}
