"""Load and validate instrument definitions.

Every problem is reported as a :class:`DefinitionError` naming the file, the path
inside the document (``scales[1].items[3]``) and what is wrong, so a site editing a
definition can fix it without reading this code.
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import DefinitionError
from .model import (
    Band,
    ClinicalChange,
    Instrument,
    Item,
    Method,
    ResponseOption,
    SafetyRule,
    Scale,
    Severity,
    Topic,
)

_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text):
    """Parse YAML with libyaml when PyYAML has it (several times faster: the library is read
    at every start); a document it refuses is parsed again by the pure-Python parser, so
    errors read exactly as they always have."""
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(text)


REQUIRED_LANGUAGES = ("en", "es")
OPS = (">", ">=", "==", "<", "<=")


class _Checker:
    def __init__(self, source: str, languages: tuple[str, ...] = REQUIRED_LANGUAGES):
        self.source = source
        self.languages = languages

    def fail(self, path: str, problem: str):
        raise DefinitionError(self.source, path, problem)

    def get(self, data: Any, key: str, path: str, kind: type | tuple = object, default: Any = ..., ) -> Any:
        if not isinstance(data, dict):
            self.fail(path, "must be a mapping")
        if key not in data:
            if default is ...:
                self.fail(f"{path}.{key}".lstrip("."), "is required")
            return default
        value = data[key]
        if kind is not object and not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.fail(f"{path}.{key}".lstrip("."), f"must be a {names}, not {type(value).__name__}")
        return value

    def text(self, data: Any, path: str) -> dict[str, str]:
        """A label per language; every language of the definition is required."""
        if isinstance(data, str):
            self.fail(path, "needs a label per language (en, es), not a single string")
        if not isinstance(data, dict):
            self.fail(path, "must be a mapping of language to text")
        for lang in self.languages:
            value = data.get(lang)
            if not isinstance(value, str) or not value.strip():
                name = {"en": "English", "es": "Spanish"}.get(lang, lang)
                self.fail(f"{path}.{lang}", f"missing {name} label")
        return {lang: str(data[lang]) for lang in data}


def load_definition(path: str | Path, text: str | None = None) -> Instrument:
    """Read and validate one definition file."""
    path = Path(path)
    source = path.name
    try:
        raw = text if text is not None else path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise DefinitionError(source, "", "is a folder, not a definition file") from None
    except OSError as exc:
        raise DefinitionError(source, "", f"cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DefinitionError(source, "", "is not UTF-8 text") from None
    try:
        data = load_yaml(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise DefinitionError(source, where, f"is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return build_instrument(data, source)


def build_instrument(data: Any, source: str) -> Instrument:
    c = _Checker(source)
    if not isinstance(data, dict):
        c.fail("", "must be a mapping at the top level")
    languages = tuple(c.get(data, "languages", "", list))
    for lang in REQUIRED_LANGUAGES:
        if lang not in languages:
            c.fail("languages", f"must include {lang!r}")
    c.languages = languages
    ident = c.get(data, "id", "", str)
    structure_only = bool(c.get(data, "structure_only", "", bool, False))
    response_sets = _response_sets(c, c.get(data, "response_sets", "", dict, {}))
    defaults = c.get(data, "defaults", "", dict, {})
    items = _items(c, c.get(data, "items", "", list), response_sets, defaults, structure_only)
    by_id = {i.id: i for i in items}
    scales = _scales(c, c.get(data, "scales", "", list, []), by_id, defaults)
    if not scales and not structure_only and any(i.kind == "rated" for i in items):
        c.fail("scales", "a scored instrument needs at least one scale")
    safety = _safety(c, c.get(data, "safety", "", list, []), by_id, {s.id: s for s in scales})
    return Instrument(
        id=ident,
        version=str(c.get(data, "version", "", (str, int, float))),
        scoring_version=c.get(data, "scoring_version", "", str),
        name=c.get(data, "name", "", str),
        short_name=c.get(data, "short_name", "", str, ident.upper()),
        domain=c.get(data, "domain", "", str, ""),
        citation=c.get(data, "citation", "", str),
        licence=c.get(data, "licence", "", str),
        verified=c.get(data, "verified", "", bool),
        verification_note=c.get(data, "verification_note", "", str, ""),
        languages=languages,
        recall_period=c.text(c.get(data, "recall_period", "", dict), "recall_period"),
        items=tuple(items),
        scales=tuple(scales),
        safety=tuple(safety),
        structure_only=structure_only,
        source=source,
    )


def _response_sets(c: _Checker, data: dict) -> dict[str, tuple[ResponseOption, ...]]:
    sets = {}
    for name, options in data.items():
        path = f"response_sets.{name}"
        if not isinstance(options, list) or not options:
            c.fail(path, "must be a non-empty list of options")
        parsed = []
        for i, option in enumerate(options):
            value = c.get(option, "value", f"{path}[{i}]", int)
            if isinstance(value, bool):
                c.fail(f"{path}[{i}].value", "must be a whole number")
            parsed.append(ResponseOption(value, c.text(c.get(option, "label", f"{path}[{i}]"), f"{path}[{i}].label")))
        values = [o.value for o in parsed]
        if len(set(values)) != len(values):
            c.fail(path, f"repeats a value: {sorted(v for v in values if values.count(v) > 1)[0]}")
        sets[name] = tuple(parsed)
    return sets


def _items(c: _Checker, data: list, response_sets: dict, defaults: dict, structure_only: bool) -> list[Item]:
    items: list[Item] = []
    seen: set[str] = set()
    if not data and not structure_only:
        c.fail("items", "must list at least one item")
    for i, entry in enumerate(data):
        path = f"items[{i}]"
        item_id = c.get(entry, "id", path, (str, int))
        item_id = str(item_id)
        if item_id in seen:
            c.fail(f"{path}.id", f"duplicate item {item_id!r}")
        seen.add(item_id)
        kind = c.get(entry, "kind", path, str, "rated")
        if kind not in ("rated", "text"):
            c.fail(f"{path}.kind", "must be rated or text")
        label = c.text(c.get(entry, "label", path), f"{path}.label")
        if kind == "text":
            items.append(Item(id=item_id, label=label, kind="text"))
            continue
        set_name = c.get(entry, "responses", path, str, defaults.get("responses", ...))
        if set_name is ...:
            c.fail(f"{path}.responses", "is required (or set defaults.responses)")
        if set_name not in response_sets:
            c.fail(f"{path}.responses", f"unknown response set {set_name!r}")
        options = response_sets[set_name]
        values = [o.value for o in options]
        reverse = c.get(entry, "reverse", path, bool, False)
        score_map = c.get(entry, "score_map", path, dict, None)
        if score_map is not None:
            if reverse:
                c.fail(f"{path}.score_map", "give either reverse or score_map, not both")
            keys = {int(k) for k in score_map}
            if keys != set(values):
                c.fail(f"{path}.score_map", f"must map every coded value {values} exactly once")
            if len(set(score_map.values())) != len(score_map):
                c.fail(f"{path}.score_map", "is not a bijection: two values map to the same score")
            score_map = {int(k): float(v) for k, v in score_map.items()}
        na = c.get(entry, "na", path, dict, None)
        na_allowed, na_score = False, None
        if na is not None:
            na_allowed = True
            na_score = c.get(na, "score", f"{path}.na", (int, float, type(None)), None)
            if na_score is not None and not min(values) <= na_score <= max(values):
                c.fail(f"{path}.na.score", f"{na_score} is outside the coding {min(values)}–{max(values)}")
        items.append(Item(id=item_id, label=label, kind="rated", options=options, reverse=reverse,
                          score_map=score_map, na_allowed=na_allowed,
                          na_score=None if na_score is None else float(na_score)))
    return items


def _keyed_range(item: Item) -> tuple[float, float]:
    scores = [item.keyed(v) for v in item.values]
    if item.na_score is not None:
        scores.append(item.na_score)
    return min(scores), max(scores)


def _scales(c: _Checker, data: list, items: dict[str, Item], defaults: dict) -> list[Scale]:
    scales: list[Scale] = []
    seen: set[str] = set()
    default_missing = defaults.get("missing", {})
    for i, entry in enumerate(data):
        path = f"scales[{i}]"
        scale_id = c.get(entry, "id", path, str)
        if scale_id in seen:
            c.fail(f"{path}.id", f"duplicate scale {scale_id!r}")
        seen.add(scale_id)
        raw_items = c.get(entry, "items", path, (list, str))
        if raw_items == "all":
            member_ids = [k for k, v in items.items() if v.kind == "rated"]
        elif isinstance(raw_items, str):
            c.fail(f"{path}.items", "must be a list of item ids or 'all'")
        else:
            member_ids = [str(x) for x in raw_items]
        for j, item_id in enumerate(member_ids):
            if item_id not in items:
                c.fail(f"{path}.items[{j}]", f"unknown item {item_id!r}")
            if items[item_id].kind != "rated":
                c.fail(f"{path}.items[{j}]", f"item {item_id!r} is a text item and cannot be scored")
        if len(set(member_ids)) != len(member_ids):
            c.fail(f"{path}.items", "lists an item twice")
        if not member_ids:
            c.fail(f"{path}.items", "must list at least one item")
        try:
            method = Method(c.get(entry, "method", path, str))
        except ValueError:
            c.fail(f"{path}.method", "must be sum or mean")
        declared = c.get(entry, "range", path, list)
        if len(declared) != 2 or not all(isinstance(x, int | float) for x in declared):
            c.fail(f"{path}.range", "must be [min, max]")
        ranges = [_keyed_range(items[k]) for k in member_ids]
        if method == Method.SUM:
            expected = (sum(r[0] for r in ranges), sum(r[1] for r in ranges))
        else:
            expected = (min(r[0] for r in ranges), max(r[1] for r in ranges))
        if tuple(float(x) for x in declared) != tuple(float(x) for x in expected):
            c.fail(f"{path}.range", f"{declared} does not match the items, which give {list(expected)}")
        missing = {**default_missing, **c.get(entry, "missing", path, dict, {})}
        fraction = missing.get("max_missing_fraction", 0.2)
        if not isinstance(fraction, int | float) or not 0 <= fraction < 1:
            c.fail(f"{path}.missing.max_missing_fraction", "must be a fraction from 0 up to (not including) 1")
        max_missing = math.floor(fraction * len(member_ids) + 1e-9)
        prorate = bool(missing.get("prorate", method == Method.SUM))
        lower = c.get(entry, "lower_is_better", path, (bool, type(None)))
        bands, bands_source = [], ""
        raw_bands = c.get(entry, "bands", path, dict, None)
        if raw_bands is not None:
            bands_source = c.get(raw_bands, "source", f"{path}.bands", str)
            starts = c.get(raw_bands, "from", f"{path}.bands", list)
            previous = None
            for k, band in enumerate(starts):
                bpath = f"{path}.bands.from[{k}]"
                at = c.get(band, "at", bpath, (int, float))
                if not expected[0] <= at <= expected[1]:
                    c.fail(f"{bpath}.at", f"band at {at} is outside the range {list(expected)}")
                if k == 0 and at != expected[0]:
                    c.fail(f"{bpath}.at", f"the first band must start at the scale minimum {expected[0]}")
                if previous is not None and at <= previous:
                    c.fail(f"{bpath}.at", "bands must start in increasing order")
                previous = at
                bands.append(Band(float(at), c.text(c.get(band, "label", bpath), f"{bpath}.label"),
                                  bool(band.get("flag", False))))
        reliability, reliability_source = None, ""
        raw_rel = c.get(entry, "reliability", path, dict, None)
        if raw_rel is not None:
            reliability = c.get(raw_rel, "value", f"{path}.reliability", (float, type(None)))
            reliability_source = c.get(raw_rel, "source", f"{path}.reliability", str)
            if reliability is not None and not 0 < reliability < 1:
                c.fail(f"{path}.reliability.value", "must be between 0 and 1")
        scales.append(Scale(
            id=scale_id, name=c.text(c.get(entry, "name", path), f"{path}.name"), items=tuple(member_ids),
            method=method, score_min=float(expected[0]), score_max=float(expected[1]), lower_is_better=lower,
            max_missing=max_missing, prorate=prorate, decimals=c.get(entry, "decimals", path, int,
                                                                       1 if method == Method.SUM else 2),
            bands=tuple(bands), bands_source=bands_source, reliability=reliability,
            reliability_source=reliability_source,
            clinical_change=_clinical_change(c, c.get(entry, "clinical_change", path, dict, None),
                                             f"{path}.clinical_change", expected),
        ))
    return scales


def _clinical_change(c: _Checker, raw: dict | None, path: str, expected) -> ClinicalChange | None:
    """``clinical_change``: a published cut-off and/or normative and clinical (mean, SD), each with a source."""
    if raw is None:
        return None

    def fact(key):
        entry = c.get(raw, key, path, dict, None)
        if entry is None:
            return None, ""
        value = c.get(entry, "value", f"{path}.{key}", (int, float))
        return float(value), c.get(entry, "source", f"{path}.{key}", str)

    cutoff, cutoff_source = fact("cutoff")
    if cutoff is not None and not expected[0] < cutoff <= expected[1]:
        c.fail(f"{path}.cutoff.value", f"{cutoff:g} is outside the scale range {list(expected)}")
    rc_points, rc_source = fact("reliable_change_points")
    functional = dysfunctional = None
    norms_source = ""
    norms = c.get(raw, "norms", path, dict, None)
    if norms is not None:
        pairs = []
        for key in ("functional", "dysfunctional"):
            group = c.get(norms, key, f"{path}.norms", dict)
            mean = c.get(group, "mean", f"{path}.norms.{key}", (int, float))
            sd = c.get(group, "sd", f"{path}.norms.{key}", (int, float))
            if sd <= 0:
                c.fail(f"{path}.norms.{key}.sd", "must be positive")
            pairs.append((float(mean), float(sd)))
        functional, dysfunctional = pairs
        norms_source = c.get(norms, "source", f"{path}.norms", str)
    return ClinicalChange(cutoff=cutoff, cutoff_source=cutoff_source, functional=functional,
                          dysfunctional=dysfunctional, norms_source=norms_source, rc_points=rc_points,
                          rc_points_source=rc_source)


def _safety(c: _Checker, data: list, items: dict[str, Item], scales: dict[str, Scale]) -> list[SafetyRule]:
    rules = []
    seen = set()
    for i, entry in enumerate(data):
        path = f"safety[{i}]"
        rule_id = c.get(entry, "id", path, str)
        if rule_id in seen:
            c.fail(f"{path}.id", f"duplicate safety rule {rule_id!r}")
        seen.add(rule_id)
        try:
            severity = Severity(c.get(entry, "severity", path, str))
        except ValueError:
            c.fail(f"{path}.severity", "must be urgent or follow_up")
        item = entry.get("item")
        scale = entry.get("scale")
        if (item is None) == (scale is None):
            c.fail(path, "must name exactly one of item or scale")
        if item is not None and str(item) not in items:
            c.fail(f"{path}.item", f"unknown item {item!r}")
        if scale is not None and scale not in scales:
            c.fail(f"{path}.scale", f"unknown scale {scale!r}")
        op = c.get(entry, "op", path, str)
        if op not in OPS:
            c.fail(f"{path}.op", f"must be one of {', '.join(OPS)}")
        try:
            topic = Topic(c.get(entry, "topic", path, str, Topic.DISTRESS.value))
        except ValueError:
            c.fail(f"{path}.topic", f"must be one of {', '.join(t.value for t in Topic)}")
        rules.append(SafetyRule(id=rule_id, severity=severity, item=None if item is None else str(item),
                                scale=scale, op=op, threshold=float(c.get(entry, "value", path, (int, float))),
                                message=c.text(c.get(entry, "message", path), f"{path}.message"), topic=topic))
    return rules


class Library:
    """All definitions, by id (the newest version of each unless asked otherwise)."""

    def __init__(self, instruments: list[Instrument]):
        self._by_id: dict[str, list[Instrument]] = {}
        for inst in instruments:
            self._by_id.setdefault(inst.id, []).append(inst)
        for versions in self._by_id.values():
            versions.sort(key=lambda i: i.version)

    def get(self, instrument_id: str, version: str | None = None) -> Instrument:
        versions = self._by_id.get(instrument_id)
        if not versions:
            raise KeyError(instrument_id)
        if version is None:
            return versions[-1]
        for inst in versions:
            if inst.version == version:
                return inst
        raise KeyError(f"{instrument_id} version {version}")

    def __contains__(self, instrument_id: str) -> bool:
        return instrument_id in self._by_id

    def __iter__(self):
        return iter(versions[-1] for _, versions in sorted(self._by_id.items()))

    def ids(self) -> list[str]:
        return sorted(self._by_id)


@lru_cache(maxsize=1)
def library() -> Library:
    """The shipped library (validated once per process)."""
    folder = resources.files("nurture.instruments") / "library"
    instruments = [load_definition(Path(str(entry)), entry.read_text(encoding="utf-8"))
                   for entry in sorted(folder.iterdir(), key=lambda p: p.name) if entry.name.endswith(".yaml")]
    return Library(instruments)
