"""Media through the one pipeline: decided by the policy's `media` rule onto the media chain of the request's
kind, executed along it with fallback and one usage row per attempt, saved with a sidecar. Providers are the
stand-ins of `llm_router.testing` (OpenAI's media endpoints, a fal-style queue), called for real."""

from __future__ import annotations

import json
import stat
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llm_router import router
from llm_router.cli import main
from llm_router.decision import Request
from llm_router.execute.dispatch import Failure
from llm_router.media import MediaJob
from llm_router.media.http import Api
from llm_router.providers.prices import unit_price
from llm_router.store import open_db
from llm_router.testing.media import FakeMedia, wav
from llm_router.testing.queue import FakeQueue

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydantic", "ignore::DeprecationWarning:litellm")
KEY = "sk-test-media-0123456789abcdef"
FAL = "fal_ai/fal-ai/flux/schnell"


@pytest.fixture
def openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMedia]:
    """OpenAI's media endpoints on 127.0.0.1, with OPENAI_API_KEY and OPENAI_BASE_URL pointing at them."""
    with FakeMedia() as fake:
        for name, value in fake.env(KEY).items():
            monkeypatch.setenv(name, value)
        yield fake


@pytest.fixture
def fal(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeQueue]:
    """A fal-style queue on 127.0.0.1, with FAL_KEY and FAL_API_BASE pointing at it."""
    with FakeQueue(polls=2) as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        yield fake


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    """A policy layer with short media chains and fast polling."""
    path = tmp_path / "media.yaml"
    path.write_text(
        "media:\n"
        "  image: [fal_ai/fal-ai/flux/schnell, openai/gpt-image-1]\n"
        "  speech: [openai/tts-1]\n"
        "  transcription: [openai/whisper-1]\n"
        "  video: [fal_ai/fal-ai/kling-video/text-to-video, openai/gpt-image-1]\n"
        "  poll_s: 0.01\n"
        "  wait_s: 5\n"
        "models:\n"
        "  fal_ai/fal-ai/kling-video/text-to-video: {usd_per_video_second: 0.07}\n"
    )
    return path


