"""Reading datasets into the canonical tables."""
