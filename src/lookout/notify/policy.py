"""The alert policy, pure: should this event go to this destination now?

The evaluator has already applied the check's threshold (a `failed` state change exists
only once a check is down), so the policy decides only about people: a destination's
filter, silence (snoozes of the check or of every subject it fails for, maintenance, a
monitor muted or past its own hourly limit),
telling a recovery only to those who were told of the failure, and flood control (a
destination's rate per minute and a check's flapping per hour fold the excess into one
summary message).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from lookout.model import events


class Verdict(StrEnum):
    SEND = "send"
    SKIP = "skip"  # not for this destination: no record kept
    SUPPRESS = "suppressed"  # decided against, kept for the record
    COLLAPSE = "collapsed"  # folded into the destination's next summary message


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    # Messages a destination gets in one minute before the rest become one summary.
    rate_per_minute: int = 10
    # Messages about one check a destination gets in an hour before the rest are summarised.
    flap_per_hour: int = 6
    # How often to remind that a check is still down; None: never.
    reminder_every: timedelta | None = timedelta(hours=24)
    # State changes older than this when first looked at are not told (a backlog after an
    # upgrade or a long stop is history, not news).
    max_event_age: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Situation:
    """What the outbox knows when it decides one event for one destination."""

    kind: str
    notification_type: str
    destination_types: tuple[str, ...]
    enabled: bool
    event_at: datetime
    now: datetime
    snoozed: bool = False
    # The check says every subject it fails (or warns) for is snoozed until then
    # (model/events.SILENCED_UNTIL): held while it lies ahead.
    silenced_until: datetime | None = None
    in_maintenance: bool = False
    # For recovered/fixed: was this destination told of the failure or warning it closes?
    opener_told: bool = True
    sent_this_minute: int = 0
    sent_for_check_this_hour: int = 0
    # The monitor's own limits (whoever owns it set them): muted, or at most this many
    # messages about it to one destination in an hour.
    monitor_muted: bool = False
    monitor_max_per_hour: int | None = None
    sent_for_monitor_this_hour: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    reason: str = ""


FLAPPING = "flapping"
MONITOR_MUTED = "monitor muted"
MONITOR_HOURLY_LIMIT = "monitor's hourly limit"
CLOSING_KINDS = frozenset({events.RECOVERED, events.FIXED})


def decide(s: Situation, config: PolicyConfig) -> Decision:
    if not s.enabled:
        return Decision(Verdict.SKIP, "destination disabled")
    if not events.wanted(s.destination_types, s.notification_type):
        return Decision(Verdict.SKIP, "not a type this destination wants")
    if s.kind != events.REMINDER and s.now - s.event_at > config.max_event_age:
        return Decision(Verdict.SKIP, "too old to tell")
    if s.monitor_muted:
        return Decision(Verdict.SUPPRESS, MONITOR_MUTED)
    if s.snoozed or (s.silenced_until is not None and s.silenced_until > s.now):
        return Decision(Verdict.SUPPRESS, "snoozed")
    if s.in_maintenance:
        return Decision(Verdict.SUPPRESS, "in maintenance")
    if s.kind in CLOSING_KINDS and not s.opener_told:
        return Decision(Verdict.SUPPRESS, "nobody was told it broke")
    if s.monitor_max_per_hour is not None and s.sent_for_monitor_this_hour >= s.monitor_max_per_hour:
        return Decision(Verdict.SUPPRESS, MONITOR_HOURLY_LIMIT)
    if s.sent_this_minute >= config.rate_per_minute:
        return Decision(Verdict.COLLAPSE, "rate limit per destination")
    if s.sent_for_check_this_hour >= config.flap_per_hour:
        return Decision(Verdict.COLLAPSE, FLAPPING)
    return Decision(Verdict.SEND)


def reminder_number(failed_at: datetime, now: datetime, every: timedelta | None) -> int:
    """How many reminder periods have passed since the failure (0: none is due yet)."""
    if every is None or every <= timedelta(0) or now <= failed_at:
        return 0
    return int((now - failed_at) / every)
