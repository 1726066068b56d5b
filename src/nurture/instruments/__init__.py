"""Questionnaire definitions and scoring — pure Python, no Django.

    from nurture.instruments import library, score
    epds = library().get("epds")
    result = score(epds, {"1": 0, "2": 1, ...})

Definitions live in ``library/*.yaml`` (one file per instrument version). They carry
our own paraphrased labels only; official wording is installed by a licensed site
with ``nurture instruments load-wording`` (see ``wording.py``).
"""

from .errors import DefinitionError, ResponseError
from .loader import Library, library, load_definition
from .model import Instrument, Item, Scale
from .scoring import ScaleScore, ScoreSet, score, score_table

__all__ = [
    "DefinitionError", "ResponseError", "Library", "library", "load_definition", "Instrument", "Item", "Scale",
    "ScaleScore", "ScoreSet", "score", "score_table",
]
