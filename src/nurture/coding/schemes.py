"""Coding schemes: rating scales for recorded interactions and theme codebooks for text.

Like the instrument library, a scheme is a YAML definition checked by a loader that
refuses a malformed file with a message naming the file and the field. This module
is plain Python (no Django), so the command line can validate a scheme without a
database. Shipped schemes live in ``coding/library``; they are written in our own
words (no wording from any published coding manual).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from nurture.instruments.loader import load_yaml


class SchemeError(ValueError):
    """A scheme definition, or values coded with it, that break the scheme's rules."""


@dataclass(frozen=True)
class Anchor:
    value: int
    label: str


@dataclass(frozen=True)
class RatingItem:
    id: str
    label: str
    definition: str
    anchors: tuple[Anchor, ...]
    reverse: bool = False


@dataclass(frozen=True)
class Subscale:
    id: str
    name: str
    items: tuple[str, ...]
    lower_is_better: bool | None


@dataclass(frozen=True)
class RatingScheme:
    """A rating scale: every item rated on ``min_value``…``max_value``; subscales are item means."""

    id: str
    version: str
    name: str
    short_name: str
    description: str
    citation: str
    min_value: int
    max_value: int
    consensus_tolerance: float
    items: tuple[RatingItem, ...]
    subscales: tuple[Subscale, ...]
    kind: str = "rating"

    @property
    def values(self) -> range:
        return range(self.min_value, self.max_value + 1)

    def item(self, item_id: str) -> RatingItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def keyed(self, item: RatingItem, value: float) -> float:
        return (self.min_value + self.max_value) - value if item.reverse else value

    def clean_values(self, raw: dict) -> dict[str, int]:
        """Every item rated once, a whole number in range; returns ``{item id: value}``."""
        known = {item.id for item in self.items}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise SchemeError(f"{self.short_name} has no item {unknown[0]!r}")
        clean = {}
        for item in self.items:
            value = raw.get(item.id)
            if value is None or str(value).strip() == "":
                raise SchemeError(f"Rate every item: {item.label} is not rated.")
            try:
                number = int(str(value).strip())
            except ValueError:
                raise SchemeError(f"{item.label}: {value!r} is not a rating.") from None
            if number not in self.values:
                raise SchemeError(f"{item.label}: {number} is outside {self.min_value}–{self.max_value}.")
            clean[item.id] = number
        return clean

    def score(self, values: dict[str, float]) -> dict[str, float | None]:
        """Subscale scores: the mean of the keyed item values (None when an item is missing)."""
        out: dict[str, float | None] = {}
        for sub in self.subscales:
            keyed = [self.keyed(self.item(i), float(values[i])) for i in sub.items if values.get(i) is not None]
            out[sub.id] = round(sum(keyed) / len(keyed), 4) if len(keyed) == len(sub.items) else None
        return out

    def disagreements(self, first: dict, second: dict) -> list[str]:
        """Items on which two codings differ by more than the consensus tolerance."""
        return [item.id for item in self.items
                if abs(float(first[item.id]) - float(second[item.id])) > self.consensus_tolerance + 1e-9]


@dataclass(frozen=True)
class Code:
    id: str
    label: str
    definition: str
    include: str = ""
    exclude: str = ""
    parent: str | None = None
    quotable: bool = True  # False: its segments never serve as exemplar quotes ("no codable content")


@dataclass(frozen=True)
class Codebook:
    """Themes (top level) and the codes under them; coders tag a segment with one or more codes."""

    id: str
    version: str
    name: str
    short_name: str
    description: str
    citation: str
    codes: tuple[Code, ...]
    kind: str = "themes"

    @property
    def themes(self) -> tuple[Code, ...]:
        return tuple(c for c in self.codes if c.parent is None)

    @property
    def leaves(self) -> tuple[Code, ...]:
        parents = {c.parent for c in self.codes}
        return tuple(c for c in self.codes if c.id not in parents)

    def children(self, code_id: str) -> tuple[Code, ...]:
        return tuple(c for c in self.codes if c.parent == code_id)

    def code(self, code_id: str) -> Code:
        for code in self.codes:
            if code.id == code_id:
                return code
        raise KeyError(code_id)

    def theme_of(self, code_id: str) -> Code:
        code = self.code(code_id)
        while code.parent is not None:
            code = self.code(code.parent)
        return code

    def clean_codes(self, raw) -> list[str]:
        """At least one code, each a code of this codebook that has no codes under it; sorted."""
        chosen = sorted({str(c).strip() for c in raw if str(c).strip()})
        if not chosen:
            raise SchemeError("Choose at least one code (use “No codable content” when nothing applies).")
        leaves = {c.id for c in self.leaves}
        for code_id in chosen:
            if code_id not in leaves:
                known = any(c.id == code_id for c in self.codes)
                raise SchemeError(f"{code_id!r} is a theme; choose one of its codes." if known
                                  else f"{self.short_name} has no code {code_id!r}.")
        return chosen


Scheme = RatingScheme | Codebook


# ---------------------------------------------------------------- loading


def _text(data: dict, key: str, where: str, required: bool = True) -> str:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise SchemeError(f"{where}: '{key}' is required")
        return ""
    if not isinstance(value, str | int | float):
        raise SchemeError(f"{where}: '{key}' must be text")
    return str(value).strip()


