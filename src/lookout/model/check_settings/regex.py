"""Regular expressions users type, compiled by RE2.

RE2 matches in time linear in the text, so a pattern such as `^(a+)+$` cannot stall the
event loop the way Python's backtracking `re` would. The price is that backreferences and
lookaround are refused; they are refused when the settings are saved.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

import re2


class UserRegex(Protocol):
    def search(self, text: str) -> object | None: ...


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is the user's 422, not our stderr
_OPTIONS.max_mem = 1 << 20  # per pattern; a header rule needs far less than RE2's 8 MiB default

UNSUPPORTED = "backreferences and lookaround are not supported"


@lru_cache(maxsize=4096)
def compile_user_regex(pattern: str) -> UserRegex:
    """The compiled pattern; ValueError, in a person's words, when RE2 refuses it."""
    try:
        compiled: UserRegex = re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", errors="replace")
        raise ValueError(f"must be a valid regular expression ({UNSUPPORTED}): {reason}") from None
    return compiled
