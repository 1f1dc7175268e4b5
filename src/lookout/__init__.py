"""Lookout: a self-hosted uptime and site-health monitor with DNS failover."""

__version__ = "0.1.0"
