"""`nurture schemes list | validate FILE`: the coding library (rating scales and theme codebooks)."""

from pathlib import Path

import typer

from .common import fail

app = typer.Typer(help="Coding schemes: rating scales and theme codebooks.", no_args_is_help=True,
                  add_completion=False)


@app.command("list")
def list_() -> None:
    """List the shipped coding schemes."""
    from nurture.coding.schemes import RatingScheme, library

    for scheme in library().values():
        if isinstance(scheme, RatingScheme):
            detail = (f"rating {scheme.min_value}–{scheme.max_value}, {len(scheme.items)} items, subscales "
                      + ", ".join(s.id for s in scheme.subscales))
        else:
            detail = f"themes: {len(scheme.themes)} themes, {len(scheme.leaves)} codes"
        typer.echo(f"{scheme.id:<22} v{scheme.version:<4} {scheme.name} ({detail})")


@app.command("validate")
def validate(path: Path = typer.Argument(..., help="A scheme definition (YAML).")) -> None:
    """Check a scheme definition; print a summary, or one line naming the file and field."""
    from nurture.coding.schemes import RatingScheme, SchemeError, load_scheme

    try:
        scheme = load_scheme(path)
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except UnicodeDecodeError:
        fail(f"{path.name}: not UTF-8 text")
    except SchemeError as exc:
        fail(str(exc))
    size = f"{len(scheme.items)} items" if isinstance(scheme, RatingScheme) else f"{len(scheme.leaves)} codes"
    typer.echo(f"{path.name}: valid {scheme.kind} scheme {scheme.id!r} version {scheme.version} ({size})")
