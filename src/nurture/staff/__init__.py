"""Staff web interface (coordinators, facilitators, researchers, administrators)."""
