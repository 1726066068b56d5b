"""Nurture: runs and evaluates the Nurturing Connections mother-infant group program."""

__version__ = "0.1.0"
