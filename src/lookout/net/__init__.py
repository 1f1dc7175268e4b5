"""Shared network I/O with no domain knowledge: guard, resolver, HTTP, TCP, ICMP."""
