"""Pure domain types. This package imports nothing else of Lookout's."""
