from pathlib import Path

import typer

from .common import fail, setup_django


def export(
    bundle: Path = typer.Option(None, "--bundle", help="Write a study bundle into this folder (or .zip with --zip)."),
    deidentified: bool = typer.Option(False, "--deidentified", help="No identifiers, pseudonyms, day offsets."),
    as_zip: bool = typer.Option(False, "--zip", help="Write one zip file instead of a folder."),
    free_text: bool = typer.Option(False, "--free-text", help="Include free-text answers in a de-identified bundle."),
    study: str = typer.Option(None, "--study", help="Study slug (default: the only study)."),
    spss: Path = typer.Option(None, "--spss", help="Write a wide SPSS file (.sav) with labels."),
    stata: Path = typer.Option(None, "--stata", help="Write a wide Stata file (.dta) with labels."),
    xlsx: Path = typer.Option(None, "--xlsx", help="Write a wide Excel workbook with a codebook sheet."),
    items: bool = typer.Option(False, "--items", help="Add item-level variables to the wide files."),
    redcap: Path = typer.Option(None, "--redcap", help="Write a REDCap data dictionary and records into this folder."),
) -> None:
    """Export the database: a study bundle (DESIGN §5.3) and/or wide SPSS, Stata, Excel files. Audited."""
    setup_django()
    from nurture.common.errors import DomainError
    from nurture.exports.bundle import export_bundle
    from nurture.program.models import Study

    if bundle is None and not (spss or stata or xlsx or redcap):
        fail("say what to export: --bundle DIR, --spss FILE.sav, --stata FILE.dta, --xlsx FILE.xlsx or --redcap DIR")
    studies = Study.objects.all() if study is None else Study.objects.filter(slug=study)
    if studies.count() != 1:
        slugs = ", ".join(Study.objects.values_list("slug", flat=True)) or "none"
        fail(f"choose a study with --study (known: {slugs})" if study is None or not studies else
             f"no study {study!r}")
    if bundle is not None:
        try:
            path, data = export_bundle(None, studies.get(), bundle, deidentified=deidentified, as_zip=as_zip,
                                       free_text=free_text)
        except DomainError as exc:
            fail(str(exc))
        for warning in data.warnings:
            typer.echo(f"warning: {warning}", err=True)
        rows = ", ".join(f"{name.removesuffix('.csv')} {len(t)}" for name, t in data.tables.items())
        typer.echo(f"{path}  ({rows})")
    if redcap is not None:
        from nurture.accounts import audit
        from nurture.accounts.enums import AuditAction
        from nurture.exports.bundle import collect
        from nurture.exports.redcap import export_redcap

        data = collect(None, studies.get(), deidentified=deidentified)
        for path in export_redcap(data.tables["item_responses.csv"], redcap):
            typer.echo(str(path))
        audit.record(None, AuditAction.EXPORT, object_type="program.Study", object_id=str(studies.get().pk),
                     summary=f"REDCap export ({'de-identified' if deidentified else 'identified'})",
                     after={"rows": int(len(data.tables["item_responses.csv"]))})
    targets = {"spss": spss, "stata": stata, "xlsx": xlsx}
    if any(targets.values()):
        from nurture.exports.wide import export_wide

        for kind, path in targets.items():
            if path is not None and path.suffix.lower() != {"spss": ".sav", "stata": ".dta", "xlsx": ".xlsx"}[kind]:
                fail(f"--{kind} needs a file ending in {'.sav' if kind == 'spss' else '.dta' if kind == 'stata' else '.xlsx'}")
        for path in export_wide(None, studies.get(), {k: v for k, v in targets.items() if v},
                                deidentified=deidentified, items=items):
            typer.echo(str(path))
