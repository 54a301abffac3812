"""Claude subscription tracking: the 5-hour window and the week estimated from Claude Code's transcripts
(fixtures in tests/fixtures/claude-transcripts), cached for decisions, and feeding subscription budgets."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from llm_router import router, subscription
from llm_router.decision import Request
from llm_router.errors import PolicyError
from llm_router.subscription import transcripts

FIXTURES = Path(__file__).parent / "fixtures" / "claude-transcripts"
SESSION = "4f35e220-c435-4cf7-b9b9-f40426042847"


def at(text: str) -> float:
    """Epoch seconds of a UTC time on the fixtures' day."""
    return datetime.fromisoformat(f"2026-05-26T{text}+00:00").timestamp()


@pytest.fixture
def claude(home: Path) -> Path:
    """Claude Code's data folder in the test HOME, holding the fixture transcripts."""
    target = home / ".claude"
    shutil.copytree(FIXTURES / "projects", target / "projects")
    return target


@pytest.fixture
def transcript(claude: Path) -> Path:
    return claude / "projects" / "-home-user-app" / f"{SESSION}.jsonl"


def estimate(home: Path, now: float, **kwargs: Any) -> dict[str, Any]:
    return subscription.report(None, home / ".llm-router", dict(os.environ), now, **kwargs)


def append(path: Path, *entries: dict[str, Any]) -> None:
    with path.open("a") as handle:
        for entry in entries:
            handle.write(json.dumps(entry) + "\n")


def response(key: str, when: str, model: str, tokens_in: int, tokens_out: int) -> dict[str, Any]:
    return {
        "type": "assistant",
        "uuid": f"uuid-{key}",
        "timestamp": f"2026-05-26T{when}Z",
        "message": {
            "id": key,
            "model": model,
            "role": "assistant",
            "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
        },
    }


def test_each_model_counts_the_usage_of_its_responses(home: Path, claude: Path) -> None:
    models = estimate(home, at("09:00:00"))["five_hour"]["models"]
    assert models["claude-opus-4-5-20251101"] == {
        "input": 250,
        "output": 280,
        "cache_creation": 1000,
        "cache_read": 1200,
        "messages": 1,
    }
    assert models["claude-sonnet-4-5-20250929"]["output"] == 150
    assert models["claude-haiku-4-5-20251001"]["input"] == 500


def test_a_streamed_response_written_twice_counts_once_with_its_final_figures(
    home: Path, claude: Path
) -> None:
    opus = estimate(home, at("09:00:00"))["five_hour"]["models"]["claude-opus-4-5-20251101"]
    assert opus["output"] == 200 + 80  # msg_01A's last write (200), not 20 + 200


def test_tool_results_meta_lines_and_subagent_tasks_are_not_prompts(home: Path, claude: Path) -> None:
    report = estimate(home, at("09:00:00"))
    assert report["prompts"] == 2


def test_synthetic_entries_are_not_counted(home: Path, claude: Path) -> None:
    assert "<synthetic>" not in estimate(home, at("09:00:00"))["five_hour"]["models"]


def test_the_window_opens_at_the_hour_of_the_first_message_and_closes_five_hours_later(
    home: Path, claude: Path
) -> None:
    report = estimate(home, at("09:00:00"))
    assert report["active"] is True
    assert datetime.fromisoformat(report["started_at"]).timestamp() == at("07:00:00")
    assert datetime.fromisoformat(report["resets_at"]).timestamp() == at("12:00:00")


def test_no_window_is_open_five_hours_after_it_opened(home: Path, claude: Path) -> None:
    report = estimate(home, at("12:00:00"))
    assert report["active"] is False and report["prompts"] == 0 and report["tokens"] == 0


def test_a_message_after_the_window_closed_opens_the_next_one(
    home: Path, claude: Path, transcript: Path
) -> None:
    append(transcript, response("msg_late", "13:40:00", "claude-opus-4-5-20251101", 7, 3))
    report = estimate(home, at("14:00:00"))
    assert datetime.fromisoformat(report["started_at"]).timestamp() == at("13:00:00")
    assert report["tokens"] == 10


def test_the_week_keeps_what_earlier_windows_used(home: Path, claude: Path) -> None:
    week = estimate(home, at("23:00:00"))["week"]
    assert week["tokens"] == 250 + 280 + 300 + 150 + 500 + 40
    assert week["prompts"] == 2


