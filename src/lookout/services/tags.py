"""Tags and tag groups of the caller's teams (A17). Another team's group is not found.

Tags are made on the fly by the monitors API and here by name; a tag group gathers tags of
its own team, given by name (made when missing) or by id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lookout.errors import NotFoundError, ValidationFailed
from lookout.services.maintenance_input import Body, as_integer
from lookout.services.tokens import Principal
from lookout.store.db import transaction, utcnow
from lookout.store.repositories import tags as repo
from lookout.store.repositories.tags import TaggedMonitor, TagRow
from lookout.store.tables.maintenance import TagGroup

MAX_TAGS_PER_GROUP = 100


@dataclass(frozen=True, slots=True)
class TagView:
    tag: TagRow
    monitors: Sequence[TaggedMonitor]


@dataclass(frozen=True, slots=True)
class TagGroupView:
    id: int
    team_id: int
    team_name: str
    label: str
    tags: Sequence[TagView]
    created_at: datetime
    updated_at: datetime


class TagService:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def tags(self, who: Principal) -> list[TagView]:
        with self._sessions() as session:
            rows = repo.tags(session, who.team_ids)
            return _with_monitors(session, rows)

    def create_tag(self, who: Principal, raw: Any) -> TagView:
        body = Body(raw)
        name = body.text("name", required=True)
        team_id = _team(body, who)
        body.done()
        assert name is not None and team_id is not None
        with transaction(self._sessions) as session:
            if repo.tag_named(session, team_id, name) is not None:
                raise ValidationFailed({"name": ["The name has already been taken."]})
            tag_id = repo.add_tag(session, team_id, name, self._clock())
            return _with_monitors(session, repo.tags_by_id(session, [tag_id]))[0]

    def groups(self, who: Principal) -> list[TagGroupView]:
        with self._sessions() as session:
            return self._group_views(session, repo.tag_groups(session, who.team_ids))

    def group(self, who: Principal, group_id: int) -> TagGroupView:
        with self._sessions() as session:
            return self._group_views(session, [self._group(session, who, group_id)])[0]

    def create_group(self, who: Principal, raw: Any) -> TagGroupView:
        body = Body(raw)
        label = body.text("label", required=True)
        team_id = _team(body, who)
        wanted = _tag_refs(body)
        body.done()
        assert label is not None and team_id is not None
        with transaction(self._sessions) as session:
            group = repo.add_tag_group(session, team_id, label, self._clock())
            repo.set_group_tags(session, group.id, self._resolve(session, team_id, wanted or ([], [])))
            return self.group_in(session, who, group.id)

    def update_group(self, who: Principal, group_id: int, raw: Any) -> TagGroupView:
        body = Body(raw)
        label = body.text("label", required=not body.has("tags"))
        if "team_id" in body.raw:
            body.fail("team_id", "The team id field cannot be changed.")
        wanted = _tag_refs(body)
        body.done()
        with transaction(self._sessions) as session:
            group, _ = self._group(session, who, group_id)
            if label is not None:
                group.label = label
            if wanted is not None:
                repo.set_group_tags(session, group.id, self._resolve(session, group.team_id, wanted))
            group.updated_at = self._clock()
            session.flush()
            return self.group_in(session, who, group.id)

    def delete_group(self, who: Principal, group_id: int) -> None:
        with transaction(self._sessions) as session:
            self._group(session, who, group_id)
            repo.delete_tag_group(session, group_id)

    # -- helpers ------------------------------------------------------------------------

    def group_in(self, session: Session, who: Principal, group_id: int) -> TagGroupView:
        return self._group_views(session, [self._group(session, who, group_id)])[0]

    @staticmethod
    def _group(session: Session, who: Principal, group_id: int) -> tuple[TagGroup, str]:
        found = repo.tag_group(session, group_id, who.team_ids) if group_id <= 2**31 - 1 else None
        if found is None:
            raise NotFoundError("Tag group not found.")
        return found

    def _resolve(self, session: Session, team_id: int, wanted: tuple[list[str], list[int]]) -> set[int]:
        names, ids = wanted
        found = repo.team_tag_ids(session, team_id, ids)
        if any(tag_id not in found for tag_id in ids):
            # Another team's tag is as unknown as a missing one.
            raise ValidationFailed({"tags": ["The selected tags are invalid."]})
        for name in names:
            tag_id = repo.tag_named(session, team_id, name)
            found.add(tag_id if tag_id is not None else repo.add_tag(session, team_id, name, self._clock()))
        return found

    @staticmethod
    def _group_views(session: Session, groups: list[tuple[TagGroup, str]]) -> list[TagGroupView]:
        tag_ids = repo.tag_ids_of_groups(session, [group.id for group, _ in groups])
        all_ids = sorted({tag_id for ids in tag_ids.values() for tag_id in ids})
        tags = {view.tag.id: view for view in _with_monitors(session, repo.tags_by_id(session, all_ids))}
        return [
            TagGroupView(
                group.id,
                group.team_id,
                team_name,
                group.label,
                sorted((tags[i] for i in tag_ids.get(group.id, []) if i in tags), key=lambda v: v.tag.name),
                group.created_at,
                group.updated_at,
            )
            for group, team_name in groups
        ]


def _with_monitors(session: Session, rows: list[TagRow]) -> list[TagView]:
    monitors = repo.monitors_of_tags(session, [row.id for row in rows])
    return [TagView(row, monitors.get(row.id, [])) for row in rows]


def _team(body: Body, who: Principal) -> int | None:
    """The body's `team_id`, which must be one of the caller's teams; the only team when absent."""
    raw = body.raw.get("team_id")
    if raw is None or raw == "":
        if len(who.team_ids) == 1:
            return next(iter(who.team_ids))
        body.fail("team_id", "The team id field is required.")
        return None
    team_id = as_integer(raw)
    if team_id is None:
        body.fail("team_id", "The team id field must be an integer.")
        return None
    if team_id not in who.team_ids:
        body.fail("team_id", "You do not belong to that team.")
        return None
    return team_id


def _tag_refs(body: Body) -> tuple[list[str], list[int]] | None:
    """`tags`: names or ids (None when absent)."""
    raw = body.raw.get("tags")
    if raw is None:
        return None
    if not isinstance(raw, list):
        body.fail("tags", "The tags field must be an array.")
        return None
    if len(raw) > MAX_TAGS_PER_GROUP:
        body.fail("tags", f"The tags field must not have more than {MAX_TAGS_PER_GROUP} items.")
        return None
    names: list[str] = []
    ids: list[int] = []
    for index, item in enumerate(raw):
        key = f"tags.{index}"
        if isinstance(item, int) and not isinstance(item, bool):
            if 1 <= item <= 2**31 - 1:
                ids.append(item)
            else:
                body.fail(key, f"The selected {key} is invalid.")
        elif isinstance(item, str):
            sub = Body({key: item})
            name = sub.text(key, required=True)
            for message in sub.errors.get(key, []):
                body.fail(key, message)
            if name is not None:
                names.append(name)
        else:
            body.fail(key, f"The {key} field must be a string.")
    return list(dict.fromkeys(names)), ids
