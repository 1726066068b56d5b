"""Small shared helpers: errors, formatting of numbers, intervals and dates."""
