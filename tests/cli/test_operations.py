"""Backup → restore into an empty data folder gives back every row; the configuration
self-check says what needs fixing, with its exit status. Run as an operator would."""

import json
import sqlite3

import pytest

from .test_commands import run


def counts(db_path) -> dict[str, int]:
    db = sqlite3.connect(db_path)
    tables = [r[0] for r in db.execute("select name from sqlite_master where type='table' and name not like 'sqlite_%'")]
    return {t: db.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}


@pytest.mark.slow
def test_backup_then_restore_into_an_empty_folder_gives_back_every_row(tmp_path):
    live, empty = tmp_path / "live", tmp_path / "empty"
    assert run(["init"], live).returncode == 0
    keys = live / "export-keys"
    keys.mkdir()
    (keys / "20260101T000000Z-abc.csv").write_text("pseudonym,study_id\nP-1,NC-0001\n")
    archive = tmp_path / "nightly.tar.gz"
    done = run(["backup", "-o", str(archive)], live)
    assert done.returncode == 0, done.stderr
    before = counts(live / "nurture.sqlite3")
    assert before["participants_dyad"] == 60

    restored = run(["restore", str(archive)], empty)
    assert restored.returncode == 0, restored.stderr
    after = counts(empty / "nurture.sqlite3")
    # the backup wrote one audit entry after its copy; the restore one of its own
    assert {t: n for t, n in after.items() if t != "accounts_auditevent"} == \
        {t: n for t, n in before.items() if t != "accounts_auditevent"}
    assert after["accounts_auditevent"] == before["accounts_auditevent"]  # -1 for the backup's, +1 for the restore's
    assert (empty / "export-keys" / "20260101T000000Z-abc.csv").read_text().startswith("pseudonym")

    again = run(["restore", str(archive)], live)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [again.stderr.strip()]
    assert "restore only into an empty" in again.stderr

    check = run(["check", "--format", "json"], live)
    results = {r["name"]: r for r in json.loads(check.stdout)}
    assert results["last backup"]["ok"] and str(archive) in results["last backup"]["detail"]
    unchecked = run(["check"], empty)
    assert unchecked.returncode == 1 and "PROBLEM  last backup: no backup recorded" in unchecked.stdout


def test_a_backup_refuses_a_file_name_it_would_not_write(tmp_path):
    result = run(["backup", "-o", str(tmp_path / "backup.zip")], tmp_path)
    assert result.returncode == 2 and "ending in .tar.gz" in result.stderr
