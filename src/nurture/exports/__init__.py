"""Exports: the database → study bundle bridge, de-identification, statistical-package files."""
