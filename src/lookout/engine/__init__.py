"""Scheduling, queueing, running and judging checks."""
