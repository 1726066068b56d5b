"""A deterministic synthetic study shaped like the Nurturing Connections pilot."""
