"""The staff pages load the shared filters as ``{% load nurture_format %}``."""

from nurture.common.templatetags import register  # noqa: F401
