"""The checks: one module per check type, each a small async function behind `Check`."""
