"""Imported answers go through the capture domain: scored, audited, and run through the safety
rules — all in one transaction that keeps nothing when any part fails."""

import datetime as dt

import pytest
from typer.testing import CliRunner

from nurture.accounts.models import AuditEvent
from nurture.capture import domain as capture
from nurture.capture.enums import AssessmentStatus, Source, Timepoint
from nurture.capture.imports import import_answers
from nurture.capture.models import Assessment, ItemResponse, Score
from nurture.cli.main import app
from nurture.common.errors import DomainError
from nurture.safety.models import Alert

from .. import factories as f
from ..exports import redcap_projects as projects

NOW = dt.datetime(2026, 1, 3, 18, tzinfo=dt.UTC)
runner = CliRunner()


def answers(pid, instrument, values, timepoint="pre"):
    return [{"participant_id": pid, "timepoint": timepoint, "instrument": instrument, "item": k, "value": v}
            for k, v in values.items()]


def epds(self_harm_keyed=0, level=1):
    return f.epds_answers(self_harm_keyed=self_harm_keyed, level=level)


@pytest.fixture
def confirmed_project(world, tmp_path):
    """A score-coded EPDS project about our dyads, with its proposed mapping confirmed by a person."""
    dd, records = projects.score_coded_epds(tmp_path / "p", item10={world.dyad1.code: "3", world.dyad2.code: "0"})
    proposal = runner.invoke(app, ["import-redcap", "--dictionary", str(dd), "--records", str(records),
                                   "--write-map", str(tmp_path / "map.yaml"), "-o", str(tmp_path / "unused")])
    assert proposal.exit_code == 2  # the score coding needs a person's confirmation first
    return dd, records, tmp_path / "map.yaml"


def test_a_risk_answer_imported_from_redcap_raises_its_alert(world, confirmed_project):
    dd, records, mapping = confirmed_project
    result = runner.invoke(app, ["import-redcap", "--dictionary", str(dd), "--records", str(records), "--map",
                                 str(mapping), "--into-study", "nc"])
    assert result.exit_code == 0, result.output
    alert = Alert.objects.get()
    assert (alert.dyad, alert.instrument, alert.rule, alert.severity) == (world.dyad1, "epds", "self_harm", "urgent")
    assert alert.path == "import"
    assert "1 safety alert(s) raised" in result.stdout and f"{world.dyad1.code} epds self_harm" in result.stdout
    pre = Assessment.objects.get(dyad=world.dyad1, timepoint=Timepoint.PRE)
    assert (pre.status, pre.source) == (AssessmentStatus.COMPLETED, Source.IMPORT)
    # REDCap stored scores; Nurture stored positions and scored them back to the same total
    assert Score.objects.current().get(assessment=pre, instrument="epds", scale="total").score == 12.0
    assert not Alert.objects.filter(dyad=world.dyad2).exists()
    assert "nothing is stored" not in result.stderr and "the study's alerts for them" in result.stderr


def test_import_is_audited_and_idempotent(world):
    rows = answers(world.dyad1.code, "epds", epds())
    first = import_answers(None, world.study, rows, source_name="records.csv", now=NOW)
    assert (first.assessments_created, first.answers_saved) == (1, 10)
    assert AuditEvent.objects.filter(summary__startswith="Imported 10 answers (epds)").count() == 1
    assert AuditEvent.objects.filter(summary__startswith="Import from records.csv").count() == 1
    again = import_answers(None, world.study, rows, source_name="records.csv", now=NOW)
    assert (again.assessments_unchanged, again.answers_saved) == (1, 0)
    assert ItemResponse.objects.count() == 10


def test_an_import_never_overwrites_answers_already_in_nurture(world):
    pre = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(pre, "epds", epds(level=2), now=NOW)
    capture.submit_assessment(pre, now=NOW)
    with pytest.raises(DomainError, match="epds is already completed in Nurture with other answers"):
        import_answers(None, world.study, answers(world.dyad1.code, "epds", epds()), source_name="r.csv", now=NOW)


def test_one_bad_row_keeps_nothing_at_all(world):
    rows = answers(world.dyad1.code, "epds", epds(self_harm_keyed=3)) + answers("NC-9999", "epds", epds())
    audit_before = AuditEvent.objects.count()
    with pytest.raises(DomainError, match="'NC-9999' is not a dyad of study 'nc'"):
        import_answers(None, world.study, rows, source_name="r.csv", now=NOW)
    assert not Assessment.objects.exists() and not ItemResponse.objects.exists()
    assert not Alert.objects.exists() and AuditEvent.objects.count() == audit_before


def test_a_timepoint_the_study_does_not_use_is_refused(world):
    with pytest.raises(DomainError, match="'month6' is not a timepoint of study 'nc'"):
        import_answers(None, world.study, answers(world.dyad1.code, "epds", epds(), timepoint="month6"),
                       source_name="r.csv", now=NOW)


def test_the_command_refuses_with_one_line_and_keeps_nothing(world, tmp_path):
    dd, records = projects.score_coded_epds(tmp_path / "p", item10={world.dyad1.code: "3", "NC-9999": "0"})
    runner.invoke(app, ["import-redcap", "--dictionary", str(dd), "--records", str(records),
                        "--write-map", str(tmp_path / "map.yaml"), "-o", str(tmp_path / "unused")])
    result = runner.invoke(app, ["import-redcap", "--dictionary", str(dd), "--records", str(records), "--map",
                                 str(tmp_path / "map.yaml"), "--into-study", "nc"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "(nothing was imported)" in result.stderr
    assert not Assessment.objects.exists() and not Alert.objects.exists()