def cli(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        returned = main(list(argv))
        code = returned if isinstance(returned, int) else 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def media(kind: str, prompt: str, config: Path, models: list[str] | None = None, **options: object) -> Any:
    """Decide and run one media request, as the CLI does."""
    settings = router.Settings(config=config)
    request = Request(prompt, host="cli", event=kind)
    decision = router.decide(request, settings=settings)
    job = MediaJob(kind, prompt, **options)  # type: ignore[arg-type]
    return router.run_media(decision, request, job, settings=settings, models=models)


def usage_rows(home: Path) -> list[dict[str, object]]:
    conn = open_db(home / ".llm-router" / "usage.db")
    return [
        dict(r) for r in conn.execute("SELECT model, outcome, kind, units, cost_usd FROM usage ORDER BY id")
    ]


def assert_valid_png(data: bytes) -> None:
    """Signature, every chunk's CRC, an IHDR first, an IEND last, and IDAT that decompresses."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds, idat = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc
        kinds.append(kind)
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and zlib.decompress(idat)


# -- deciding --------------------------------------------------------------------------------------------


def test_an_image_request_is_decided_by_the_media_rule_onto_the_image_chain(openai: FakeMedia) -> None:
    decision = router.decide(Request("a red square", event="image"))
    assert (decision.rule, decision.tier) == ("media", "image")
    assert decision.chain[0].startswith("fal_ai/") and decision.usable == ("openai/gpt-image-1",)


def test_a_downgrade_moves_a_media_request_to_the_cheaper_profiles_chain(tmp_path: Path) -> None:
    config = tmp_path / "p.yaml"
    config.write_text(
        "media:\n  image: {budget: [openai/cheap], balanced: [openai/dear]}\n"
        "rules:\n  - {id: thrifty, before: media, when: \"kind == 'image'\", then: {downgrade: 1},\n"
        "     continue: true}\n"
    )
    decision = router.decide(Request("a cat", event="image"), settings=router.Settings(config=config))
    assert decision.chain == ("openai/cheap",) and "budget profile" in decision.reason


def test_a_text_prompt_never_takes_the_media_rule() -> None:
    assert router.decide(Request("what is 2 + 2?")).rule != "media"


# -- the image command -----------------------------------------------------------------------------------


def test_image_command_writes_a_valid_png_and_prints_its_path_and_cost(
    openai: FakeMedia, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "new" / "images"
    code, stdout, err = cli("image", "a red square", "--out", str(out), "--json", "-q", capsys=capsys)
    assert code == 0, err
    answer = json.loads(stdout)
    path = Path(answer["path"])
    assert path.parent == out and path.suffix == ".png"
    assert_valid_png(path.read_bytes())
    assert answer["cost_usd"] == pytest.approx(0.042) and answer["model"] == "openai/gpt-image-1"
    assert answer["decision_id"] and answer["rule"] == "media"


def test_results_are_private_files_in_folders_llm_router_creates(openai: FakeMedia, tmp_path: Path) -> None:
    result = media("image", "a red square", _empty(tmp_path))
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(result.sidecar.stat().st_mode) == 0o600
    assert stat.S_IMODE(result.path.parent.stat().st_mode) == 0o700


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.yaml"
    path.write_text("version: 1\n")
    return path


def test_the_sidecar_keeps_the_prompts_hash_not_the_prompt(openai: FakeMedia, tmp_path: Path) -> None:
    result = media("image", "a secret red square", _empty(tmp_path))
    sidecar = json.loads(result.sidecar.read_text())
    assert "prompt" not in sidecar and len(sidecar["prompt_sha256"]) == 64
    assert sidecar["model"] == "openai/gpt-image-1" and sidecar["decision_id"] == result.decision_id
    assert sidecar["cost_usd"] == pytest.approx(0.042) and sidecar["seconds"] >= 0


def test_the_sidecar_keeps_the_prompt_when_store_prompts_is_on(
    openai: FakeMedia, tmp_path: Path, home: Path
) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "config.yaml").write_text("store_prompts: true\n")
    result = media("image", "a red square", _empty(tmp_path))
    assert json.loads(result.sidecar.read_text())["prompt"] == "a red square"


def test_an_image_given_as_a_url_is_downloaded(openai: FakeMedia, tmp_path: Path) -> None:
    openai.script("gpt-image-1", "url")
    assert_valid_png(media("image", "a red square", _empty(tmp_path)).path.read_bytes())


def test_a_failing_model_falls_back_along_the_chain_with_one_usage_row_per_attempt(
    openai: FakeMedia, fal: FakeQueue, policy: Path, home: Path
) -> None:
    fal.script(FAL, "401")
    result = media("image", "a red square", policy)
    assert result.model == "openai/gpt-image-1"
    rows = usage_rows(home)
    assert [(r["model"], r["outcome"], r["kind"]) for r in rows] == [
        (FAL, "auth", "image"),
        ("openai/gpt-image-1", "ok", "image"),
    ]
    assert rows[1]["units"] == 1 and rows[1]["cost_usd"] == pytest.approx(0.042)


def test_every_model_failing_is_exit_code_5(openai: FakeMedia, capsys: pytest.CaptureFixture[str]) -> None:
    openai.script("gpt-image-1", "500")
    code, _, err = cli("image", "a red square", "--model", "openai/gpt-image-1", "-q", capsys=capsys)
    assert code == 5 and "server_error" in err


# -- speech and transcription ----------------------------------------------------------------------------


def test_speech_is_saved_and_priced_per_character(openai: FakeMedia, policy: Path) -> None:
    result = media("speech", "hello world", policy)
    assert result.path.read_bytes()[:4] == b"RIFF"
    assert result.cost_usd == pytest.approx(11 * 15e-6)


def test_transcription_returns_the_text_priced_by_the_seconds_of_audio(
    openai: FakeMedia, policy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = tmp_path / "talk.wav"
    recording.write_bytes(wav(2.0))
    code, out, err = cli("transcribe", str(recording), "--config", str(policy), "--json", "-q", capsys=capsys)
    assert code == 0, err
    answer = json.loads(out)
    assert answer["text"] == "a transcript from the stand-in" and answer["units"] == 3.0
    assert answer["cost_usd"] == pytest.approx(3 * 0.0001)
    assert Path(answer["path"]).read_text() == answer["text"]


# -- queued jobs -----------------------------------------------------------------------------------------


def test_a_queued_job_is_polled_to_completion_and_its_file_fetched_without_the_key(
    fal: FakeQueue, policy: Path
) -> None:
    result = media("image", "a red square", policy)
    (job,) = fal.submitted(FAL)
    assert result.provider_job_id == job.id and result.cost_usd == pytest.approx(0.003)
    assert set(job.authorization) == {"Key fal-test-key-0123456789"} and job.polls == 3
    assert fal.downloads == [""]


def test_a_failed_queued_job_falls_back_to_the_next_model(
    openai: FakeMedia, fal: FakeQueue, policy: Path
) -> None:
    fal.script(FAL, "fail")
    assert media("image", "a red square", policy).model == "openai/gpt-image-1"


def test_a_video_that_outlives_the_wait_is_kept_and_resumed_by_its_id(
    fal: FakeQueue, policy: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy.write_text(
        policy.read_text().replace("wait_s: 5", "wait_s: 1").replace("poll_s: 0.01", "poll_s: 0.2")
    )
    fal.script("fal-ai/kling-video/text-to-video", "stuck")
    code, out, _ = cli("video", "a cat", "--config", str(policy), "--json", "-q", capsys=capsys)
    pending = json.loads(out)
    assert (
        code == 1
        and pending["pending"]
        and pending["resume"] == f"llm-router video --resume {pending['job_id']}"
        and pending["error"]["code"] == "media-pending"
    )
    state = home / ".llm-router" / "media" / "jobs" / f"{pending['job_id']}.json"
    assert stat.S_IMODE(state.stat().st_mode) == 0o600 and usage_rows(home) == []
    (job,) = fal.submitted("fal-ai/kling-video/text-to-video")
    job.step = "ok"
    code, out, err = cli(
        "video", "--resume", pending["job_id"], "--config", str(policy), "--json", "-q", capsys=capsys
    )
    assert code == 0, err
    answer = json.loads(out)
    assert answer["mime"] == "video/mp4" and answer["cost_usd"] == pytest.approx(5 * 0.07)
    assert len(fal.submitted("fal-ai/kling-video/text-to-video")) == 1 and not state.exists()
    assert [(r["outcome"], r["kind"], r["units"]) for r in usage_rows(home)] == [("ok", "video", 5.0)]


# -- keys, prices, budgets -------------------------------------------------------------------------------


def test_a_reply_pointing_the_key_at_another_origin_is_refused() -> None:
    api = Api({"api_base": "http://127.0.0.1:9/queue"}, {"Authorization": "Key k"}, 1.0)
    with pytest.raises(Failure, match="not its own API"):
        api.own("http://elsewhere.example/requests/1/status")


def test_a_per_unit_price_in_the_policy_overrides_litellms_table() -> None:
    overrides = {"openai/tts-1": {"usd_per_1k_chars": 0.5}, "openai/whisper-1": {"usd_per_minute": 0.6}}
    assert unit_price("openai/tts-1", "speech", overrides).usd_per_unit == pytest.approx(0.0005)  # type: ignore[union-attr]
    assert unit_price("openai/whisper-1", "transcription", overrides).usd_per_unit == pytest.approx(0.01)  # type: ignore[union-attr]
    assert unit_price("openai/tts-1", "speech").usd_per_unit == pytest.approx(15e-6)  # type: ignore[union-attr]


def test_media_spending_counts_against_budgets(openai: FakeMedia, tmp_path: Path) -> None:
    config = tmp_path / "budget.yaml"
    config.write_text("budgets: [{id: openai-day, provider: openai, period: day, limit_usd: 0.04}]\n")
    media("image", "a red square", config)
    decision = router.decide(Request("another", event="image"), settings=router.Settings(config=config))
    # budget-pressure moved the request to the budget profile's image chain, where openai is ruled out too
    assert "budget profile" in decision.reason and "a budget is at least 80% used" in decision.reason
    assert "openai-day" in decision.unusable["openai/gpt-image-1-mini"]


def test_media_with_every_model_over_its_budget_is_exit_code_6(
    openai: FakeMedia, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "budget.yaml"
    config.write_text("budgets: [{id: openai-day, provider: openai, period: day, limit_usd: 0.04}]\n")
    media("image", "a red square", config)
    argv = ["image", "another", "--model", "openai/gpt-image-1", "--config", str(config), "-q"]
    code, _, err = cli(*argv, capsys=capsys)
    assert code == 6 and "budget 'openai-day' exhausted" in err


def test_media_whose_only_provider_is_unknown_is_exit_code_5_whatever_its_name(
    openai: FakeMedia, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli("image", "a red square", "--model", "budget/img", "-q", capsys=capsys)
    assert code == 5 and "unknown provider 'budget'" in err


# -- MCP -------------------------------------------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_the_media_tools_appear_only_in_the_full_tier() -> None:
    from llm_router.mcp.server import tool_names

    media_tools = {"llm_image", "llm_video", "llm_audio"}
    assert media_tools <= set(tool_names("full"))
    assert not media_tools & set(tool_names("routing")) and not media_tools & set(tool_names("core"))


def test_the_policy_can_move_a_media_tool_to_another_tier_or_off(tmp_path: Path) -> None:
    from llm_router.mcp.server import policy_tiers, tool_names
    from llm_router.mcp.session import McpSession

    config = tmp_path / "mcp.yaml"
    config.write_text("mcp:\n  tools: {llm_image: core, llm_video: off}\n")
    tiers = policy_tiers(McpSession(config=config))
    assert "llm_image" in tool_names("core", tiers) and "llm_video" not in tool_names("full", tiers)


@pytest.mark.anyio
async def test_llm_image_returns_the_path_and_the_image_as_a_content_block(openai: FakeMedia) -> None:
    import base64
    import os

    from mcp import Client

    from llm_router.mcp.server import build_server
    from llm_router.mcp.session import McpSession

    async with Client(build_server(McpSession(env=dict(os.environ)), slim="full")) as client:
        result = await client.call_tool("llm_image", {"prompt": "a red square"})
    assert not result.is_error
    answer = result.structured_content
    image = next(block for block in result.content if block.type == "image")
    assert base64.b64decode(image.data) == Path(answer["path"]).read_bytes()
    assert answer["cost_usd"] == pytest.approx(0.042) and answer["decision_id"]


def test_savings_count_media_against_their_kinds_baseline_apart_from_prompts(
    openai: FakeMedia, fal: FakeQueue, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    media("image", "a red square", policy)
    code, out, err = cli("savings", "--json", "--config", str(policy), capsys=capsys)
    report = json.loads(out)
    assert code == 0, err
    assert report["calls"] == 0 and report["cost_usd"] == 0  # the prompts' saving holds no media row
    image = report["media"]["image"]
    assert image["calls"] == 1 and image["cost_usd"] == pytest.approx(0.003)
    assert image["baseline_model"] == "openai/gpt-image-1" and image["saved_usd"] == pytest.approx(0.039)


# -- the other providers' own APIs -----------------------------------------------------------------------


@pytest.fixture
def direct(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMedia]:
    """Stability's and ElevenLabs' APIs on 127.0.0.1, with their keys and base URLs set."""
    with FakeMedia() as fake:
        for name, value in (fake.stability_env() | fake.elevenlabs_env()).items():
            monkeypatch.setenv(name, value)
        yield fake


def test_stability_gets_a_multipart_form_with_its_bearer_key(direct: FakeMedia, tmp_path: Path) -> None:
    result = media("image", "a red square", _empty(tmp_path), models=["stability/stable-image-core"])
    assert_valid_png(result.path.read_bytes())
    (seen,) = direct.seen
    assert seen.path == "/v2beta/stable-image/generate/core" and seen.authorization.startswith("Bearer sk-")
    assert seen.body["prompt"] == "a red square" and seen.body["output_format"] == "png"
    assert result.cost_usd == pytest.approx(0.03)


def test_an_image_stability_filters_moves_to_the_next_model(
    direct: FakeMedia, openai: FakeMedia, tmp_path: Path
) -> None:
    direct.script("stable-image-core", "filtered")
    models = ["stability/stable-image-core", "openai/gpt-image-1"]
    result = media("image", "a red square", _empty(tmp_path), models=models)
    assert result.model == "openai/gpt-image-1" and result.attempts[0].outcome == "refusal"


def test_elevenlabs_speaks_with_its_own_key_header(direct: FakeMedia, tmp_path: Path) -> None:
    result = media("speech", "hello", _empty(tmp_path), models=["elevenlabs/eleven_multilingual_v2"])
    (seen,) = direct.seen
    assert seen.path.startswith("/v1/text-to-speech/") and seen.authorization.startswith("xi-test-")
    assert result.path.suffix == ".mp3" and result.cost_usd == pytest.approx(5 * 0.00018)


def test_elevenlabs_transcribes_priced_by_its_word_timings(direct: FakeMedia, tmp_path: Path) -> None:
    recording = tmp_path / "talk.mp3"
    recording.write_bytes(b"ID3" + b"\x00" * 32)
    settings = router.Settings(config=_empty(tmp_path))
    request = Request("transcribe talk.mp3", event="transcription")
    job = MediaJob("transcription", "", audio=recording)
    decision = router.decide(request, settings=settings)
    result = router.run_media(decision, request, job, settings=settings, models=["elevenlabs/scribe_v1"])
    assert result.text == "a transcript from the stand-in" and result.units == 3.0
    assert direct.seen[0].body["file"] == "<file>" and direct.seen[0].body["model_id"] == "scribe_v1"


def test_a_replicate_prediction_is_polled_until_it_succeeds(
    fal: FakeQueue, monkeypatch: pytest.MonkeyPatch, policy: Path
) -> None:
    for name, value in fal.replicate_env().items():
        monkeypatch.setenv(name, value)
    model = "replicate/black-forest-labs/flux-schnell"
    result = media("image", "a red square", policy, models=[model])
    (job,) = fal.submitted("black-forest-labs/flux-schnell")
    assert job.api == "replicate" and job.body == {"input": {"prompt": "a red square"}}
    assert set(job.authorization) == {"Bearer r8_test_key_0123456789"} and fal.downloads == [""]
    assert result.provider_job_id == job.id and not result.priced and result.warnings


def test_a_runway_task_is_polled_with_its_version_header(
    fal: FakeQueue, monkeypatch: pytest.MonkeyPatch, policy: Path
) -> None:
    for name, value in fal.runway_env().items():
        monkeypatch.setenv(name, value)
    result = media("video", "waves", policy, models=["runwayml/gen4.5"], seconds=4, size="16:9")
    (job,) = fal.submitted("gen4.5")
    assert job.body == {"model": "gen4.5", "promptText": "waves", "duration": 4, "ratio": "1280:720"}
    assert result.mime == "video/mp4" and result.cost_usd == pytest.approx(4 * 0.12)


def test_a_size_that_is_neither_dimensions_nor_a_ratio_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = cli("image", "a red square", "--size", "huge", capsys=capsys)
    assert code == 2 and "WIDTHxHEIGHT" in err


def test_an_interrupted_wait_keeps_the_queued_job_and_names_its_id(fal: FakeQueue, home: Path) -> None:
    import os

    from llm_router.execute import Options
    from llm_router.media.run import MediaPending, MediaSettings, Where, execute_media
    from llm_router.testing import make_decision

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt  # what Ctrl-C does to the wait between two status requests

    model = "fal_ai/fal-ai/kling-video/text-to-video"
    with pytest.raises(MediaPending) as caught:
        execute_media(
            make_decision([model]),
            Request("a cat", event="video"),
            MediaJob("video", "a cat"),
            [model],
            env=dict(os.environ),
            options=Options(),
            conn=None,
            where=Where(home / ".llm-router", home / "out"),
            media=MediaSettings(poll_s=0.01, wait_s=5),
            sleep=interrupt,
        )
    assert (home / ".llm-router" / "media" / "jobs" / f"{caught.value.job_id}.json").is_file()
    assert caught.value.resume == f"llm-router video --resume {caught.value.job_id}"


# -- privacy ----------------------------------------------------------------------------------------------

SECRET = "Zanzibar quokkas juggle seventeen tangerines at dawn in marmalade light"


def test_no_piece_of_the_prompt_reaches_the_home_and_every_file_there_is_private(
    openai: FakeMedia, fal: FakeQueue, policy: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    openai.script("gpt-image-1", "url")  # its answer carries no revised prompt either way
    assert cli("image", SECRET, "--config", str(policy), "-q", capsys=capsys)[0] == 0
    policy.write_text(
        policy.read_text().replace("wait_s: 5", "wait_s: 1").replace("poll_s: 0.01", "poll_s: 0.2")
    )
    fal.script("fal-ai/kling-video/text-to-video", "stuck")
    assert cli("video", SECRET, "--config", str(policy), "-q", capsys=capsys)[0] == 1  # a job file is kept
    root = home / ".llm-router"
    wanted = {SECRET[i : i + 12].encode() for i in range(len(SECRET) - 11)}
    holding = [p.name for p in root.rglob("*") if p.is_file() and any(w in p.read_bytes() for w in wanted)]
    assert holding == []
    loose = [p.name for p in root.rglob("*") if stat.S_IMODE(p.stat().st_mode) not in (0o600, 0o700)]
    assert loose == [] and {p.suffix for p in (root / "media").iterdir()} >= {".png", ".json", ""}


def test_a_media_chain_naming_a_provider_not_sent_that_kind_is_a_located_policy_error(tmp_path: Path) -> None:
    from llm_router.errors import PolicyError

    config = tmp_path / "bad.yaml"
    config.write_text("media:\n  speech: [openai/tts-1, stability/stable-image-core]\n")
    with pytest.raises(PolicyError) as caught:
        router.load(router.Settings(config=config))
    (problem,) = [p for p in caught.value.problems if p.code == "unsupported-media"]
    assert (problem.line, problem.pointer) == (2, "/media/speech/1") and "elevenlabs" in problem.hint


def test_an_openai_video_goes_through_litellms_video_api_and_is_polled(
    openai: FakeMedia, policy: Path
) -> None:
    result = media("video", "waves", policy, models=["openai/sora-2"], seconds=4)
    ((ident, video),) = openai.videos.items()
    assert video["body"]["prompt"] == "waves" and video["polls"] == 3
    assert result.mime == "video/mp4" and result.cost_usd == pytest.approx(4 * 0.1)


@pytest.mark.anyio
async def test_a_client_lists_the_tools_the_policy_moves_into_its_tier(tmp_path: Path) -> None:
    import os

    from mcp import Client

    from llm_router.mcp.server import build_server
    from llm_router.mcp.session import McpSession

    config = tmp_path / "mcp.yaml"
    config.write_text("mcp:\n  tools: {llm_image: core, llm_usage: off}\n")
    session = McpSession(env=dict(os.environ), config=config)
    async with Client(build_server(session, slim="core")) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        refused = await client.call_tool("llm_usage", {})
    assert "llm_image" in names and "llm_usage" not in names and refused.is_error


def test_lint_names_a_media_model_with_no_price_per_unit(tmp_path: Path) -> None:
    from llm_router.policy.lint import lint_policy

    config = tmp_path / "p.yaml"
    config.write_text("media:\n  video: [replicate/minimax/video-01, runwayml/gen4.5]\n")
    findings = [
        i for i in lint_policy(router.load(router.Settings(config=config))) if i.code == "unpriced-media"
    ]
    assert [i.pointer for i in findings] == ["/media/video/0"] and "usd_per_video_second" in findings[0].hint


def test_the_built_in_media_chains_are_all_priced() -> None:
    from llm_router.policy.lint import lint_policy

    assert [i.pointer for i in lint_policy(router.load()) if i.code == "unpriced-media"] == []
