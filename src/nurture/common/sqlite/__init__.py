"""SQLite with writers queued on a file lock (see :mod:`.base`)."""
