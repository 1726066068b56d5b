from pathlib import Path

import typer

from .common import ensure_writable, fail


def analyze(
    source: Path = typer.Argument(..., metavar="INPUT", help="A bundle folder, a bundle zip, or a scores CSV."),
    output: Path = typer.Option(Path("out"), "-o", "--output", help="Folder for results.json and reports."),
    format: str = typer.Option("json,html,pdf,xlsx", "--format", help="Comma-separated: json, html, pdf, xlsx."),
    bootstrap: int = typer.Option(5000, "--bootstrap", help="BCa bootstrap resamples (0 to skip)."),
    seed: int = typer.Option(2024, "--seed", help="Seed of the bootstrap."),
    criteria: Path = typer.Option(None, "--criteria", help="Progression criteria YAML (default: pilot literature)."),
) -> None:
    """Feasibility, acceptability and preliminary efficacy from a study bundle.

    When the bundle has item responses, safety rule hits (with participant ids) are
    summarised on stderr and listed in results.json under "safety"; nothing is stored
    and no alert is raised.
    """
    from nurture.analysis.bundle import BundleError
    from nurture.instruments.errors import ResponseError
    from nurture.reports.run import FORMATS, analyze_path

    from .score import echo_safety

    formats = [f.strip() for f in format.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        fail(f"--format: unknown format {unknown[0]!r} (choose from {', '.join(FORMATS)})" if unknown
             else "--format: choose at least one of " + ", ".join(FORMATS))
    if bootstrap and not 100 <= bootstrap <= 1_000_000:
        fail("--bootstrap must be 0 (skip) or between 100 and 1000000")
    ensure_writable(output, folder=True)
    steps = []
    try:
        if typer.get_text_stream("stderr").isatty():
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                          transient=True) as bar:
                task = bar.add_task("loading", total=None)
                written = analyze_path(source, output, formats=formats, n_boot=bootstrap, seed=seed,
                                       criteria=criteria, on_safety=echo_safety,
                                       progress=lambda step: bar.update(task, description=f"analysing: {step}"))
        else:
            written = analyze_path(source, output, formats=formats, n_boot=bootstrap, seed=seed, criteria=criteria,
                                   progress=steps.append, on_safety=echo_safety)
    except (BundleError, ResponseError) as exc:
        fail(str(exc))
    for path in written.values():
        typer.echo(str(path))
