"""What an HTTP uptime check expects of a response, each rule a small pure function.

Each returns None when the response passes, else the reason it does not, in a person's words.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from lookout.model.check_settings import ExpectedResponseHeader, HeaderCondition, HttpUptimeSettings
from lookout.model.check_settings.regex import compile_user_regex
from lookout.net.http import HttpResponse


def _glob(text: str, pattern: str) -> bool:
    # Patterns are at most three characters (the settings model checks), so this stays tiny.
    if not pattern:
        return not text
    if pattern[0] == "*":
        return any(_glob(text[skip:], pattern[1:]) for skip in range(len(text) + 1))
    return bool(text) and text[0] == pattern[0] and _glob(text[1:], pattern[1:])


def status_matches(status: int, pattern: str) -> bool:
    """`2*` matches every 2xx, `30*` every 30x, `301` only 301: each `*` is any digits."""
    return _glob(str(status), pattern)


def check_status(response: HttpResponse, settings: HttpUptimeSettings) -> str | None:
    if any(status_matches(response.status, pattern) for pattern in settings.valid_status_codes):
        return None
    return f"expected status {' or '.join(settings.valid_status_codes)}, got {response.status}"


def _normal_url(url: str) -> str:
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def check_final_url(response: HttpResponse, settings: HttpUptimeSettings) -> str | None:
    expected = settings.expected_final_redirect_url
    if not expected or _normal_url(expected) == _normal_url(response.final_url):
        return None
    return f"ended at {response.final_url} instead of {expected}"


def check_look_for(response: HttpResponse, settings: HttpUptimeSettings) -> str | None:
    wanted = settings.look_for_string
    if not wanted or wanted in response.text:
        return None
    return f"'{wanted}' not found in the response"


def check_absent(response: HttpResponse, settings: HttpUptimeSettings) -> str | None:
    unwanted = settings.absent_string
    if not unwanted or unwanted not in response.text:
        return None
    return f"'{unwanted}' found in the response"


def _matches(got: str, rule: ExpectedResponseHeader) -> bool:
    # RE2, compiled when the settings were validated: linear in the header, never per run.
    regex = rule.regex or compile_user_regex(rule.value)
    return regex.search(got) is not None


_HEADER_RULES: dict[HeaderCondition, tuple[str, Callable[[str, ExpectedResponseHeader], bool]]] = {
    HeaderCondition.EQUALS: ("to equal", lambda got, rule: got == rule.value),
    HeaderCondition.NOT_EQUALS: ("not to equal", lambda got, rule: got != rule.value),
    HeaderCondition.CONTAINS: ("to contain", lambda got, rule: rule.value in got),
    HeaderCondition.NOT_CONTAINS: ("not to contain", lambda got, rule: rule.value not in got),
    HeaderCondition.MATCHES_REGEX: ("to match", _matches),
}

# A missing header passes the negative conditions: it neither equals nor contains anything.
_PASSES_WHEN_MISSING = frozenset({HeaderCondition.NOT_EQUALS, HeaderCondition.NOT_CONTAINS})


def check_header(response: HttpResponse, expected: ExpectedResponseHeader) -> str | None:
    verb, holds = _HEADER_RULES[expected.condition]
    name = expected.name.lower()
    got = response.headers.get(name)
    if got is None:
        if expected.condition in _PASSES_WHEN_MISSING:
            return None
        return f"header {name} expected {verb} '{expected.value}', but it is missing"
    if holds(got, expected):
        return None
    return f"header {name} expected {verb} '{expected.value}', got '{got}'"


def check_headers(response: HttpResponse, settings: HttpUptimeSettings) -> str | None:
    for expected in settings.expected_response_headers:
        problem = check_header(response, expected)
        if problem:
            return problem
    return None


RESPONSE_RULES: tuple[Callable[[HttpResponse, HttpUptimeSettings], str | None], ...] = (
    check_status,
    check_final_url,
    check_look_for,
    check_absent,
    check_headers,
)
"""In the order their failures are reported; the first one names the summary."""


def problems(response: HttpResponse, settings: HttpUptimeSettings) -> list[str]:
    return [problem for rule in RESPONSE_RULES if (problem := rule(response, settings))]
