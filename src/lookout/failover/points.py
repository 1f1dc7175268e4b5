"""A D-Monitor's points (DNSPod's `ctc`, `cuc`, ... or Lookout location names) and what the
check found from each: the rule "down only when a majority of points agree"
(`policy.points_agree_down`: of all points, or of the points whose locations looked when
at least two did) over the store's verdicts per location.

A point maps to a location (`model/dmonitor_points.PointMap`; every point maps to this
process's location in the embedded default). The verdict of this process's location is the
engine's confirmed check state (down only after its quick re-checks). Another location's
verdict is its latest run of the check in the last two intervals, stored by a `lookout
worker --location` there: with `LOOKOUT_LOCATIONS`, the quick re-check of a failure runs at
another location, one of the D-Monitor's points' where it has workers (engine/scheduler.py
`Locations`), so a confirmed down has that location's run beside this one's. Where every
point is the local one (the embedded default) the rule is this location's verdict, read
without a query.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lookout.failover.policy import points_agree_down
from lookout.model.dmonitor_points import PointMap
from lookout.model.result import Outcome
from lookout.store.tables.runs import CheckRun

# Runs read per decision: enough for each of a few locations' latest.
MAX_RUNS_READ = 50


def points_down(
    session: Session,
    point_map: PointMap,
    points_text: str,
    check_id: int,
    own_down: bool,
    since: datetime,
) -> bool:
    """Whether the D-Monitor's points find its IP down (`policy.points_agree_down`): this
    location says `own_down`; another location says what its latest run since `since`
    found; a location with no run since then abstains."""
    points = point_map.points(points_text)
    if point_map.only_own(points):
        return own_down
    by_location = {point_map.own_location: own_down}
    runs = session.execute(
        select(CheckRun.location, CheckRun.result)
        .where(
            CheckRun.check_id == check_id,
            CheckRun.started_at >= since,
            CheckRun.location != point_map.own_location,
        )
        .order_by(CheckRun.started_at.desc())
        .limit(MAX_RUNS_READ)
    ).all()
    up = {Outcome.SUCCEEDED.value, Outcome.WARNING.value}
    for location, result in runs:
        by_location.setdefault(location, result not in up)
    return points_agree_down(points, point_map.location_of, by_location)
