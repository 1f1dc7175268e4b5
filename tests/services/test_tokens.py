"""Tokens on a real database: issue, authenticate (Bearer and DNSPod form), revoke."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from lookout.app import build_services, open_store
from lookout.errors import AuthenticationError, NotFoundError
from lookout.services.tokens import TokenService, hash_secret
from lookout.settings import Settings
from lookout.store.tables import ApiToken, Membership


@pytest.fixture(scope="module")
def tokens(database_url: str) -> TokenService:
    return build_services(open_store(Settings(database_url=database_url))).tokens


def test_a_token_authenticates_its_user_with_their_teams(tokens: TokenService) -> None:
    issued = tokens.create("tok-owner@example.test", "tok-team-1")
    tokens.create("tok-owner@example.test", "tok-team-2")
    who = tokens.authenticate(issued.token)
    assert who.user_id == issued.user_id and who.email == "tok-owner@example.test"
    assert [team.name for team in who.teams] == ["tok-team-1", "tok-team-2"]
    assert issued.team_id in who.team_ids


def test_the_dnspod_form_needs_the_matching_id(tokens: TokenService) -> None:
    issued = tokens.create("pair@example.test", "pair-team")
    assert issued.dnspod_token == f"{issued.id},{issued.token}"
    assert tokens.authenticate_pair(issued.dnspod_token).token_id == issued.id
    with pytest.raises(AuthenticationError):
        tokens.authenticate_pair(f"{issued.id + 1},{issued.token}")
    with pytest.raises(AuthenticationError):
        tokens.authenticate_pair(f"{issued.id},wrong")


def test_only_a_hash_is_stored(database_url: str, tokens: TokenService) -> None:
    issued = tokens.create("hash@example.test", "hash-team")
    store = open_store(Settings(database_url=database_url))
    with store.sessions() as session:
        row = session.get(ApiToken, issued.id)
        assert row is not None
        assert row.secret_hash == hash_secret(issued.token) and issued.token not in row.secret_hash


def test_revoked_and_unknown_tokens_fail(tokens: TokenService) -> None:
    issued = tokens.create("rev@example.test", "rev-team")
    tokens.revoke(issued.id)
    with pytest.raises(AuthenticationError):
        tokens.authenticate(issued.token)
    with pytest.raises(NotFoundError):
        tokens.revoke(issued.id)
    for bad in ("", "x" * 500, "not-a-token"):
        with pytest.raises(AuthenticationError):
            tokens.authenticate(bad)


def test_a_user_without_a_team_still_authenticates_with_no_teams(
    database_url: str, tokens: TokenService
) -> None:
    issued = tokens.create("loner@example.test", "loner-team")
    store = open_store(Settings(database_url=database_url))
    with store.sessions() as session, session.begin():
        session.execute(delete(Membership).where(Membership.user_id == issued.user_id))
    who = tokens.authenticate(issued.token)
    assert who.user_id == issued.user_id and who.teams == ()
