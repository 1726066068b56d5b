from pathlib import Path

import typer

from .common import ensure_writable, fail


def analyze(
    source: Path = typer.Argument(..., metavar="INPUT", help="A bundle folder, a bundle zip, or a scores CSV."),
    output: Path = typer.Option(Path("out"), "-o", "--output", help="Folder for results.json and reports."),
    format: str = typer.Option("json,html,pdf,xlsx", "--format", help="Comma-separated: json, html, pdf, xlsx."),
    bootstrap: int = typer.Option(5000, "--bootstrap", help="BCa bootstrap resamples (0 to skip)."),
    seed: int = typer.Option(2024, "--seed", help="Seed of the bootstrap."),
    criteria: Path = typer.Option(None, "--criteria", help="Progression criteria YAML (default: the shipped ones)."),
    primary: str = typer.Option(None, "--primary", help="Primary measures, e.g. epds:total,pss:total (overrides "
                                                         "the study's; p values are adjusted across these)."),
    targets: str = typer.Option("0.3,0.4,0.5", "--targets", help="Standardized effects for the planning table."),
    group_size: float = typer.Option(None, "--group-size", help="Dyads per group in the definitive trial "
                                                                "(default: the pilot's mean cohort size)."),
) -> None:
    """Feasibility, acceptability, preliminary efficacy, harms and trial planning from a study bundle.

    When the bundle has item responses, safety rule hits (with participant ids) are
    summarised on stderr and listed in results.json under "safety"; nothing is stored
    and no alert is raised.
    """
    # Nothing heavy before analyze_path: it forks its report worker first, which then imports
    # matplotlib and WeasyPrint while this process imports pandas and scipy.
    from nurture.analysis.measures import parse_measures
    from nurture.reports.run import FORMATS, analyze_path

    from .score import echo_safety

    formats = [f.strip() for f in format.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        fail(f"--format: unknown format {unknown[0]!r} (choose from {', '.join(FORMATS)})" if unknown
             else "--format: choose at least one of " + ", ".join(FORMATS))
    if bootstrap and not 100 <= bootstrap <= 1_000_000:
        fail("--bootstrap must be 0 (skip) or between 100 and 1000000")
    try:
        effects = tuple(float(t) for t in targets.split(",") if t.strip())
    except ValueError:
        fail(f"--targets: {targets!r} is not a comma-separated list of numbers")
    if not effects or any(not 0 < t < 5 for t in effects):
        fail("--targets: give effects between 0 and 5, e.g. 0.3,0.4,0.5")
    if group_size is not None and not 1 <= group_size <= 100:
        fail("--group-size must be between 1 and 100 dyads")
    measures = parse_measures(primary.split(",")) if primary else None
    options = {"primary": measures, "targets": effects, "group_size": group_size}
    ensure_writable(output, folder=True)
    steps = []
    try:
        if typer.get_text_stream("stderr").isatty():
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                          transient=True) as bar:
                task = bar.add_task("loading", total=None)
                written = analyze_path(source, output, formats=formats, n_boot=bootstrap, seed=seed,
                                       criteria=criteria, on_safety=echo_safety, **options,
                                       progress=lambda step: bar.update(task, description=f"analysing: {step}"))
        else:
            written = analyze_path(source, output, formats=formats, n_boot=bootstrap, seed=seed, criteria=criteria,
                                   progress=steps.append, on_safety=echo_safety, **options)
    except ValueError as exc:  # BundleError and ResponseError are ValueErrors, and loaded by now
        from nurture.analysis.bundle import BundleError
        from nurture.instruments.errors import ResponseError

        if not isinstance(exc, (BundleError, ResponseError)):
            raise
        fail(str(exc))
    for path in written.values():
        typer.echo(str(path))
