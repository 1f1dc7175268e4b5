"""The AI check against a loopback site and a loopback OpenAI-compatible model: the page is
fetched and stripped, the model asked with the user's prompt, its verdict read; every way
the page, the model or its answer can fail. Then the pure parts: stripping and verdicts."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from lookout.check_context import build_check_context
from lookout.checks.ai import TEXT_LIMIT, AiCheck, BadAnswer, page_text, parse_verdict
from lookout.checks.base import CheckContext, Target
from lookout.model.check_settings import AiSettings
from lookout.model.check_settings.others import HtmlStrippingLevel
from lookout.model.check_type import MonitorType
from lookout.model.result import CheckResult, Outcome
from lookout.net.chat import ChatClient
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.settings import Settings
from tests.servers.chat_model import API_KEY, RunningModel, serve_chat_model


@pytest.fixture
def model() -> Iterator[RunningModel]:
    with serve_chat_model() as running:
        yield running


def with_model(ctx: CheckContext, model: RunningModel, api_key: str | None = API_KEY) -> CheckContext:
    client = ChatClient(
        base_url=model.api_url,
        model="judge-1",
        timeout_s=10,
        http=HttpClient(TargetGuard(ctx.resolver, allow_private=True)),
        api_key=api_key,
    )
    return dataclasses.replace(ctx, ai=client)


async def run(model: RunningModel, ctx: CheckContext, path: str = "/pricing", **settings: Any) -> CheckResult:
    target = Target(monitor_id=1, monitor_type=MonitorType.AI, url=f"{model.url}{path}")
    return await AiCheck().run(target, AiSettings.model_validate(settings), ctx)


async def test_a_page_as_the_prompt_says_succeeds(model: RunningModel, ctx: CheckContext) -> None:
    prompt = 'The page lists a "Starter" plan and a "Pro: $49 per month" plan.'
    result = await run(model, with_model(ctx, model), prompt=prompt)
    assert (result.outcome, result.summary) == (Outcome.SUCCEEDED, "All as expected")
    details = result.details
    assert details["result"] == "ok" and details["finish_reason"] == "stop"
    assert details["prompt"] == prompt and details["text"].startswith("Found")
    assert details["used_prompt_tokens"] > 0 and details["used_completion_tokens"] == 40
    assert details["used_tools"] == [] and json.loads(details["raw_response"])["id"] == "chatcmpl-test"
    (request,) = model.state.requests
    assert request["model"] == "judge-1" and request["temperature"] == 0
    sent = request["messages"][-1]["content"]
    # The basic stripping: the text and the title, whitespace tidied; no script, no style.
    assert "Title: Pricing" in sent and "Pro: $49 per month" in sent and "Home | Pricing" in sent
    assert "$999" not in sent and "color: red" not in sent and "<p>" not in sent
    assert model.state.headers[0]["authorization"] == f"Bearer {API_KEY}"
    assert API_KEY not in repr(details) and API_KEY not in repr(ctx.ai if ctx.ai else "")


async def test_a_page_that_is_not_as_the_prompt_says_fails_with_the_models_words(
    model: RunningModel, ctx: CheckContext
) -> None:
    result = await run(model, with_model(ctx, model), prompt='Pro costs "$39 per month".')
    assert (result.outcome, result.summary) == (Outcome.FAILED, "Missing: $39 per month")
    assert result.details["result"] == "failed"
    assert result.details["notification_body"] == "The page does not say '$39 per month'."
    # What is only in a script is not on the page a person reads.
    result = await run(model, with_model(ctx, model), prompt='There is an "Enterprise" plan.')
    assert (result.outcome, result.summary) == (Outcome.FAILED, "Missing: Enterprise")


async def test_aggressive_stripping_leaves_the_navigation_out(model: RunningModel, ctx: CheckContext) -> None:
    ctx = with_model(ctx, model)
    prompt = 'The menu has "Blog".'
    assert (await run(model, ctx, prompt=prompt)).outcome is Outcome.SUCCEEDED
    aggressive = await run(model, ctx, prompt=prompt, html_stripping_level="aggressive")
    assert aggressive.outcome is Outcome.FAILED
    raw = await run(model, ctx, prompt='The page has "<h1>Plans</h1>".', html_stripping_level="none")
    assert raw.outcome is Outcome.SUCCEEDED


@pytest.mark.parametrize(
    ("mode", "summary"),
    [
        (
            "overloaded",
            "The AI model could not be asked: the model's API answered HTTP 503: The model is overloaded",
        ),
        ("rambling", "The AI model's answer could not be read: it is not a JSON object"),
        ("unsure", "The AI model's answer could not be read: its result 'maybe' is neither ok nor failed"),
    ],
)
async def test_a_model_that_misbehaves_is_an_error_not_a_verdict(
    model: RunningModel, ctx: CheckContext, mode: str, summary: str
) -> None:
    model.state.mode = mode
    result = await run(model, with_model(ctx, model), prompt='"Pro"')
    assert (result.outcome, result.summary) == (Outcome.ERRORED, summary)
    assert result.details["result"] == "error"


async def test_a_wrong_key_or_no_model_is_an_error(model: RunningModel, ctx: CheckContext) -> None:
    wrong = await run(model, with_model(ctx, model, api_key="sk-wrong"), prompt='"Pro"')
    assert wrong.outcome is Outcome.ERRORED
    assert wrong.summary.endswith("HTTP 401: Incorrect API key provided: [key]")
    assert "sk-wrong" not in wrong.summary and "sk-wrong" not in repr(wrong.details)
    unconfigured = await run(model, ctx, prompt='"Pro"')
    assert (unconfigured.outcome, unconfigured.summary) == (
        Outcome.ERRORED,
        "No AI model is configured (LOOKOUT_AI_URL)",
    )
    assert len(model.state.requests) == 1  # the wrong key's; no model, no request


async def test_a_page_that_cannot_be_read_fails_before_the_model_is_asked(
    model: RunningModel, ctx: CheckContext
) -> None:
    ctx = with_model(ctx, model)
    gone = await run(model, ctx, "/gone", prompt='"Pro"')
    assert (gone.outcome, gone.summary) == (Outcome.FAILED, "The page answered HTTP 404")
    empty = await run(model, ctx, prompt="  ")
    assert (empty.outcome, empty.summary) == (Outcome.FAILED, "No prompt is configured: nothing to verify")
    assert model.state.requests == []


async def test_the_page_goes_through_the_target_guard(model: RunningModel, ctx: CheckContext) -> None:
    """A private address is refused by the guard before any socket when private targets are
    not allowed (the address here is loopback, so even a wrong guard would dial only it)."""
    strict = dataclasses.replace(with_model(ctx, model), guard=TargetGuard(ctx.resolver, allow_private=False))
    result = await run(model, strict, prompt='"Pro"')
    assert result.outcome is Outcome.FAILED
    assert result.summary.startswith("Could not fetch the page:") and "private" in result.summary.lower()
    assert model.state.requests == []


def test_page_text_by_level() -> None:
    html = "<html><head><title> T </title></head><body><nav>menu</nav><p>a  b</p>\n\n<p>c</p></body></html>"
    assert page_text(html, HtmlStrippingLevel.BASIC) == "Title: T\nmenu\na b\nc"
    assert page_text(html, HtmlStrippingLevel.AGGRESSIVE) == "Title: T a b c"
    assert page_text(html, HtmlStrippingLevel.NONE) == html
    assert len(page_text("<p>" + "x " * 100_000 + "</p>", HtmlStrippingLevel.BASIC)) == TEXT_LIMIT
    assert page_text("", HtmlStrippingLevel.BASIC) == ""


@pytest.mark.parametrize(
    ("content", "result"),
    [
        ('{"result": "ok"}', "ok"),
        ('Sure!\n```json\n{"result": "FAILED", "notification_title": "x"}\n```', "failed"),
        ('{"result": "pass"}', "ok"),
        ('{"result": "fail"}', "failed"),
    ],
)
def test_parse_verdict(content: str, result: str) -> None:
    assert parse_verdict(content)["result"] == result


@pytest.mark.parametrize(
    "content",
    ["", "fine", "[1, 2]", '{"result": null}', '{"verdict": "ok"}', "{not json}", "{" * 200_000, "}{"],
)
def test_parse_verdict_refuses(content: str) -> None:
    with pytest.raises(BadAnswer):
        parse_verdict(content)


def test_parse_verdict_bounds_what_it_keeps() -> None:
    verdict = parse_verdict(
        json.dumps({"result": "ok", "notification_title": "t" * 1000, "text": "x" * 10_000})
    )
    assert len(verdict["notification_title"]) == 255 and len(verdict["text"]) == 4000


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("file:///etc/passwd", "an http"),
        ("http://", "an http"),
        ("gopher://model.example/v1", "an http"),
        ("https://me:sk-secret@model.example/v1", "no credentials"),
    ],
)
def test_the_model_url_setting_is_an_http_url_without_credentials(url: str, error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        Settings(ai_url=url)


async def test_the_check_context_holds_the_configured_model_and_hides_its_key(tmp_path: Path) -> None:
    assert build_check_context(Settings(data_dir=tmp_path)).ai is None
    settings = Settings(data_dir=tmp_path, ai_url="http://127.0.0.1:9/v1", ai_api_key=API_KEY, ai_model="m")
    ai = build_check_context(settings).ai
    assert ai is not None and (ai.base_url, ai.model, ai.api_key) == ("http://127.0.0.1:9/v1", "m", API_KEY)
    assert API_KEY not in repr(ai) and API_KEY not in repr(settings)