def test_the_week_forgets_what_is_older_than_seven_days(home: Path, claude: Path) -> None:
    assert estimate(home, at("07:00:00") + 8 * 86400)["week"]["tokens"] == 0


def test_a_refresh_reads_only_what_was_appended_since_the_last(
    home: Path, claude: Path, transcript: Path
) -> None:
    estimate(home, at("09:00:00"))
    append(transcript, response("msg_next", "09:10:00", "claude-sonnet-4-5-20250929", 40, 2))
    report = estimate(home, at("09:20:00"))
    assert report["transcripts"]["bytes_read"] < 400
    assert report["five_hour"]["models"]["claude-sonnet-4-5-20250929"]["input"] == 300 + 40


def test_rescanning_from_the_start_counts_nothing_twice(home: Path, claude: Path) -> None:
    first = estimate(home, at("09:00:00"))
    again = estimate(home, at("09:00:00"), rescan=True)
    assert again["five_hour"] == first["five_hour"] and again["transcripts"]["bytes_read"] > 1000


def test_a_partial_last_line_waits_for_its_end(home: Path, claude: Path, transcript: Path) -> None:
    line = json.dumps(response("msg_slow", "09:10:00", "claude-opus-4-5-20251101", 1000, 1))
    with transcript.open("a") as handle:
        handle.write(line[:40])
    assert estimate(home, at("09:20:00"))["tokens"] == 1520
    with transcript.open("a") as handle:
        handle.write(line[40:] + "\n")
    assert estimate(home, at("09:20:00"))["tokens"] == 2521


def test_a_line_over_the_size_limit_is_skipped(
    home: Path, claude: Path, transcript: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transcripts, "MAX_LINE", 2000)
    big = response("msg_big", "09:10:00", "claude-opus-4-5-20251101", 5, 5)
    big["message"]["content"] = [{"type": "text", "text": "x" * 10_000}]
    append(transcript, big, response("msg_after", "09:11:00", "claude-opus-4-5-20251101", 1, 1))
    assert estimate(home, at("09:20:00"))["tokens"] == 1520 + 2


NESTED_TOO_DEEP = {
    "brackets in a row": '{"usage":' + "[" * 200_000 + "]" * 200_000 + "}",
    "objects and arrays in turn": '{"type":"user","usage":' + '[{"a":' * 20_000 + "1" + "}]" * 20_000 + "}",
}


@pytest.mark.parametrize("line", NESTED_TOO_DEEP.values(), ids=NESTED_TOO_DEEP.keys())
def test_a_line_nested_too_deep_to_parse_is_skipped_and_the_lines_after_it_count(
    home: Path, claude: Path, transcript: Path, line: str
) -> None:
    with transcript.open("a") as handle:
        handle.write(line + "\n")
    append(transcript, response("msg_after", "09:11:00", "claude-opus-4-5-20251101", 1, 1))
    assert estimate(home, at("09:20:00"))["tokens"] == 1520 + 2


@pytest.mark.parametrize("name", ["claude-usage.json", "claude-usage.state.json", "claude-usage.seen.json"])
def test_a_kept_estimate_file_nested_too_deep_is_rebuilt(
    home: Path, claude: Path, transcript: Path, name: str
) -> None:
    estimate(home, at("09:00:00"))
    (home / ".llm-router" / name).write_text('{"version": 1, "usage": ' + "[" * 100_000 + "]" * 100_000 + "}")
    append(transcript, response("msg_after", "09:11:00", "claude-opus-4-5-20251101", 1, 1))
    assert estimate(home, at("09:20:00"))["tokens"] == 1520 + 2


