"""Schools and their connectivity."""
