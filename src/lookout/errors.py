"""Errors the services raise; each API turns them into its own shape.

LookoutError
├── NotFoundError        the thing does not exist, or belongs to another team
├── ValidationFailed     input breaks a rule; carries field -> messages
└── AuthenticationError  no valid credential
"""

from __future__ import annotations


class LookoutError(Exception):
    pass


class NotFoundError(LookoutError):
    pass


class AuthenticationError(LookoutError):
    pass


class ValidationFailed(LookoutError):  # noqa: N818 - reads as what happened, like the 422 it becomes
    """`errors` maps a field (dotted for nested ones) to messages written for a person."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("The given data was invalid.")
        self.errors = errors