def test_the_scan_does_not_follow_a_link_out_of_claudes_folder(
    home: Path, claude: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    append(elsewhere / "other.jsonl", response("msg_x", "09:00:00", "claude-opus-4-5-20251101", 999, 999))
    (claude / "projects" / "linked").symlink_to(elsewhere)
    (claude / "projects" / "-home-user-app" / "link.jsonl").symlink_to(elsewhere / "other.jsonl")
    assert estimate(home, at("09:30:00"))["tokens"] == 1520


def test_claude_config_dir_names_where_the_transcripts_are(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(FIXTURES / "projects", tmp_path / "claude-data" / "projects")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude-data"))
    assert estimate(home, at("09:00:00"))["prompts"] == 2


def test_credentials_in_claudes_folder_are_never_opened(home: Path, claude: Path) -> None:
    secret = claude / ".credentials.json"
    secret.write_text('{"claudeAiOauth": {"accessToken": "sk-ant-oat01-secret"}}')
    opened: list[str] = []
    _OPENS.append(opened)
    try:
        estimate(home, at("09:00:00"), rescan=True)
    finally:
        _OPENS.remove(opened)
    assert any(name.endswith(".jsonl") for name in opened)
    assert not any(".credentials" in name for name in opened)


_OPENS: list[list[str]] = []


def _record_opens(event: str, args: tuple[Any, ...]) -> None:
    if _OPENS and event in ("open", "os.open") and args and isinstance(args[0], str | bytes | os.PathLike):
        _OPENS[-1].append(os.fsdecode(args[0]))


sys.addaudithook(_record_opens)


def test_the_cached_estimate_is_private(home: Path, claude: Path) -> None:
    estimate(home, at("09:00:00"))
    for name in ("claude-usage.json", "claude-usage.state.json", "claude-usage.seen.json"):
        assert stat.S_IMODE((home / ".llm-router" / name).stat().st_mode) == 0o600


def test_without_transcripts_the_prompts_llm_router_let_through_are_counted(home: Path) -> None:
    from llm_router.store import open_db, save_decision
    from llm_router.testing import make_decision

    conn = open_db(home / ".llm-router" / "usage.db")
    save_decision(conn, make_decision(["openai/gpt-4o-mini"], host="claude-code"), now=at("08:10:00"))
    report = estimate(home, at("09:00:00"))
    assert report["source"] == "llm-router records"
    assert report["prompts"] == 1
    assert datetime.fromisoformat(report["started_at"]).timestamp() == at("08:00:00")


# -- subscription budgets in the policy ---------------------------------------------------------------

BUDGET_POLICY = """\
budgets:
  - {id: claude-5h, kind: subscription, window: 5h, limit_tokens: 1700}
  - {id: claude-week-opus, kind: subscription, window: week, model: opus, limit_messages: 4}
"""


@pytest.fixture
def policy(home: Path) -> router.Settings:
    folder = home / ".llm-router"
    folder.mkdir(exist_ok=True)
    (folder / "routing.yaml").write_text(BUDGET_POLICY)
    return router.Settings(env=dict(os.environ))


def decide(settings: router.Settings, now: float, prompt: str = "what is 2+2?") -> Any:
    return router.decide(Request(prompt), settings=settings, now=now)


def test_a_subscription_budget_counts_its_windows_tokens(policy: router.Settings, claude: Path) -> None:
    budgets = router.live_state(router.load(policy), policy, at("09:00:00"))[1]
    assert budgets["claude-5h"].used == 1520 and budgets["claude-5h"].unit == "tokens"
    assert budgets["claude-5h"].resets_at == at("12:00:00")


def test_a_subscription_budget_for_one_model_counts_only_its_prompts(
    policy: router.Settings, claude: Path
) -> None:
    week = router.live_state(router.load(policy), policy, at("09:00:00"))[1]["claude-week-opus"]
    assert (week.used, week.used_pct) == (1.0, 25.0)


def test_a_subscription_budget_at_80_percent_downgrades_through_the_built_in_rule(
    policy: router.Settings, claude: Path
) -> None:
    decision = decide(policy, at("09:00:00"))  # 1520 of 1700 tokens: 89%
    pressure = next(step for step in decision.trace if step.rule == "budget-pressure")
    assert pressure.matched
    calm = decide(policy, at("12:30:00"))  # the window closed: nothing used in a new one
    assert not next(step for step in calm.trace if step.rule == "budget-pressure").matched
    assert decision.tier != calm.tier or decision.tier == "simple"


def test_a_subscription_budget_never_rules_out_a_chain_model(policy: router.Settings, claude: Path) -> None:
    env = dict(policy.env, OPENAI_API_KEY="sk-test")
    settings = router.Settings(env=env)
    (Path(env["LLM_ROUTER_HOME"]) / "routing.yaml").write_text(
        BUDGET_POLICY.replace("limit_tokens: 1700", "limit_tokens: 100")
    )
    decision = decide(settings, at("09:00:00"))
    assert not any("budget" in why for why in decision.unusable.values())


def test_a_decision_uses_the_cached_estimate_until_it_is_refresh_minutes_old(
    policy: router.Settings, claude: Path, transcript: Path
) -> None:
    cp = router.load(policy)
    router.live_state(cp, policy, at("09:00:00"))
    append(transcript, response("msg_more", "09:01:00", "claude-opus-4-5-20251101", 50, 50))
    soon = router.live_state(cp, policy, at("09:04:00"))[1]["claude-5h"]
    later = router.live_state(cp, policy, at("09:05:01"))[1]["claude-5h"]
    assert (soon.used, later.used) == (1520, 1620)


def test_refresh_minutes_sets_how_old_the_cached_estimate_may_get(
    policy: router.Settings, claude: Path, transcript: Path
) -> None:
    (Path(policy.env["LLM_ROUTER_HOME"]) / "routing.yaml").write_text(
        BUDGET_POLICY.replace("limit_tokens: 1700", "limit_tokens: 1700, refresh_minutes: 1")
    )
    cp = router.load(policy)
    router.live_state(cp, policy, at("09:00:00"))
    append(transcript, response("msg_more", "09:01:00", "claude-opus-4-5-20251101", 50, 50))
    assert router.live_state(cp, policy, at("09:01:01"))[1]["claude-5h"].used == 1620


def test_token_kinds_choose_which_usage_fields_a_limit_counts(policy: router.Settings, claude: Path) -> None:
    (Path(policy.env["LLM_ROUTER_HOME"]) / "routing.yaml").write_text(
        "budgets:\n  - {id: c, kind: subscription, window: 5h, limit_tokens: 10000,"
        " token_kinds: [cache_read]}\n"
    )
    cp = router.load(policy)
    assert router.live_state(cp, policy, at("09:00:00"))[1]["c"].used == 1200 + 2000


@pytest.mark.parametrize(
    "budget",
    [
        "{id: c, kind: subscription, window: 5h}",
        "{id: c, kind: subscription, window: 5h, limit_tokens: 10, limit_messages: 5}",
        "{id: c, kind: subscription, window: month, limit_tokens: 10}",
        "{id: c, kind: subscription, window: 5h, limit_usd: 10}",
    ],
)
def test_a_subscription_budget_needs_one_limit_and_a_known_window(home: Path, budget: str) -> None:
    folder = home / ".llm-router"
    folder.mkdir(exist_ok=True)
    (folder / "routing.yaml").write_text(f"budgets:\n  - {budget}\n")
    with pytest.raises(PolicyError) as err:
        router.load(router.Settings(env=dict(os.environ)))
    assert all(p.file.endswith("routing.yaml") and p.line == 2 for p in err.value.problems)


def test_rules_can_read_a_subscription_budgets_use(home: Path, claude: Path) -> None:
    folder = home / ".llm-router"
    folder.mkdir(exist_ok=True)
    (folder / "routing.yaml").write_text(
        BUDGET_POLICY
        + "rules:\n  - id: claude-nearly-out\n    when: \"budget['claude-5h'].remaining < 200\"\n"
        + "    then: {route: simple, reason: little left of the Claude window}\n"
    )
    settings = router.Settings(env=dict(os.environ))
    assert decide(settings, at("09:00:00")).rule == "claude-nearly-out"


# -- the MCP tools ---------------------------------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def call_tool(name: str) -> dict[str, Any]:
    from mcp import Client

    from llm_router.mcp.server import build_server
    from llm_router.mcp.session import McpSession

    async with Client(build_server(McpSession(env=dict(os.environ)))) as client:
        result = await client.call_tool(name, {})
    assert not result.is_error, result
    return result.structured_content["report"]


@pytest.mark.anyio
async def test_check_usage_answers_the_window_per_model_and_llm_routers_own_count(
    claude: Path, transcript: Path
) -> None:
    hour_ago = datetime.fromtimestamp(time.time() - 3600, UTC).isoformat().replace("+00:00", "Z")
    entry = response("msg_recent", "", "claude-haiku-4-5-20251001", 30, 40)
    append(transcript, entry | {"timestamp": hour_ago})
    report = await call_tool("llm_check_usage")
    assert report["source"] == "claude-code transcripts" and report["estimate"] is True
    assert report["active"] is True and report["tokens"] == 70
    assert report["week"]["models"] == {
        "claude-haiku-4-5-20251001": {
            "input": 30,
            "output": 40,
            "cache_creation": 0,
            "cache_read": 0,
            "messages": 0,
        }
    }
    assert report["llm_router"]["prompts"] == 0


@pytest.mark.anyio
async def test_refresh_claude_usage_reads_the_transcripts_again_from_the_start(
    policy: router.Settings, claude: Path
) -> None:
    await call_tool("llm_check_usage")
    report = await call_tool("llm_refresh_claude_usage")
    assert report["transcripts"]["bytes_read"] > 1000
    assert [b["id"] for b in report["budgets"]] == ["claude-5h", "claude-week-opus"]


def test_the_prompt_hook_with_a_subscription_budget_imports_no_heavy_library(
    policy: router.Settings, claude: Path
) -> None:
    event = {
        "session_id": "s",
        "transcript_path": "/dev/null",
        "cwd": str(Path.cwd()),
        "permission_mode": "default",
        "hook_event_name": "UserPromptSubmit",
        "prompt": "what is 2+2?",
    }
    argv = [sys.executable, "-X", "importtime", "-m", "llm_router.hosts.hook", "claude-code"]
    for _ in range(2):  # the first run compiles the policy and scans the transcripts; the second reads caches
        proc = subprocess.run(
            argv, input=json.dumps(event).encode(), capture_output=True, env=dict(os.environ)
        )
    assert proc.returncode == 0
    modules = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.decode().splitlines()}
    assert "llm_router" in modules
    assert modules.isdisjoint(
        {"litellm", "mcp", "jsonschema", "pydantic", "httpx", "starlette", "sqlite_utils"}
    )
    assert (Path(os.environ["LLM_ROUTER_HOME"]) / "claude-usage.json").exists()


def test_a_decision_reads_a_bounded_part_and_the_next_ones_go_on(
    policy: router.Settings, claude: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llm_router.subscription import estimate as cached

    monkeypatch.setattr(cached, "DECISION_BUDGET", 1500)
    cp = router.load(policy)
    seen = [router.live_state(cp, policy, at("09:00:00"))[1]["claude-5h"].used for _ in range(6)]
    summary = cached.read_summary(Path(policy.env["LLM_ROUTER_HOME"]))
    assert seen[0] < 1520 and seen[-1] == 1520 and seen == sorted(seen)
    assert summary is not None and summary["transcripts"]["incomplete"] is False


def test_a_decision_goes_on_when_a_transcript_line_is_nested_too_deep(
    policy: router.Settings, claude: Path, transcript: Path
) -> None:
    with transcript.open("a") as handle:
        handle.write(NESTED_TOO_DEEP["objects and arrays in turn"] + "\n")
    append(transcript, response("msg_after", "09:11:00", "claude-opus-4-5-20251101", 1, 1))
    assert router.live_state(router.load(policy), policy, at("09:20:00"))[1]["claude-5h"].used == 1522


def test_a_line_longer_than_a_decisions_read_budget_is_skipped_over_the_next_decisions(
    policy: router.Settings, claude: Path, transcript: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llm_router.subscription import estimate as cached

    monkeypatch.setattr(cached, "DECISION_BUDGET", 3000)
    monkeypatch.setattr(transcripts, "MAX_LINE", 1000)
    cp = router.load(policy)
    router.live_state(cp, policy, at("09:00:00"))
    big = response("msg_big", "09:10:00", "claude-opus-4-5-20251101", 5, 5)
    big["message"]["content"] = [{"type": "text", "text": "x" * 20_000}]
    append(transcript, big, response("msg_after", "09:11:00", "claude-opus-4-5-20251101", 1, 1))
    seen = [router.live_state(cp, policy, at("09:20:00"))[1]["claude-5h"].used for _ in range(10)]
    summary = cached.read_summary(Path(policy.env["LLM_ROUTER_HOME"]))
    assert seen[-1] == 1520 + 2
    assert summary is not None and summary["transcripts"]["incomplete"] is False
