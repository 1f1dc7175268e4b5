"""An AI monitor as a user meets it through the API alone: created with a prompt, its check
run by the live engine against a loopback page and a loopback OpenAI-compatible model, the
responses read back (list, latest, one), a page that changes judged again on request-run,
and walls between teams. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lookout.app import build_services, create_app, open_store
from lookout.settings import Settings
from tests.api.ohdear.test_domain_and_app_health_api import _check, eventually
from tests.servers.chat_model import API_KEY, PAGE, RunningModel, serve_chat_model

LIST_KEYS = {
    "id",
    "result",
    "finish_reason",
    "prompt",
    "text",
    "notification_title",
    "notification_body",
    "used_tools",
    "used_prompt_tokens",
    "used_completion_tokens",
    "started_at",
    "ended_at",
    "created_at",
}


@pytest.fixture
def model() -> Iterator[RunningModel]:
    with serve_chat_model() as running:
        yield running


def test_an_ai_monitor_through_the_api(db_url: str, tmp_path: Path, model: RunningModel) -> None:
    settings = Settings(
        database_url=db_url,
        data_dir=tmp_path,
        allow_private_targets=True,
        ai_url=model.api_url,
        ai_api_key=API_KEY,
        ai_model="judge-1",
    )
    store = open_store(settings)
    tokens = build_services(store).tokens
    issued = tokens.create("owner@example.test", "owners")
    stranger = tokens.create("stranger@example.test", "strangers")
    prompt = 'The "Pro: $49 per month" plan is listed.'
    with TestClient(
        create_app(settings, store), headers={"Authorization": f"Bearer {issued.token}"}
    ) as client:
        created = client.post(
            "/api/monitors",
            json={
                "url": f"{model.url}/pricing",
                "team_id": issued.team_id,
                "type": "ai",
                "ai_check_settings": {"prompt": prompt, "frequency_unit": "hours", "frequency_value": 1},
            },
        )
        assert created.status_code == 201, created.text
        mid = created.json()["id"]
        ai_check = _check(client, mid, "ai")
        assert ai_check["enabled"] is True

        # The check runs as soon as the monitor exists.
        listing = f"/api/monitors/{mid}/ai-responses"
        (first,) = eventually(lambda: client.get(listing).json()["data"])
        assert set(first) == LIST_KEYS
        assert (first["result"], first["notification_title"], first["prompt"]) == (
            "ok",
            "All as expected",
            prompt,
        )
        assert first["finish_reason"] == "stop" and first["used_completion_tokens"] == 40
        assert _check(client, mid, "ai")["latest_run_result"] == "succeeded"
        assert client.get(f"/api/monitors/{mid}").json()["summarized_check_result"] == "succeeded"
        assert model.state.requests[0]["model"] == "judge-1"

        # The page changes; request-run has it judged again.
        model.state.page = PAGE.replace("$49", "$59")
        assert client.post(f"/api/checks/{ai_check['id']}/request-run").status_code == 200
        eventually(lambda: _check(client, mid, "ai")["latest_run_result"] == "failed")
        latest = client.get(f"{listing}/latest").json()
        assert latest["result"] == "failed" and latest["notification_title"] == "Missing: Pro: $49 per month"
        assert '"chatcmpl-test"' in latest["raw_response"]
        page = client.get(listing).json()
        assert [item["result"] for item in page["data"]] == ["failed", "ok"] and page["meta"]["total"] == 2
        one = client.get(f"{listing}/{first['id']}").json()
        assert {k: v for k, v in one.items() if k != "raw_response"} == first
        assert client.get(f"/api/monitors/{mid}").json()["summarized_check_result"] == "failed"

        # Another team sees none of it; unknown ids are 404 too; /sites answers the same.
        other = {"Authorization": f"Bearer {stranger.token}"}
        for path in (listing, f"{listing}/latest", f"{listing}/{first['id']}"):
            assert client.get(path, headers=other).status_code == 404
        assert client.get(f"{listing}/999999").status_code == 404
        assert client.get(f"/api/sites/{mid}/ai-responses/latest").json() == latest


def test_an_http_monitor_has_no_ai_responses(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, run_engine=False)
    store = open_store(settings)
    issued = build_services(store).tokens.create("owner@example.test", "owners")
    with TestClient(
        create_app(settings, store), headers={"Authorization": f"Bearer {issued.token}"}
    ) as client:
        created: dict[str, Any] = client.post(
            "/api/monitors", json={"url": "https://no-ai.example", "team_id": issued.team_id, "type": "http"}
        ).json()
        assert client.get(f"/api/monitors/{created['id']}/ai-responses").json()["data"] == []
        latest = client.get(f"/api/monitors/{created['id']}/ai-responses/latest")
        assert latest.status_code == 404
