"""Progression criteria: traffic-light zones for the estimates, and what their intervals allow."""

from __future__ import annotations

from importlib import resources

import yaml

from .bundle import BundleError

UNITS = ("share", "per_month")
ZONES = ("red", "amber", "green")


def load_criteria(path=None) -> list[dict]:
    """The criteria of ``path`` (YAML), or the shipped defaults; each names its source."""
    if path is None:
        text = (resources.files("nurture.analysis") / "progression.yaml").read_text(encoding="utf-8")
        source = "progression.yaml"
    else:
        source = str(path)
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except IsADirectoryError:
            raise BundleError("is a folder, not a criteria file", file=source) from None
        except OSError as exc:
            raise BundleError(f"cannot be read ({exc.strerror})", file=source) from None
        except UnicodeDecodeError:
            raise BundleError("is not UTF-8 text", file=source) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BundleError(f"is not valid YAML ({exc})", file=source) from None
    criteria = data.get("criteria") if isinstance(data, dict) else None
    if not isinstance(criteria, list):
        raise BundleError("must have a list named criteria", file=source)
    for i, c in enumerate(criteria):
        if not isinstance(c, dict):
            raise BundleError(f"criteria[{i}] must be a mapping of id, label, rate, green, amber", file=source)
        for key in ("id", "label", "rate", "green", "amber"):
            if key not in c:
                raise BundleError(f"criteria[{i}] needs {key!r}", file=source)
        if not isinstance(c["rate"], str) or not isinstance(c["id"], str | int):
            raise BundleError(f"criteria[{i}]: id and rate must be names", file=source)
        unit = c.setdefault("unit", "share")
        if unit not in UNITS:
            raise BundleError(f"criteria[{i}]: unit must be one of {', '.join(UNITS)}", file=source)
        if not all(isinstance(c[k], int | float) and not isinstance(c[k], bool) and c[k] == c[k]
                   for k in ("green", "amber")):
            raise BundleError(f"criteria[{i}]: green and amber must be numbers", file=source)
        top = 1 if unit == "share" else float("inf")
        if not 0 <= c["amber"] <= c["green"] <= top:
            raise BundleError(f"criteria[{i}]: amber must not exceed green"
                              + (", both between 0 and 1" if unit == "share" else ", both 0 or more"), file=source)
        c.setdefault("source", "not given")
        c.setdefault("rationale", "")
    return criteria


def zone(estimate: float | None, criterion: dict) -> str | None:
    if estimate is None:
        return None
    if estimate >= criterion["green"]:
        return "green"
    return "amber" if estimate >= criterion["amber"] else "red"


def assess(criterion: dict, estimate: float | None, ci95: list[float] | None, n: int | None = None) -> dict:
    """One criterion's zone, and the zones its 95% interval reaches.

    ``interval_zones`` runs from the zone of the lower limit to that of the upper limit;
    when it holds more than one zone the data cannot tell those zones apart
    (``settled`` is False).
    """
    z = zone(estimate, criterion)
    if ci95 is not None and estimate is not None:
        lo, hi = zone(ci95[0], criterion), zone(ci95[1], criterion)
        reached = list(ZONES[ZONES.index(lo):ZONES.index(hi) + 1])
    else:
        reached = [z] if z else []
    return {"id": criterion["id"], "label": criterion["label"], "unit": criterion["unit"], "estimate": estimate,
            "ci95": ci95, "n": n, "green": criterion["green"], "amber": criterion["amber"], "zone": z,
            "interval_zones": reached, "settled": len(reached) == 1 if reached else None,
            "source": criterion["source"], "rationale": criterion["rationale"]}
