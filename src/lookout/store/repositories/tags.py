"""Tags (created with monitors or on their own) and tag groups, read per team."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from lookout.store.repositories.monitors import slugify
from lookout.store.tables import Monitor, MonitorTag, Tag, TagGroup, TagGroupTag, Team


@dataclass(frozen=True, slots=True)
class TagRow:
    id: int
    team_id: int
    team_name: str
    name: str
    slug: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TaggedMonitor:
    id: int
    team_id: int
    url: str
    sort_url: str
    label: str


_TAG_COLUMNS = (Tag.id, Tag.team_id, Team.name, Tag.name, Tag.slug, Tag.created_at, Tag.updated_at)


def tags(session: Session, team_ids: Collection[int]) -> list[TagRow]:
    rows = session.execute(
        select(*_TAG_COLUMNS)
        .join(Team, Team.id == Tag.team_id)
        .where(Tag.team_id.in_(bindparam("teams", expanding=True)))
        .order_by(Tag.name, Tag.id),
        {"teams": list(team_ids)},
    )
    return [TagRow(*row) for row in rows]


def tags_by_id(session: Session, tag_ids: Sequence[int]) -> list[TagRow]:
    if not tag_ids:
        return []
    rows = session.execute(
        select(*_TAG_COLUMNS)
        .join(Team, Team.id == Tag.team_id)
        .where(Tag.id.in_(bindparam("ids", expanding=True)))
        .order_by(Tag.name, Tag.id),
        {"ids": list(tag_ids)},
    )
    return [TagRow(*row) for row in rows]


def monitors_of_tags(session: Session, tag_ids: Sequence[int]) -> dict[int, list[TaggedMonitor]]:
    found: dict[int, list[TaggedMonitor]] = defaultdict(list)
    if not tag_ids:
        return found
    rows = session.execute(
        select(
            MonitorTag.tag_id,
            Monitor.id,
            Monitor.team_id,
            Monitor.url,
            Monitor.sort_url,
            Monitor.friendly_name,
        )
        .join(Monitor, Monitor.id == MonitorTag.monitor_id)
        .where(MonitorTag.tag_id.in_(bindparam("ids", expanding=True)))
        .order_by(Monitor.id),
        {"ids": list(set(tag_ids))},
    )
    for tag_id, monitor_id, team_id, url, sort_url, label in rows:
        found[tag_id].append(TaggedMonitor(monitor_id, team_id, url, sort_url, label or sort_url))
    return found


def tag_named(session: Session, team_id: int, name: str) -> int | None:
    return session.scalar(select(Tag.id).where(Tag.team_id == team_id, Tag.name == name))


def add_tag(session: Session, team_id: int, name: str, now: datetime) -> int:
    tag = Tag(team_id=team_id, name=name, slug=slugify(name), created_at=now, updated_at=now)
    session.add(tag)
    session.flush()
    return tag.id


def team_tag_ids(session: Session, team_id: int, tag_ids: Collection[int]) -> set[int]:
    """Those of `tag_ids` that are the team's."""
    if not tag_ids:
        return set()
    return set(
        session.scalars(
            select(Tag.id).where(Tag.team_id == team_id, Tag.id.in_(bindparam("ids", expanding=True))),
            {"ids": list(tag_ids)},
        )
    )


def tag_groups(session: Session, team_ids: Collection[int]) -> list[tuple[TagGroup, str]]:
    rows = session.execute(
        select(TagGroup, Team.name)
        .join(Team, Team.id == TagGroup.team_id)
        .where(TagGroup.team_id.in_(bindparam("teams", expanding=True)))
        .order_by(TagGroup.id),
        {"teams": list(team_ids)},
    )
    return [(row[0], row[1]) for row in rows]


def tag_group(session: Session, group_id: int, team_ids: Collection[int]) -> tuple[TagGroup, str] | None:
    row = session.execute(
        select(TagGroup, Team.name)
        .join(Team, Team.id == TagGroup.team_id)
        .where(TagGroup.id == group_id, TagGroup.team_id.in_(bindparam("teams", expanding=True))),
        {"teams": list(team_ids)},
    ).first()
    return (row[0], row[1]) if row else None


def tag_ids_of_groups(session: Session, group_ids: Sequence[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    if not group_ids:
        return found
    rows = session.execute(
        select(TagGroupTag.tag_group_id, TagGroupTag.tag_id).where(
            TagGroupTag.tag_group_id.in_(bindparam("ids", expanding=True))
        ),
        {"ids": list(group_ids)},
    )
    for group_id, tag_id in rows:
        found[group_id].append(tag_id)
    return found


def add_tag_group(session: Session, team_id: int, label: str, now: datetime) -> TagGroup:
    group = TagGroup(team_id=team_id, label=label, created_at=now, updated_at=now)
    session.add(group)
    session.flush()
    return group


def set_group_tags(session: Session, group_id: int, tag_ids: Collection[int]) -> None:
    session.execute(delete(TagGroupTag).where(TagGroupTag.tag_group_id == group_id))
    for tag_id in sorted(set(tag_ids)):
        session.add(TagGroupTag(tag_group_id=group_id, tag_id=tag_id))
    session.flush()


def delete_tag_group(session: Session, group_id: int) -> None:
    session.execute(delete(TagGroup).where(TagGroup.id == group_id))


def monitors_of_tag_group(session: Session, group_id: int) -> list[int]:
    """The monitors carrying any tag of the group (what a tag-group destination addresses)."""
    return list(
        session.scalars(
            select(MonitorTag.monitor_id)
            .join(TagGroupTag, TagGroupTag.tag_id == MonitorTag.tag_id)
            .where(TagGroupTag.tag_group_id == group_id)
            .distinct()
            .order_by(MonitorTag.monitor_id)
        )
    )
