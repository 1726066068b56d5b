"""Naming measures on the command line and in manifests (nothing heavy is imported here:
`nurture analyze` reads its options before it starts its report worker)."""

from __future__ import annotations


def parse_measures(values) -> list[tuple[str, str]]:
    """``["epds:total", "pss"]`` → ``[("epds", "total"), ("pss", "total")]``."""
    out = []
    for value in values or []:
        instrument, _, scale = str(value).strip().partition(":")
        if instrument:
            out.append((instrument, scale or "total"))
    return out
