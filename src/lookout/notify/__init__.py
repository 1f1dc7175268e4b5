"""Notifications: destinations, channels, the alert policy and the outbox that sends."""
