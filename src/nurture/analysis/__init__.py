"""Evaluation engine — pure Python, no Django.

Reads a study bundle (DESIGN §5.3) and answers the pilot's three questions in order:
feasibility, acceptability, preliminary efficacy; the result is the ``results.json``
document (schema ``nurture.results/3``, DESIGN §5.4; docs/data-formats.md).
"""
