from pathlib import Path

import typer

from .common import ensure_writable, fail, setup_django


def export(
    bundle: Path = typer.Option(None, "--bundle", help="Write a study bundle into this folder (or .zip with --zip)."),
    deidentified: bool = typer.Option(False, "--deidentified", help="No identifiers, pseudonyms, day offsets."),
    as_zip: bool = typer.Option(False, "--zip", help="Write one zip file instead of a folder."),
    free_text: bool = typer.Option(False, "--free-text", help="Include free-text answers in a de-identified bundle "
                                                              "or REDCap export."),
    study: str = typer.Option(None, "--study", help="Study slug (default: the only study)."),
    spss: Path = typer.Option(None, "--spss", help="Write a wide SPSS file (.sav) with labels."),
    stata: Path = typer.Option(None, "--stata", help="Write a wide Stata file (.dta) with labels."),
    xlsx: Path = typer.Option(None, "--xlsx", help="Write a wide Excel workbook with a codebook sheet."),
    items: bool = typer.Option(False, "--items", help="Add item-level variables to the wide files."),
    redcap: Path = typer.Option(None, "--redcap", help="Write a REDCap project (dictionary, events, records) here."),
    key: Path = typer.Option(None, "--key", help="De-identified: reuse the pseudonyms in this key file (created "
                                                 "if missing, new dyads added) to link with earlier exports."),
) -> None:
    """Export the database: a study bundle (DESIGN §5.3) and/or wide SPSS, Stata, Excel files. Audited.

    De-identified files written by one call share one set of pseudonyms; a new call
    draws new ones unless --key FILE links it to earlier calls.
    """
    targets = {"spss": spss, "stata": stata, "xlsx": xlsx}
    if bundle is None and not (spss or stata or xlsx or redcap):
        fail("say what to export: --bundle DIR, --spss FILE.sav, --stata FILE.dta, --xlsx FILE.xlsx or --redcap DIR")
    suffixes = {"spss": ".sav", "stata": ".dta", "xlsx": ".xlsx"}
    for kind, path in targets.items():
        if path is not None and path.suffix.lower() != suffixes[kind]:
            fail(f"--{kind} needs a file ending in {suffixes[kind]}")
    if key is not None and not deidentified:
        fail("--key goes with --deidentified (identified exports use study ids)")
    for path in (p for p in targets.values() if p is not None):
        ensure_writable(path)
    for path in (bundle, redcap):
        if path is not None:
            ensure_writable(path, folder=not as_zip or path == redcap)
    if key is not None:
        ensure_writable(key)
    setup_django()
    from nurture.common.errors import DomainError
    from nurture.exports.pseudonyms import PseudonymKey
    from nurture.program.models import Study

    studies = Study.objects.all() if study is None else Study.objects.filter(slug=study)
    if studies.count() != 1:
        slugs = ", ".join(Study.objects.values_list("slug", flat=True)) or "none"
        fail(f"choose a study with --study (known: {slugs})" if study is None or not studies else
             f"no study {study!r} (known: {slugs})")
    the_study = studies.get()
    try:
        pseudonyms = (PseudonymKey.load(key) if key else PseudonymKey()) if deidentified else None
        if bundle is not None:
            _bundle(the_study, bundle, deidentified, as_zip, free_text, pseudonyms)
        if redcap is not None:
            _redcap(the_study, redcap, deidentified, free_text, pseudonyms)
        if any(targets.values()):
            from nurture.exports.wide import export_wide

            for path in export_wide(None, the_study, {k: v for k, v in targets.items() if v},
                                    deidentified=deidentified, items=items, pseudonyms=pseudonyms):
                typer.echo(str(path))
    except DomainError as exc:
        fail(str(exc))
    if pseudonyms is not None and len(pseudonyms):
        _keep_key(pseudonyms, key)


def _bundle(study, target, deidentified, as_zip, free_text, pseudonyms) -> None:
    from nurture.exports.bundle import export_bundle

    path, data = export_bundle(None, study, target, deidentified=deidentified, as_zip=as_zip, free_text=free_text,
                               pseudonyms=pseudonyms)
    for warning in data.warnings:
        typer.echo(f"warning: {warning}", err=True)
    rows = ", ".join(f"{name.removesuffix('.csv')} {len(t)}" for name, t in data.tables.items())
    typer.echo(f"{path}  ({rows})")


def _redcap(study, folder, deidentified, free_text, pseudonyms) -> None:
    from nurture.accounts import audit
    from nurture.accounts.enums import AuditAction
    from nurture.capture.domain import study_settings
    from nurture.exports.bundle import collect
    from nurture.exports.redcap import export_redcap

    data = collect(None, study, deidentified=deidentified, free_text=free_text, pseudonyms=pseudonyms)
    for warning in data.warnings:
        typer.echo(f"warning: {warning}", err=True)
    cfg = study_settings(study)
    post = (cfg.post_opens_weeks + cfg.post_closes_weeks) * 7 // 2
    windows = {"pre": (0, 14, 14), "post": (post, post - cfg.post_opens_weeks * 7, cfg.post_closes_weeks * 7 - post)}
    for path in export_redcap(data.tables["item_responses.csv"], folder, open_answers=data.open_answers,
                              windows=windows):
        typer.echo(str(path))
    audit.record(None, AuditAction.EXPORT, object_type="program.Study", object_id=str(study.pk),
                 summary=f"REDCap export ({'de-identified' if deidentified else 'identified'})",
                 after={"rows": int(len(data.tables["item_responses.csv"])),
                        "open_answers": int(len(data.open_answers)), "folder": folder.name})


def _keep_key(pseudonyms, key_file) -> None:
    import datetime as dt
    import secrets

    export_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    server = pseudonyms.save_server_copy(export_id)
    if key_file is not None:
        pseudonyms.save(key_file)
        typer.echo(f"pseudonym key {key_file}: {pseudonyms.reused} reused, {pseudonyms.added} new "
                   f"(server copy {server.name})", err=True)
    else:
        typer.echo(f"pseudonym key kept on the server: {server} (pass --key FILE to link later exports)", err=True)
