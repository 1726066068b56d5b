import json
from pathlib import Path

import typer

from .common import ensure_writable, fail, setup_django


def backup(output: Path = typer.Option(..., "-o", "--output", help="The archive to write (.tar.gz).")) -> None:
    """Write a consistent copy of the running server's data: database, export keys, installed wording."""
    if not output.name.endswith((".tar.gz", ".tgz")):
        fail(f"{output}: give a file name ending in .tar.gz")
    ensure_writable(output)
    setup_django()
    from nurture.common.errors import DomainError
    from nurture.operations.backup import backup as write

    try:
        manifest = write(output)
    except DomainError as exc:
        fail(str(exc))
    typer.echo(f"{output}  ({manifest['engine']}, {sum(manifest['tables'].values())} rows in "
               f"{len(manifest['tables'])} tables)")


def restore(archive: Path = typer.Argument(..., help="A backup written by `nurture backup`.")) -> None:
    """Restore a backup into an empty data folder (NURTURE_VAR_DIR) or empty PostgreSQL database."""
    if not archive.is_file():
        fail(f"{archive}: no such file")
    setup_django()
    from nurture.common.errors import DomainError
    from nurture.operations.backup import restore as put_back

    try:
        compared = put_back(archive)
    except DomainError as exc:
        fail(str(exc))
    wrong = {t: c for t, c in compared.items() if c[0] != c[1]}
    for table, (expected, got) in sorted(wrong.items()):
        typer.echo(f"nurture: error: {table}: {expected} rows in the backup, {got} restored", err=True)
    if wrong:
        raise typer.Exit(1)
    typer.echo(f"Restored {sum(c[0] for c in compared.values())} rows in {len(compared)} tables from {archive}.")


def check(format: str = typer.Option("text", "--format", help="text or json")) -> None:
    """Check this server's configuration: site address, proxies, mail, alert recipients, secret, last backup.
    Exit status 0 when nothing needs fixing, 1 otherwise."""
    if format not in ("text", "json"):
        fail(f"--format must be text or json, not {format!r}")
    setup_django()
    from nurture.operations.selfcheck import run_checks

    results = run_checks()
    if format == "json":
        typer.echo(json.dumps([r.__dict__ for r in results], indent=2))
    else:
        for r in results:
            typer.echo(f"{'ok     ' if r.ok else 'PROBLEM'}  {r.name}: {r.detail}")
    if not all(r.ok for r in results):
        raise typer.Exit(1)
