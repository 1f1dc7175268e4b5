"""The HTTP APIs: thin translators over the services."""
