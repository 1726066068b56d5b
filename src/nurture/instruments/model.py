"""The in-memory form of an instrument definition (built and checked by ``loader``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Method(StrEnum):
    SUM = "sum"
    MEAN = "mean"


class Severity(StrEnum):
    URGENT = "urgent"
    FOLLOW_UP = "follow_up"


class Topic(StrEnum):
    """What a safety rule is about; it decides what the mother is shown and what staff read."""

    SELF_HARM = "self_harm"  # thoughts of harming herself
    INFANT_SAFETY = "infant_safety"  # a risk to the baby
    DISTRESS = "distress"  # high symptom scores that need a follow-up call


@dataclass(frozen=True)
class ResponseOption:
    value: int
    label: dict[str, str]


@dataclass(frozen=True)
class Item:
    id: str
    label: dict[str, str]
    kind: str  # "rated" or "text"
    options: tuple[ResponseOption, ...] = ()
    reverse: bool = False
    score_map: dict[int, float] | None = None  # explicit value -> keyed score
    na_allowed: bool = False
    na_score: float | None = None  # None: "na" is unscored (treated as unanswered)

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options)

    @property
    def min_value(self) -> int:
        return min(self.values)

    @property
    def max_value(self) -> int:
        return max(self.values)

    def keyed(self, value: int) -> float:
        """The keyed score of a coded response (after reverse-keying or mapping)."""
        if self.score_map is not None:
            return self.score_map[value]
        return (self.min_value + self.max_value) - value if self.reverse else value


@dataclass(frozen=True)
class Band:
    start: float  # inclusive lower edge; the band runs to the next band's start
    label: dict[str, str]
    flag: bool = False  # a clinically relevant band (above a cut-off)


@dataclass(frozen=True)
class Scale:
    id: str
    name: dict[str, str]
    items: tuple[str, ...]
    method: Method
    score_min: float
    score_max: float
    lower_is_better: bool | None
    max_missing: int  # items that may be missing and the scale still scored
    prorate: bool
    decimals: int
    bands: tuple[Band, ...] = ()
    bands_source: str = ""
    reliability: float | None = None
    reliability_source: str = ""

    def band_for(self, score: float) -> Band | None:
        found = None
        for band in self.bands:
            if score >= band.start:
                found = band
        return found


@dataclass(frozen=True)
class SafetyRule:
    id: str
    severity: Severity
    item: str | None
    scale: str | None
    op: str  # ">", ">=", "==", "<", "<="
    threshold: float
    message: dict[str, str]
    topic: Topic = Topic.DISTRESS

    def fires(self, observed: float | None) -> bool:
        if observed is None:
            return False
        return {
            ">": observed > self.threshold, ">=": observed >= self.threshold, "==": observed == self.threshold,
            "<": observed < self.threshold, "<=": observed <= self.threshold,
        }[self.op]

    @property
    def subject(self) -> str:
        return f"item {self.item}" if self.item else f"scale {self.scale}"

    @property
    def worse_is_higher(self) -> bool:
        """Whether a higher observed value is further past the threshold (``>``, ``>=``)."""
        return self.op in (">", ">=")


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    scoring_version: str
    name: str
    short_name: str
    domain: str
    citation: str
    licence: str
    verified: bool
    verification_note: str
    languages: tuple[str, ...]
    recall_period: dict[str, str]
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    safety: tuple[SafetyRule, ...] = ()
    structure_only: bool = False
    source: str = ""
    _items_by_id: dict[str, Item] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        self._items_by_id.update({item.id: item for item in self.items})

    def item(self, item_id: str) -> Item:
        return self._items_by_id[item_id]

    def has_item(self, item_id: str) -> bool:
        return item_id in self._items_by_id

    def scale(self, scale_id: str) -> Scale:
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(scale_id)

    @property
    def rated_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.kind == "rated")

    @property
    def safety_items(self) -> frozenset[str]:
        return frozenset(rule.item for rule in self.safety if rule.item)
