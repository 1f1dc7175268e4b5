"""The Oh Dear-compatible REST API under /api."""
