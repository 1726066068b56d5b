"""`nurture instruments list | show ID | validate FILE | load-wording ID FILE`."""

import json
from pathlib import Path

import typer

from .common import fail

app = typer.Typer(help="The instrument library.", no_args_is_help=True, add_completion=False)


def _get(instrument_id: str):
    from nurture.instruments import library

    lib = library()
    if instrument_id not in lib:
        fail(f"unknown instrument {instrument_id!r} (known: {', '.join(lib.ids())})")
    return lib.get(instrument_id)


@app.command("list")
def list_() -> None:
    """List every instrument with its items, scales and status."""
    from rich.console import Console
    from rich.table import Table

    from nurture.instruments import library
    from nurture.instruments.wording import has_official_wording

    table = Table("id", "name", "version", "items", "scales", "verified", "wording")
    for inst in library():
        wording = "structure only" if inst.structure_only else (
            "official" if has_official_wording(inst) else "placeholder")
        table.add_row(inst.id, inst.name, inst.version, str(len(inst.items)),
                      ", ".join(s.id for s in inst.scales) or "—", "yes" if inst.verified else "no", wording)
    Console().print(table)


def _as_dict(inst) -> dict:
    from nurture.instruments.wording import has_official_wording

    return {
        "id": inst.id, "version": inst.version, "scoring_version": inst.scoring_version, "name": inst.name,
        "short_name": inst.short_name, "domain": inst.domain, "citation": inst.citation, "licence": inst.licence,
        "verified": inst.verified, "verification_note": inst.verification_note, "structure_only": inst.structure_only,
        "placeholder_wording": not has_official_wording(inst), "languages": list(inst.languages),
        "recall_period": inst.recall_period,
        "items": [{"id": i.id, "kind": i.kind, "label": i.label, "values": list(i.values), "reverse": i.reverse,
                   "na_allowed": i.na_allowed, "na_score": i.na_score} for i in inst.items],
        "scales": [{"id": s.id, "name": s.name, "items": list(s.items), "method": s.method.value,
                    "range": [s.score_min, s.score_max], "lower_is_better": s.lower_is_better,
                    "max_missing": s.max_missing, "prorate": s.prorate,
                    "bands": [{"from": b.start, "label": b.label, "flag": b.flag} for b in s.bands],
                    "bands_source": s.bands_source, "reliability": s.reliability,
                    "reliability_source": s.reliability_source} for s in inst.scales],
        "safety": [{"id": r.id, "severity": r.severity.value, "subject": r.subject, "op": r.op,
                    "value": r.threshold, "message": r.message} for r in inst.safety],
    }


@app.command()
def show(instrument_id: str = typer.Argument(..., metavar="ID"),
         format: str = typer.Option("text", "--format", help="text or json")) -> None:
    """Show one definition: items, keying, scales, bands, safety rules."""
    inst = _get(instrument_id)
    data = _as_dict(inst)
    if format == "json":
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if format != "text":
        fail(f"--format must be text or json, not {format!r}")
    typer.echo(f"{inst.name} ({inst.short_name}) version {inst.version}, scoring {inst.scoring_version}")
    typer.echo(f"  {inst.citation}")
    typer.echo(f"  Licence: {inst.licence}")
    if not inst.verified:
        typer.echo(f"  UNVERIFIED: {inst.verification_note}")
    if data["placeholder_wording"]:
        typer.echo("  Placeholder wording: not valid for real administration until official wording is loaded.")
    typer.echo(f"  Recall period: {inst.recall_period['en']}")
    for item in inst.items:
        extra = " (reverse-keyed)" if item.reverse else ""
        if item.na_allowed:
            extra += f" (na scores {item.na_score})" if item.na_score is not None else " (na unscored)"
        coding = "text" if item.kind == "text" else f"{item.min_value}-{item.max_value}"
        typer.echo(f"  item {item.id:>3} [{coding}] {item.label['en']}{extra}")
    for s in inst.scales:
        bands = "; ".join(f"{b.start:g}+ {b.label['en']}" for b in s.bands)
        typer.echo(f"  scale {s.id}: {s.method.value} of {len(s.items)} items, {s.score_min:g}-{s.score_max:g}, "
                   f"lower is better: {s.lower_is_better}, up to {s.max_missing} missing"
                   + (f", bands: {bands}" if bands else "")
                   + (f", reliability {s.reliability}" if s.reliability else ""))
    for r in inst.safety:
        typer.echo(f"  safety {r.id} ({r.severity.value}): {r.subject} {r.op} {r.threshold:g}")


@app.command()
def validate(file: Path = typer.Argument(..., help="A definition file (YAML).")) -> None:
    """Validate a definition file; prints what is wrong and where."""
    from nurture.instruments import DefinitionError, load_definition

    try:
        inst = load_definition(file)
    except DefinitionError as exc:
        fail(str(exc))
    typer.echo(f"{file.name}: valid ({inst.id} version {inst.version}, {len(inst.items)} items, "
               f"{len(inst.scales)} scales, {len(inst.safety)} safety rules)")


@app.command("load-wording")
def load_wording(instrument_id: str = typer.Argument(..., metavar="ID"),
                 file: Path = typer.Argument(..., help="The licensed wording file (YAML) for one language.")) -> None:
    """Install a licensed site's official wording (kept outside the package)."""
    from nurture.instruments import DefinitionError
    from nurture.instruments.wording import install_wording

    inst = _get(instrument_id)
    try:
        dest = install_wording(inst, file)
    except DefinitionError as exc:
        fail(str(exc))
    typer.echo(f"Installed official wording for {inst.short_name} -> {dest}")
