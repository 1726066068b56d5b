"""Bundles from the database: de-identification that leaks nothing, audit, manifest, round trip."""

import datetime as dt
import json
import re
import zipfile

import pytest
import time_machine

from nurture.accounts.models import AuditEvent
from nurture.analysis.bundle import BundleError, load_bundle
from nurture.analysis.results import analyse
from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.capture.models import Score
from nurture.common.errors import NotPermitted
from nurture.exports.bundle import collect, export_bundle, live_bundle
from nurture.instruments import library
from nurture.participants.models import InfantIdentifiers, MotherIdentifiers
from nurture.program import domain as program
from nurture.program.enums import AttendanceStatus
from nurture.reports.catalogue import build_catalogue

from .. import factories as f

NOW = dt.datetime(2026, 1, 3, 18, tzinfo=dt.UTC)


@pytest.fixture
def study_data(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    MotherIdentifiers.objects.filter(mother=world.dyad1.mother).update(
        address="17 Unmistakable Lane", phone="555-7788", email="aurelia.leakwell@example.org")
    InfantIdentifiers.objects.filter(infant__dyad=world.dyad1).update(first_name="Zebedee",
                                                                      date_of_birth=dt.date(2025, 9, 14))
    dyad3 = f.make_enrolled(world.study, world.site_a, world.cohort1, first_name="Third", last_name="Person")
    for k, dyad in enumerate((world.dyad1, world.dyad2, dyad3)):
        pre = capture.schedule_assessment(world.coordinator, dyad, Timepoint.PRE)
        capture.save_answers(pre, "gad7", f.all_items("gad7", 2), now=NOW)
        capture.save_answers(pre, "epds", f.epds_answers(), now=NOW)
        capture.submit_assessment(pre, now=NOW)
        if dyad != world.dyad2:
            post = capture.schedule_assessment(world.coordinator, dyad, Timepoint.POST)
            capture.save_answers(post, "gad7", f.all_items("gad7", 1) | {"1": str(k)}, now=NOW)
            capture.submit_assessment(post, now=NOW)
    session = world.cohort1.sessions.get(week=1, component="mother")
    program.record_attendance(None, session, world.dyad1, AttendanceStatus.PRESENT)
    return world


def identifiers(world):
    yield from ("Aurelia", "Leakwell", "Bettina", "Hidden", "Zebedee", "17 Unmistakable Lane", "555-7788",
                "555-0199", "aurelia.leakwell@example.org", "leak@example.org", "1995-06-01", "2025-09-14",
                world.dyad1.code, world.dyad2.code, "2025-12-01", "2025-12-08")


def test_a_de_identified_zip_contains_no_identifier_anywhere(study_data, tmp_path):
    path, data = export_bundle(study_data.coordinator, study_data.study, tmp_path / "b", deidentified=True,
                               as_zip=True, free_text=False)
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        contents = b"".join(zf.read(n) for n in zf.namelist())
    for secret in identifiers(study_data):
        assert secret.encode() not in contents, secret
        assert secret.encode() not in raw, secret
    assert b"Third" not in contents
    people = data.tables["participants.csv"]
    assert all(p.startswith("P-") for p in people["participant_id"])
    assert set(people["enrolled_on"]) == {"0"}  # day offsets from enrollment
    assert len(data.key) == 3 and {study_data.dyad1.code, study_data.dyad2.code} < set(data.key.values())


def test_the_pseudonym_key_stays_on_the_server_and_changes_per_export(study_data, tmp_path, settings):
    _, first = export_bundle(study_data.coordinator, study_data.study, tmp_path / "one", deidentified=True)
    _, second = export_bundle(study_data.coordinator, study_data.study, tmp_path / "two", deidentified=True)
    assert set(first.key).isdisjoint(second.key)
    keys = list((settings.VAR_DIR / "export-keys").iterdir())
    assert len(keys) == 2 and all(k.stat().st_mode & 0o077 == 0 for k in keys)
    assert not any("export-keys" in str(p) for p in (tmp_path / "one").iterdir())


def test_free_text_is_left_out_unless_asked_with_a_warning(study_data):
    post = capture.schedule_assessment(study_data.coordinator, study_data.dyad2, Timepoint.POST)
    capture.save_answers(post, "feedback", {"open_helpful": "Talking with Zebedee's nurse"}, now=NOW)
    capture.submit_assessment(post, now=NOW)
    quiet = collect(study_data.coordinator, study_data.study, deidentified=True)
    assert quiet.tables["feedback.csv"].empty and "left out" in quiet.warnings[0]
    loud = collect(study_data.coordinator, study_data.study, deidentified=True, free_text=True)
    # names known to the study are replaced, as in the text coders see
    assert loud.tables["feedback.csv"]["text"].tolist() == ["Talking with [name]'s nurse"]
    assert "other identifying details may remain" in loud.warnings[0]
    identified = collect(study_data.coordinator, study_data.study, deidentified=False)
    assert identified.tables["feedback.csv"]["text"].tolist() == ["Talking with Zebedee's nurse"]


def test_researchers_can_only_export_de_identified_and_facilitators_not_at_all(study_data, tmp_path):
    with pytest.raises(NotPermitted, match="only export de-identified"):
        collect(study_data.researcher, study_data.study, deidentified=False)
    collect(study_data.researcher, study_data.study, deidentified=True)
    with pytest.raises(NotPermitted):
        collect(study_data.facilitator, study_data.study, deidentified=True)


def test_an_export_never_includes_another_sites_dyads(study_data):
    data = collect(study_data.coordinator, study_data.study, deidentified=False)
    assert study_data.dyad_b.code not in set(data.tables["participants.csv"]["participant_id"])


def test_every_export_is_audited(study_data, tmp_path):
    export_bundle(study_data.coordinator, study_data.study, tmp_path / "b", deidentified=True)
    event = AuditEvent.objects.get(action="export")
    assert event.user == study_data.coordinator
    assert event.after["deidentified"] is True
    assert event.after["rows"]["scores.csv"] == Score.objects.current().filter(
        assessment__dyad__site=study_data.site_a).count()


def test_the_manifest_lists_versions_rows_and_digests_and_tampering_is_refused(study_data, tmp_path):
    path, data = export_bundle(study_data.coordinator, study_data.study, tmp_path / "b", deidentified=False)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["instruments"]["gad7"] == {"version": "2006", "scoring_version": "gad7-1"}
    assert manifest["files"]["scores.csv"]["rows"] == len(data.tables["scores.csv"])
    load_bundle(path)
    text = (path / "scores.csv").read_text().replace(",14,7,", ",4,7,")
    assert text != (path / "scores.csv").read_text()
    (path / "scores.csv").write_text(text)
    with pytest.raises(BundleError, match="does not match its SHA-256"):
        load_bundle(path)


def without_run_details(results):
    return {k: v for k, v in results.items() if k not in ("generated_at", "input")}


@pytest.mark.parametrize("deidentified", [False, True])
def test_round_trip_export_then_analyze_gives_the_live_results(study_data, tmp_path, deidentified):
    catalogue = build_catalogue(library())
    path, _ = export_bundle(study_data.coordinator, study_data.study, tmp_path / "b", deidentified=deidentified)
    from_files = analyse(load_bundle(path), catalogue, n_boot=200, seed=1)
    live = analyse(live_bundle(study_data.coordinator, study_data.study, deidentified=deidentified), catalogue,
                   n_boot=200, seed=1)
    if deidentified:  # pseudonyms differ per export; everything else must agree
        for r in (from_files, live):
            r["efficacy"]["missing_data"]["pre_only"] = len(r["efficacy"]["missing_data"]["pre_only"])
            r["feasibility"]["attendance"]["per_dyad"] = sorted(r["feasibility"]["attendance"]["per_dyad"].values())
    assert without_run_details(from_files) == without_run_details(live)
    gad = next(m for m in live["efficacy"]["measures"] if m["instrument"] == "gad7")
    assert (gad["n"], gad["n_pre_only"]) == (2, 1)
    assert live["feasibility"]["flow"]["overall"]["completed_pre"] == 3


def test_the_evaluation_page_and_downloads(study_data, client_for, tmp_path):
    client = client_for(study_data.researcher)
    report = client.get("/evaluation/report/")
    assert report.status_code == 200
    html = report.content.decode()
    assert "Preliminary efficacy" in html and "Leakwell" not in html and study_data.dyad1.code not in html
    download = client.post("/evaluation/bundle/", {})
    assert download.status_code == 200 and download["Content-Disposition"].endswith('deidentified-bundle.zip"')
    assert client.post("/evaluation/bundle/", {"identified": "1"}).status_code == 403
    assert AuditEvent.objects.filter(action="export", user=study_data.researcher).count() == 1
    assert client_for(study_data.facilitator).get("/evaluation/").status_code == 403


def test_the_evaluation_report_is_made_again_only_when_the_data_it_shows_change(study_data, client_for):
    from django.core.cache import caches

    caches["reports"].clear()
    day = dt.datetime(2026, 1, 10, 10, 0, tzinfo=dt.UTC)

    def report(user, minutes):
        with time_machine.travel(day + dt.timedelta(minutes=minutes), tick=False):
            response = client_for(user).get("/evaluation/report/")
        assert response.status_code == 200
        return response.content.decode()

    def made_at(html):
        return re.search(r"generated (\S+)", html).group(1)

    first = report(study_data.researcher, 0)
    assert made_at(first) == "2026-01-10T10:00:00+00:00"
    # Nothing changed: the same report, not made again (it would say 10:05).
    assert report(study_data.researcher, 5) == first
    # Another user who sees the same dyads gets the same report.
    assert report(study_data.coordinator, 6) == first
    # A user who sees other dyads gets a report of her own data, not the one kept.
    other_site = report(study_data.outsider, 7)
    assert made_at(other_site) == "2026-01-10T10:07:00+00:00" and other_site != first
    # Any change to the data makes a new report, which shows it.
    session = study_data.cohort2.sessions.get(week=1, component="mother")
    program.record_attendance(None, session, study_data.dyad2, AttendanceStatus.PRESENT)
    after = report(study_data.researcher, 10)
    assert made_at(after) == "2026-01-10T10:10:00+00:00"
    assert "Received the program (≥ 1 session): 1<" in first
    assert "Received the program (≥ 1 session): 2<" in after


def test_a_kept_evaluation_report_is_shown_only_in_the_language_it_was_made_in(study_data, client_for):
    # The language formats the report's numbers (α = 0.05 / 0,05 in the planning section).
    from django.core.cache import caches

    caches["reports"].clear()
    day = dt.datetime(2026, 1, 10, 10, 0, tzinfo=dt.UTC)

    def made_at(language, minutes):
        client = client_for(study_data.coordinator)
        client.cookies["nurture_language"] = language
        with time_machine.travel(day + dt.timedelta(minutes=minutes), tick=False):
            html = client.get("/evaluation/report/").content.decode()
        return re.search(r"generated (\S+)", html).group(1)

    assert made_at("es", 0) == "2026-01-10T10:00:00+00:00"
    assert made_at("en", 5) == "2026-01-10T10:05:00+00:00"  # made in English, not the Spanish one shown
    assert made_at("es", 6) == "2026-01-10T10:00:00+00:00" and made_at("en", 7) == "2026-01-10T10:05:00+00:00"


def test_typed_reasons_are_free_text_too(study_data):
    from nurture.participants import domain as participants
    from nurture.participants.enums import EnrollmentStatus

    participants.change_status(None, study_data.dyad2, EnrollmentStatus.WITHDRAWN,
                               effective_on=dt.date(2026, 1, 2), reason="Moved in with Zebedee's grandmother")
    quiet = collect(study_data.coordinator, study_data.study, deidentified=True)
    assert "Zebedee" not in quiet.tables["participants.csv"].to_csv()
    assert "reason withheld (free text)" in set(quiet.tables["participants.csv"]["withdrawal_reason"])
    identified = collect(study_data.coordinator, study_data.study, deidentified=False)
    assert "Moved in with Zebedee's grandmother" in set(identified.tables["participants.csv"]["withdrawal_reason"])


def test_reason_codes_travel_in_de_identified_bundles_but_typed_text_does_not(study_data):
    from nurture.participants import domain as participants
    from nurture.participants.eligibility import CRITERIA
    from nurture.participants.enums import EndReason, EnrollmentStatus

    participants.change_status(None, study_data.dyad2, EnrollmentStatus.WITHDRAWN, effective_on=dt.date(2026, 1, 2),
                               reason="Moved in with Zebedee's grandmother", reason_code=EndReason.MOVED)
    screened_out = f.make_referral(study_data.study, study_data.site_a, first_name="Criteria")
    participants.screen(None, screened_out, criteria=dict.fromkeys(CRITERIA, True) | {"can_attend": False,
                                                                                      "elevated_risk": False},
                        screened_on=dt.date(2025, 12, 3), note="Said her sister Zebedee would mind the baby")
    data = collect(study_data.coordinator, study_data.study, deidentified=True)
    people = data.tables["participants.csv"]
    assert "Zebedee" not in people.to_csv()
    assert set(people["reason_code"]) >= {"moved", "elevated_risk;can_attend"}
    assert data.manifest["reason_labels"]["moved"] == "Moved away"
    assert data.manifest["criteria_labels"]["can_attend"] == CRITERIA["can_attend"]


def test_post_due_and_held_sessions_are_computed_at_the_data_date(study_data):
    def table(today):
        data = collect(study_data.coordinator, study_data.study, deidentified=False, today=today)
        people = data.tables["participants.csv"].set_index("participant_id")
        return data, people

    # dyad2 (8-week cohort) has no post-assessment: its window (8-12 weeks after the pre on 3 Jan) closes 28 March.
    data, people = table(dt.date(2026, 3, 1))
    assert people.at[study_data.dyad1.code, "post_due"] == "true"  # completed
    assert people.at[study_data.dyad2.code, "post_due"] == "false"
    sessions = data.tables["sessions.csv"]
    assert set(sessions.loc[sessions["date"] <= "2026-03-01", "held"]) == {"true"}
    assert set(sessions.loc[sessions["date"] > "2026-03-01", "held"]) == {"false"}
    assert data.manifest["data_date"] == "2026-03-01"
    _, people = table(dt.date(2026, 4, 1))
    assert people.at[study_data.dyad2.code, "post_due"] == "true"


def test_a_late_joiner_starts_at_her_first_week_and_months_count_from_the_first_referral(study_data):
    from nurture.participants import domain as participants
    from nurture.participants.eligibility import CRITERIA

    late = f.make_referral(study_data.study, study_data.site_a, first_name="Late", referred_on=dt.date(2026, 1, 10))
    participants.screen(None, late, criteria=dict.fromkeys(CRITERIA, True), screened_on=dt.date(2026, 1, 12))
    participants.record_consent(None, late, consented_on=dt.date(2026, 1, 14), form_version="v1")
    participants.enroll_dyad(None, late, study_data.cohort1, enrolled_on=dt.date(2026, 1, 20))
    people = collect(study_data.coordinator, study_data.study, deidentified=True).tables["participants.csv"]
    weeks = dict(zip(people["enrollment_month"], people["first_week"], strict=True))
    # Cohort 1 meets on Mondays from 5 January: 19 January is week 3, so her first session is week 4.
    assert weeks[2] == 4
    assert set(people["referral_month"]) == {1, 2}  # referrals in December 2025 and January 2026
    assert set(people.loc[people["first_week"] != "", "first_week"]) == {1, 4}


def test_the_manifest_declares_version_2_and_the_studys_primary_measures(study_data):
    study_data.study.primary_measures = "epds, pss:total"
    study_data.study.save()
    manifest = collect(study_data.coordinator, study_data.study, deidentified=True).manifest
    assert manifest["schema"] == "nurture.bundle/3"
    assert manifest["primary_measures"] == ["epds:total", "pss:total"]
    assert manifest["escalation_minutes"] == 60  # the study's setting (StudySettings.escalation_minutes)


def test_primary_measures_must_name_instruments_and_scales_of_the_library():
    from django.core.exceptions import ValidationError

    from nurture.program.models import validate_measures

    validate_measures("epds:total, gad7")
    with pytest.raises(ValidationError, match="'nosuch' is not an instrument"):
        validate_measures("nosuch:total")
    with pytest.raises(ValidationError, match="EPDS has no scale 'depression'"):
        validate_measures("epds:depression")


def test_alerts_are_exported_as_categories_and_minutes_without_any_text(study_data):
    from nurture.safety.domain import acknowledge_alert, close_alert
    from nurture.safety.enums import AlertOutcome
    from nurture.safety.models import Alert

    dyad = study_data.dyad2
    post = capture.schedule_assessment(study_data.coordinator, dyad, Timepoint.POST)
    capture.save_answers(post, "epds", f.epds_answers(self_harm_keyed=2), now=NOW)
    capture.submit_assessment(post, now=NOW)
    alert = Alert.objects.get(dyad=dyad, rule="self_harm")
    acknowledge_alert(study_data.coordinator, alert, "Called Bettina Hidden at 555-0199", now=NOW + dt.timedelta(
        minutes=25))
    close_alert(study_data.coordinator, alert, AlertOutcome.SAFETY_PLAN, "Bettina's plan is with Zebedee",
                now=NOW + dt.timedelta(hours=3))
    data = collect(study_data.coordinator, study_data.study, deidentified=True)
    alerts = data.tables["alerts.csv"]
    row = alerts[alerts["rule"] == "self_harm"].iloc[0].to_dict()
    assert row["participant_id"].startswith("P-") and row["timepoint"] == "post"
    assert (row["severity"], row["status"], row["outcome"]) == ("urgent", "closed", "safety_plan")
    assert (row["minutes_to_acknowledgement"], row["minutes_to_close"]) == ("25", "180")
    assert row["raised_on"] == str((NOW.date() - dyad.enrolled_on).days)  # a day offset, not a date
    text = alerts.to_csv()
    assert not any(leak in text for leak in ("Bettina", "Zebedee", "555-0199", "item 10", dyad.code))
    assert data.manifest["alert_outcome_labels"]["safety_plan"] == AlertOutcome.SAFETY_PLAN.label
    assert data.manifest["escalation_minutes"] == 60
