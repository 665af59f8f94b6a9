"""Rules, queue numbers and queries over the canonical tables."""
