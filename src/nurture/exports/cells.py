"""Spreadsheet formula injection: text that would start a formula is made inert.

A spreadsheet program treats a cell beginning with ``=``, ``+``, ``-`` or ``@`` (and, in
some, tab or carriage return) as a formula — so a cohort named ``=HYPERLINK(…)`` or an
open answer typed by anyone becomes a live formula on the researcher's computer. Every
text cell of a spreadsheet-bound file (the wide Excel workbook and its codebook, the
bundle's CSV text columns: names of cohorts and sites, reasons, notes, open answers)
goes through :func:`neutralise`, which puts an apostrophe before such text, the
convention spreadsheets themselves use for "this is text". Numbers are left alone.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """``value`` with a leading apostrophe when it is text that would start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_columns(frame, columns):
    """A copy of ``frame`` with the named text columns neutralised (missing columns skipped)."""
    frame = frame.copy()
    for column in columns:
        if column in frame.columns:
            frame[column] = frame[column].map(neutralise)
    return frame