def _anchors(raw, where: str, lo: int, hi: int) -> tuple[Anchor, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise SchemeError(f"{where}: 'anchors' must map ratings to descriptions")
    anchors = []
    for value, label in raw.items():
        if not isinstance(value, int) or not lo <= value <= hi:
            raise SchemeError(f"{where}: anchor {value!r} is not a rating between {lo} and {hi}")
        anchors.append(Anchor(value, str(label).strip()))
    return tuple(sorted(anchors, key=lambda a: a.value))


def _rating(data: dict, name: str) -> RatingScheme:
    values = data.get("values") or {}
    lo, hi = values.get("min"), values.get("max")
    if not isinstance(lo, int) or not isinstance(hi, int) or hi <= lo:
        raise SchemeError(f"{name}: 'values' needs whole numbers min < max")
    default_anchors = _anchors(data.get("anchors"), name, lo, hi)
    items, seen = [], set()
    for n, raw in enumerate(data.get("items") or [], start=1):
        where = f"{name}, item {n}"
        if not isinstance(raw, dict):
            raise SchemeError(f"{where}: must be a mapping")
        item_id = _text(raw, "id", where)
        if item_id in seen:
            raise SchemeError(f"{where}: duplicate item id {item_id!r}")
        seen.add(item_id)
        items.append(RatingItem(item_id, _text(raw, "label", where), _text(raw, "definition", where),
                                _anchors(raw.get("anchors"), where, lo, hi) or default_anchors,
                                bool(raw.get("reverse", False))))
    if not items:
        raise SchemeError(f"{name}: a rating scale needs items")
    subscales = []
    for n, raw in enumerate(data.get("subscales") or [], start=1):
        where = f"{name}, subscale {n}"
        members = raw.get("items") if isinstance(raw, dict) else None
        if not isinstance(members, list) or not members:
            raise SchemeError(f"{where}: 'items' must list item ids")
        missing = [str(i) for i in members if str(i) not in seen]
        if missing:
            raise SchemeError(f"{where}: unknown item {missing[0]!r}")
        lower = raw.get("lower_is_better")
        if lower not in (True, False, None):
            raise SchemeError(f"{where}: 'lower_is_better' must be true, false or empty")
        subscales.append(Subscale(_text(raw, "id", where), _text(raw, "name", where),
                                  tuple(str(i) for i in members), lower))
    if not subscales:
        raise SchemeError(f"{name}: a rating scale needs at least one subscale")
    tolerance = data.get("consensus_tolerance", 0)
    if not isinstance(tolerance, int | float) or tolerance < 0:
        raise SchemeError(f"{name}: 'consensus_tolerance' must be a number of points, 0 or more")
    return RatingScheme(
        id=_text(data, "id", name), version=_text(data, "version", name), name=_text(data, "name", name),
        short_name=_text(data, "short_name", name, required=False) or _text(data, "id", name),
        description=_text(data, "description", name, required=False),
        citation=_text(data, "citation", name, required=False), min_value=lo, max_value=hi,
        consensus_tolerance=float(tolerance), items=tuple(items), subscales=tuple(subscales))


def _walk_codes(raw_codes, parent: str | None, name: str, out: list[Code], seen: set[str]) -> None:
    if not isinstance(raw_codes, list):
        raise SchemeError(f"{name}: 'codes' must be a list")
    for raw in raw_codes:
        where = f"{name}, code {raw.get('id', '?') if isinstance(raw, dict) else '?'}"
        if not isinstance(raw, dict):
            raise SchemeError(f"{where}: must be a mapping")
        code_id = _text(raw, "id", where)
        if code_id in seen:
            raise SchemeError(f"{where}: duplicate code id {code_id!r}")
        seen.add(code_id)
        out.append(Code(code_id, _text(raw, "label", where), _text(raw, "definition", where),
                        _text(raw, "include", where, required=False), _text(raw, "exclude", where, required=False),
                        parent, bool(raw.get("quotable", True))))
        if raw.get("codes"):
            _walk_codes(raw["codes"], code_id, name, out, seen)


def _codebook(data: dict, name: str) -> Codebook:
    codes: list[Code] = []
    _walk_codes(data.get("codes") or [], None, name, codes, set())
    if not codes:
        raise SchemeError(f"{name}: a codebook needs codes")
    return Codebook(
        id=_text(data, "id", name), version=_text(data, "version", name), name=_text(data, "name", name),
        short_name=_text(data, "short_name", name, required=False) or _text(data, "id", name),
        description=_text(data, "description", name, required=False),
        citation=_text(data, "citation", name, required=False), codes=tuple(codes))


def parse_scheme(text: str, name: str = "scheme") -> Scheme:
    """Build a scheme from YAML text; ``name`` (a file name) prefixes every error."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise SchemeError(f"{name}: not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise SchemeError(f"{name}: a scheme is a mapping with id, kind, version, name")
    kind = data.get("kind")
    if kind == "rating":
        return _rating(data, name)
    if kind == "themes":
        return _codebook(data, name)
    raise SchemeError(f"{name}: 'kind' must be rating or themes")


def load_scheme(path: Path) -> Scheme:
    return parse_scheme(Path(path).read_text(encoding="utf-8"), Path(path).name)


@lru_cache(maxsize=1)
def library() -> dict[str, Scheme]:
    """The shipped schemes by id."""
    folder = resources.files("nurture.coding") / "library"
    schemes: dict[str, Scheme] = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            scheme = parse_scheme(entry.read_text(encoding="utf-8"), entry.name)
            schemes[scheme.id] = scheme
    return schemes


def rating_scheme(scheme_id: str) -> RatingScheme:
    scheme = library().get(scheme_id)
    if not isinstance(scheme, RatingScheme):
        raise SchemeError(f"no rating scale {scheme_id!r} in the coding library")
    return scheme


def codebook(codebook_id: str) -> Codebook:
    scheme = library().get(codebook_id)
    if not isinstance(scheme, Codebook):
        raise SchemeError(f"no codebook {codebook_id!r} in the coding library")
    return scheme
