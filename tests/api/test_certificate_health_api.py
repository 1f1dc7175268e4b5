"""Certificate health through the Oh Dear API, as a user meets it: an https monitor on a
loopback server, its certificate checked, replaced, checked again on request, and read back
from /api/certificate-health and the detected-certificates endpoints."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from fastapi.testclient import TestClient
from sqlalchemy import select

from lookout.app import build_services, create_app, open_store
from lookout.settings import Settings
from lookout.store.tables import CheckRun, StateChange
from tests.api.ohdear.conftest import Caller, Cast, alice, cast, client, store  # noqa: F401  (fixtures)
from tests.servers.tls import (
    Issued,
    chain_context,
    issue,
    load_chain,
    serve_tls_in_thread,
    write_certificates,
)

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


class Pki:
    def __init__(self, directory: Path) -> None:
        now = datetime.now(UTC)
        ages = {"not_before": now - timedelta(days=1000), "not_after": now + timedelta(days=2000)}
        self.root = issue("Lookout API Root", ca=True, **ages)
        self.intermediate = issue("Lookout API Intermediate", issuer=self.root, ca=True, **ages)
        self.ca_file = write_certificates([self.root.cert], directory / "root.pem")

    def leaf(self) -> Issued:
        return issue("leaf", "127.0.0.1", issuer=self.intermediate)


def eventually(probe: Callable[[], Any], seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of this test's own: the engine sees every row in it."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lookout.db'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


def test_a_certificate_checked_replaced_and_checked_again_on_request(
    tmp_path: Path, engine_database: str
) -> None:
    pki = Pki(tmp_path)
    first_leaf = pki.leaf()
    context = chain_context(first_leaf, pki.intermediate.cert)
    settings = Settings(
        database_url=engine_database,
        allow_private_targets=True,
        ca_bundle=Path(pki.ca_file),  # LOOKOUT_CA_BUNDLE: the test's own root is trusted
        data_dir=tmp_path / "data",
    )
    own_store = open_store(settings)
    issued = build_services(own_store).tokens.create("certs@example.test", "certs")
    headers = {"Authorization": f"Bearer {issued.token}"}
    with (
        serve_tls_in_thread(context) as server,
        TestClient(create_app(settings, own_store), headers=headers) as api,
    ):
        created = api.post(
            "/api/monitors",
            json={
                "url": f"https://127.0.0.1:{server.port}/",
                "team_id": issued.team_id,
                "type": "http",
                "checks": ["certificate_health"],
                "certificate_health_check_settings": {"expires_soon_threshold_in_days": 30},
            },
        )
        assert created.status_code == 201, created.text
        monitor = created.json()
        check = next(c for c in monitor["checks"] if c["type"] == "certificate_health")
        assert check["enabled"] is True
        runs_path = f"/api/monitors/{monitor['id']}/checks/certificate_health/runs"
        health_path = f"/api/certificate-health/{monitor['id']}"
        detected_path = f"/api/monitors/{monitor['id']}/detected-certificates"

        # Enabled checks run at once.
        eventually(lambda: len(api.get(runs_path).json()["data"]) == 1)
        health = api.get(health_path)
        assert health.status_code == 200
        body = health.json()
        assert set(body) == {"certificate_details", "certificate_checks", "certificate_chain_issuers"}
        details = body["certificate_details"]
        assert details["issuer"] == "Lookout API Intermediate"
        assert STAMP.match(details["valid_from"]) and STAMP.match(details["valid_until"])
        assert body["certificate_chain_issuers"] == ["Lookout API Intermediate", "Lookout API Root"]
        checks = {item["type"]: item for item in body["certificate_checks"]}
        assert len(checks) == 14 and all(item["passed"] for item in checks.values())
        assert checks["hasChanged"]["label"] == "Unchanged since last checked"
        shown = api.get(f"/api/monitors/{monitor['id']}").json()
        assert next(c for c in shown["checks"] if c["type"] == "certificate_health")["latest_run_result"] == (
            "succeeded"
        )

        # The site gets a new certificate; the user asks for a run rather than wait an hour.
        second_leaf = pki.leaf()
        load_chain(context, second_leaf, pki.intermediate.cert)
        answered = api.post(f"/api/checks/{check['id']}/request-run")
        assert answered.status_code == 200 and answered.json()["id"] == check["id"]
        eventually(lambda: len(api.get(runs_path).json()["data"]) == 2)

        after = {item["type"]: item["passed"] for item in api.get(health_path).json()["certificate_checks"]}
        assert after.pop("hasChanged") is False
        assert all(after.values())

        listing = api.get(detected_path).json()
        assert listing["meta"]["total"] == 2
        newest, oldest = listing["data"]
        assert newest["fingerprint"] == second_leaf.cert.fingerprint(hashes.SHA1()).hex()
        assert oldest["fingerprint"] == first_leaf.cert.fingerprint(hashes.SHA1()).hex()
        assert set(newest) == {
            "id",
            "monitor_id",
            "fingerprint",
            "certificate_details",
            "created_at",
            "updated_at",
        }
        assert newest["monitor_id"] == monitor["id"]
        cert_details = newest["certificate_details"]
        assert cert_details["issuer"] == "Lookout API Intermediate"
        assert cert_details["domain"] == "leaf" and cert_details["additional_domains"] == ["127.0.0.1"]
        assert cert_details["days_until_expiration"] in (363, 364)
        assert cert_details["signature_algorithm"] == "ecdsa-with-SHA256"
        assert cert_details["is_valid"] is True and cert_details["is_expired"] is False
        assert STAMP.match(newest["created_at"]) and STAMP.match(newest["updated_at"])

        one = api.get(f"{detected_path}/{oldest['id']}")
        assert one.status_code == 200 and one.json() == oldest
        assert api.get(f"{detected_path}/{newest['id'] + 1000}").status_code == 404

    with own_store.sessions() as session:
        kinds = session.execute(select(StateChange.kind, StateChange.reason)).all()
    assert [tuple(row) for row in kinds] == [("changed", "1 new certificate, 1 fixed")]


# --- reading without the engine: shapes, walls, nonsense -------------------------------------


def _monitor(caller: Caller, url: str = "https://cert.example.test/") -> dict[str, Any]:
    created = caller.post("/api/monitors", json={"url": url, "team_id": caller.team_id, "type": "http"})
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def test_before_the_first_run_the_shape_is_empty(alice: Caller) -> None:  # noqa: F811
    monitor = _monitor(alice)
    answer = alice.get(f"/api/certificate-health/{monitor['id']}")
    assert answer.status_code == 200
    assert answer.json() == {
        "certificate_details": {"issuer": None, "valid_from": None, "valid_until": None},
        "certificate_checks": [],
        "certificate_chain_issuers": [],
    }
    listing = alice.get(f"/api/monitors/{monitor['id']}/detected-certificates").json()
    assert listing["data"] == [] and listing["meta"]["total"] == 0
    assert alice.get(f"/api/sites/{monitor['id']}/detected-certificates").status_code == 200


def test_a_run_stored_with_its_facts_reads_as_before(alice: Caller, store: Any) -> None:  # noqa: F811
    # Runs stored before 2026-12-01 carry the leaf's facts in their details (newer ones name
    # their finding); what the endpoint shows of such a run is the same.
    monitor = _monitor(alice)
    facts = {
        "issuer": "Old Issuer",
        "domain": "cert.example.test",
        "additional_domains": [],
        "valid_from": "2026-01-01T00:00:00+00:00",
        "valid_until": "2027-01-01T00:00:00+00:00",
        "signature_algorithm": "sha256WithRSAEncryption",
        "fingerprint": "ab" * 20,
        "fingerprint_sha256": "cd" * 32,
        "serial_number": "01",
        "chain_issuers": ["Old Issuer", "Old Root"],
        "chains_to_root": True,
        "covers_domain": True,
    }
    check_id = next(c["id"] for c in monitor["checks"] if c["type"] == "certificate_health")
    at = datetime(2026, 11, 1, tzinfo=UTC)
    with store.sessions() as session, session.begin():
        session.add(
            CheckRun(
                check_id=check_id,
                monitor_id=monitor["id"],
                result="succeeded",
                summary="Certificate is healthy",
                started_at=at,
                ended_at=at,
                location="local",
                details={
                    "host": "cert.example.test",
                    "port": 443,
                    "certificate": facts,
                    "certificate_checks": [{"type": "isExpired", "label": "Has not expired", "passed": True}],
                },
            )
        )
    body = alice.get(f"/api/certificate-health/{monitor['id']}").json()
    assert body["certificate_details"]["issuer"] == "Old Issuer"
    assert body["certificate_chain_issuers"] == ["Old Issuer", "Old Root"]
    assert body["certificate_checks"] == [{"type": "isExpired", "label": "Has not expired", "passed": True}]


def test_another_teams_monitor_is_not_found(cast: Cast) -> None:  # noqa: F811
    monitor = _monitor(cast.alice, "https://walls.example.test/")
    for path in (
        f"/api/certificate-health/{monitor['id']}",
        f"/api/monitors/{monitor['id']}/detected-certificates",
        f"/api/monitors/{monitor['id']}/detected-certificates/1",
    ):
        answer = cast.eve.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("application/json")
    assert cast.bob.get(f"/api/certificate-health/{monitor['id']}").status_code == 200  # same team


@pytest.mark.parametrize(
    "path",
    [
        "/api/certificate-health/0",
        "/api/certificate-health/abc",
        "/api/certificate-health/99999999999999999999",
        "/api/monitors/1/detected-certificates/-1",
        "/api/monitors/1/detected-certificates/1%00",
        "/api/monitors/999999999/detected-certificates?page[number]=x&page[size]=1000000",
    ],
)
def test_nonsense_ids_are_answered_in_json(alice: Caller, path: str) -> None:  # noqa: F811
    answer = alice.get(path)
    assert answer.status_code in (404, 422), answer.text
    assert answer.headers["content-type"].startswith("application/json")


def test_without_a_token_it_is_401(client: TestClient) -> None:  # noqa: F811
    assert client.get("/api/certificate-health/1").status_code == 401
