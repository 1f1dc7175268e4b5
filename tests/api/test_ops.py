"""/health, /ready and /metrics: no API token, no secrets, and /metrics behind its own token."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from lookout.app import create_app
from lookout.settings import Settings


def test_health_and_ready_need_no_token_and_say_no_secrets(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, run_engine=False, smtp_password="hunter2", metrics_token=None)
    with TestClient(create_app(settings)) as client:
        alive = client.get("/health")
        assert alive.status_code == 200 and alive.json()["status"] == "ok"
        ready = client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "engine": "off"}, "problems": []}
        scraped = client.get("/metrics")
        assert scraped.status_code == 200 and "lookout_check_runs_total" in scraped.text
        for response in (alive, ready, scraped):
            assert "hunter2" not in response.text


def test_metrics_behind_their_own_token(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, run_engine=False, metrics_token="scrape-me")
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        allowed = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert allowed.status_code == 200 and allowed.headers["content-type"].startswith("text/plain")
        assert client.get("/health").status_code == 200  # health stays open


def test_ready_is_503_with_a_reason_when_the_schema_is_behind(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, run_engine=False)
    app = create_app(settings)
    with TestClient(app) as client:
        store = app.state.store
        with store.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
        ready = client.get("/ready")
        assert ready.status_code == 503
        (problem,) = ready.json()["problems"]
        assert problem.startswith("database at migration 0001, this build needs 00")
