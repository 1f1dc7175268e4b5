"""Issuing, revoking and checking API tokens.

A token's secret is shown once; only its SHA-256 is stored. The Oh Dear API takes the
secret as a Bearer token; the DNSPod API takes `"<id>,<secret>"`, its `ID,SECRET` form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from lookout.errors import AuthenticationError, NotFoundError
from lookout.store.db import transaction
from lookout.store.repositories import identity

_TOUCH_EVERY_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class IssuedToken:
    id: int
    token: str
    user_id: int
    team_id: int

    @property
    def dnspod_token(self) -> str:
        return f"{self.id},{self.token}"


@dataclass(frozen=True, slots=True)
class TeamRole:
    """A team the caller belongs to, and their role in it."""

    id: int
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user behind a token and the teams they belong to."""

    token_id: int
    user_id: int
    name: str
    email: str
    teams: tuple[TeamRole, ...]

    @property
    def team_ids(self) -> frozenset[int]:
        return frozenset(team.id for team in self.teams)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._last_touched: dict[int, float] = {}

    def create(self, email: str, team: str, name: str = "", role: str = "Owner") -> IssuedToken:
        secret = secrets.token_urlsafe(32)
        with transaction(self._sessions) as session:
            user = identity.get_or_create_user(session, email)
            team_row = identity.get_or_create_team(session, team)
            identity.ensure_membership(session, user.id, team_row.id, role)
            token = identity.add_token(session, user.id, name, hash_secret(secret))
            return IssuedToken(id=token.id, token=secret, user_id=user.id, team_id=team_row.id)

    def revoke(self, token_id: int) -> None:
        with transaction(self._sessions) as session:
            if not identity.revoke_token(session, token_id):
                raise NotFoundError(f"No active token with id {token_id}.")

    def authenticate(self, secret: str) -> Principal:
        """The principal behind a bearer secret; AuthenticationError if there is none."""
        if not secret or len(secret) > 200:
            raise AuthenticationError("Unauthenticated.")
        # A read: every request authenticates, and only the touch below writes.
        with self._sessions() as session:
            found = identity.active_token_by_hash(session, hash_secret(secret))
        if found is None:
            raise AuthenticationError("Unauthenticated.")
        teams = tuple(TeamRole(t.id, t.name, t.role) for t in found.teams)
        self._touch(found.token_id)
        return Principal(found.token_id, found.user_id, found.user_name, found.email, teams)

    def authenticate_pair(self, id_and_secret: str) -> Principal:
        """The DNSPod `ID,SECRET` form: the id must be the token's own."""
        token_id, _, secret = id_and_secret.partition(",")
        principal = self.authenticate(secret.strip())
        if not hmac.compare_digest(token_id.strip(), str(principal.token_id)):
            raise AuthenticationError("Unauthenticated.")
        return principal

    def list(self) -> list[identity.TokenRow]:
        """Every token with its user, newest last; secrets are not kept, so never shown."""
        with self._sessions() as session:
            return identity.list_tokens(session)

    def has_users(self) -> bool:
        with self._sessions() as session:
            return identity.any_user(session)

    def _touch(self, token_id: int) -> None:
        # Recording every use would turn each read into a write; once a minute is enough.
        now = time.monotonic()
        if now - self._last_touched.get(token_id, -_TOUCH_EVERY_SECONDS) >= _TOUCH_EVERY_SECONDS:
            self._last_touched[token_id] = now
            with transaction(self._sessions) as session:
                identity.touch_token(session, token_id)
