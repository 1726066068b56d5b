"""One key per export call, shared by every file of the call; linking across calls only with --key."""

import csv
import datetime as dt

import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

from nurture.accounts.models import AuditEvent
from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.cli.main import app

from .. import factories as f

NOW = dt.datetime(2026, 1, 3, 18, tzinfo=dt.UTC)
runner = CliRunner()


@pytest.fixture
def answered(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    for dyad in (world.dyad1, world.dyad2, world.dyad_b):
        pre = capture.schedule_assessment(None, dyad, Timepoint.PRE)
        capture.save_answers(pre, "gad7", f.all_items("gad7", 2), now=NOW)
        capture.submit_assessment(pre, now=NOW)
    return world


def export(*args):
    result = runner.invoke(app, ["export", "--study", "nc", "--deidentified", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def ids_in(folder):
    bundle = set(pd.read_csv(folder / "b" / "participants.csv", dtype=str).participant_id)
    spss = set(pyreadstat.read_sav(folder / "w.sav")[0].participant_id)
    redcap = set(pd.read_csv(folder / "r" / "records.csv", dtype=str).record_id)
    return bundle, spss, redcap


def keys(settings):
    return sorted((settings.VAR_DIR / "export-keys").iterdir())


def test_every_file_of_one_call_shares_one_key(answered, tmp_path, settings):
    export("--bundle", tmp_path / "one" / "b", "--spss", tmp_path / "one" / "w.sav", "--redcap", tmp_path / "one" / "r")
    bundle, spss, redcap = ids_in(tmp_path / "one")
    assert len(bundle) == 3 and bundle == spss and redcap <= bundle
    assert all(p.startswith("P-") for p in bundle)
    [key] = keys(settings)
    with open(key, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["pseudonym"] for r in rows} == bundle
    assert {r["study_id"] for r in rows} == {answered.dyad1.code, answered.dyad2.code, answered.dyad_b.code}
    assert key.stat().st_mode & 0o077 == 0
    assert AuditEvent.objects.filter(action="export").count() == 3


def test_two_calls_cannot_be_linked_without_a_key_file(answered, tmp_path):
    export("--bundle", tmp_path / "one" / "b", "--spss", tmp_path / "one" / "w.sav", "--redcap", tmp_path / "one" / "r")
    export("--bundle", tmp_path / "two" / "b", "--spss", tmp_path / "two" / "w.sav", "--redcap", tmp_path / "two" / "r")
    assert ids_in(tmp_path / "one")[0].isdisjoint(ids_in(tmp_path / "two")[0])


def test_a_key_file_links_calls_and_takes_in_new_dyads(answered, tmp_path):
    key = tmp_path / "study.key.csv"
    first = export("--bundle", tmp_path / "one" / "b", "--key", key)
    assert "0 reused, 3 new" in first.stderr
    new = f.make_enrolled(answered.study, answered.site_a, answered.cohort1, first_name="Later")
    pre = capture.schedule_assessment(None, new, Timepoint.PRE)
    capture.save_answers(pre, "gad7", f.all_items("gad7", 1), now=NOW)
    capture.submit_assessment(pre, now=NOW)
    second = export("--bundle", tmp_path / "two" / "b", "--key", key)
    assert "3 reused, 1 new" in second.stderr
    one = set(pd.read_csv(tmp_path / "one" / "b" / "participants.csv", dtype=str).participant_id)
    two = set(pd.read_csv(tmp_path / "two" / "b" / "participants.csv", dtype=str).participant_id)
    assert one < two and len(two) == 4
    assert key.stat().st_mode & 0o077 == 0


def test_a_file_that_is_not_a_key_is_refused(answered, tmp_path):
    bad = tmp_path / "notes.csv"
    bad.write_text("name,phone\nx,y\n")
    result = runner.invoke(app, ["export", "--study", "nc", "--deidentified", "--bundle", str(tmp_path / "b"),
                                 "--key", str(bad)])
    assert result.exit_code == 2
    assert result.stderr == (f"nurture: error: --key {bad}: is not a key file (its header must be "
                             "pseudonym,study_id)\n")
    assert not (tmp_path / "b").exists()
    identified = runner.invoke(app, ["export", "--study", "nc", "--bundle", str(tmp_path / "b"), "--key", str(bad)])
    assert identified.exit_code == 2 and "--key goes with --deidentified" in identified.stderr
