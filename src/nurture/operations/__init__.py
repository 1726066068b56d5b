"""Running a Nurture server: backups, restores and the configuration self-check."""
