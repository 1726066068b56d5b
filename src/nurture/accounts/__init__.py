"""Roles, site scoping and the audit log."""
