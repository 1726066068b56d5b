"""REDCap interchange, both ways.

- :mod:`.export` — Nurture instruments and answers as a REDCap project.
- :mod:`.dictionary`, :mod:`.mapping`, :mod:`.starter`, :mod:`.importer` — a REDCap
  project's records into a bundle (or, through ``nurture.capture.imports``, into the
  study database), without ever silently changing a score.
"""

from .common import MISSING_CODES, RedcapError
from .dictionary import Dictionary, Field, compare_coding, read_dictionary
from .export import data_dictionary, export_redcap, records
from .importer import (
    ImportResult,
    Project,
    Summary,
    bundle_files,
    check_folder,
    import_project,
    import_records,
    read_project,
    write_import,
)
from .mapping import Mapping, Target, load_mapping
from .starter import starter_mapping

__all__ = ["MISSING_CODES", "RedcapError", "Dictionary", "Field", "compare_coding", "read_dictionary",
           "data_dictionary", "export_redcap", "records", "ImportResult", "Project", "Summary", "bundle_files", "check_folder",
           "import_project", "import_records", "read_project", "write_import", "Mapping", "Target", "load_mapping",
           "starter_mapping"]
