"""`llm-router image | video | audio | transcribe`: media through the one pipeline (decided by the policy's
rules with `kind` set, executed along the media chain), saved with a JSON sidecar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from llm_router.cli.common import CONFIG_OPTION, JSON_OPTION, emit_json

MODEL_OPTION = click.option(
    "--model", "model", metavar="M", help="Use this model (provider/name), not the chain."
)
OUT_OPTION = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the result and its .json sidecar (default: $LLM_ROUTER_HOME/media/).",
)
QUIET_OPTION = click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")


def _progress(quiet: bool) -> Any:
    if quiet:
        return None
    return lambda message: click.echo(f"llm-router: {message}", err=True)


def generate(
    kind: str,
    prompt: str,
    *,
    model: str | None,
    out_dir: Path | None,
    as_json: bool,
    quiet: bool,
    config: Path | None,
    **options: Any,
) -> None:
    """Decide, execute and report one media request; the shared body of the commands."""
    from llm_router import router
    from llm_router.decision import Request
    from llm_router.media import MediaJob

    settings = router.Settings(config=config)
    request = Request(prompt=prompt, host="cli", event=kind, cwd=str(settings.cwd))
    job = MediaJob(kind, prompt, **options)
    decision = router.decide(request, settings=settings)
    _report(
        lambda: router.run_media(
            decision,
            request,
            job,
            settings=settings,
            models=[model] if model else None,
            out_dir=out_dir,
            on_progress=_progress(quiet),
        ),
        as_json,
        {"tier": decision.tier, "rule": decision.rule},
    )


def _report(make: Any, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    from llm_router.media.run import MediaPending

    try:
        result = make()
    except MediaPending as pending:
        if as_json:  # the report of the kept job; the error (code media-pending) becomes its `error` member
            kept = {
                "pending": True,
                "job_id": pending.job_id,
                "model": pending.model,
                "resume": pending.resume,
            }
            emit_json(kept)
        raise
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        emit_json(result.to_dict() | (extra or {}))
        return
    from llm_router.cli.numbers import usd

    price = usd(result.cost_usd) if result.priced else "$? (no known price)"
    click.echo(str(result.path))
    if result.text is not None:
        click.echo(result.text)
    tries = len(result.attempts)
    click.echo(
        f"-- {result.model} · {tries} attempt{'s' * (tries != 1)} · {price} · decision {result.decision_id}",
        err=True,
    )


def _size(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """WIDTHxHEIGHT or W:H, else a usage error."""
    import re

    if value is None or re.fullmatch(r"\d{2,5}x\d{2,5}|\d{1,5}:\d{1,5}", value.strip().lower()):
        return value.strip().lower() if value else None
    raise click.BadParameter(f"{value!r}: give WIDTHxHEIGHT (1024x1024) or an aspect ratio (16:9)")


def _text(value: str | None, what: str) -> str:
    from llm_router.cli.prompt import read_prompt

    try:
        return read_prompt(value)
    except click.UsageError as exc:
        raise click.UsageError(str(exc).replace("prompt", what)) from None


@click.command()
@click.argument("prompt", required=False)
@MODEL_OPTION
@OUT_OPTION
@click.option(
    "--size", metavar="WxH", callback=_size, help="Image size, e.g. 1024x1024 (or an aspect ratio: 16:9)."
)
@click.option("--quality", metavar="Q", help="Image quality the provider knows (low, medium, high, hd, ...).")
@JSON_OPTION
@QUIET_OPTION
@CONFIG_OPTION
def image(
    prompt: str | None,
    model: str | None,
    out_dir: Path | None,
    size: str | None,
    quality: str | None,
    as_json: bool,
    quiet: bool,
    config: Path | None,
) -> None:
    """Generate an image from PROMPT through the policy's image chain, and save it with a sidecar.

    With --json, prints `path`, `cost_usd`, `model` and `decision_id`. Exit code 5 when every model failed,
    6 when budgets rule out every model.
    """
    generate(
        "image",
        _text(prompt, "prompt"),
        model=model,
        out_dir=out_dir,
        as_json=as_json,
        quiet=quiet,
        config=config,
        size=size,
        quality=quality,
    )


@click.command()
@click.argument("prompt", required=False)
@MODEL_OPTION
@OUT_OPTION
@click.option("--seconds", type=click.FloatRange(1, 60), help="How long the video should be.")
@click.option("--ratio", "size", metavar="W:H", callback=_size, help="Aspect ratio, e.g. 16:9.")
@click.option("--resume", "resume", metavar="JOB_ID", help="Wait again for a job that was left running.")
@JSON_OPTION
@QUIET_OPTION
@CONFIG_OPTION
def video(
    prompt: str | None,
    model: str | None,
    out_dir: Path | None,
    seconds: float | None,
    size: str | None,
    resume: str | None,
    as_json: bool,
    quiet: bool,
    config: Path | None,
) -> None:
    """Generate a video from PROMPT through the policy's video chain, showing progress on stderr.

    A job still running after the policy's `media.wait_s` is kept: resume it with --resume JOB_ID (exit
    code 1 until then; with --json, `{"pending": true, "job_id", "resume"}`).
    """
    if resume:
        if prompt:
            raise click.UsageError("give either a PROMPT or --resume JOB_ID, not both")
        from llm_router import router

        settings = router.Settings(config=config)
        _report(lambda: router.resume_media(resume, settings=settings, on_progress=_progress(quiet)), as_json)
        return
    generate(
        "video",
        _text(prompt, "prompt"),
        model=model,
        out_dir=out_dir,
        as_json=as_json,
        quiet=quiet,
        config=config,
        seconds=seconds,
        size=size,
    )


@click.command()
@click.argument("text", required=False)
@MODEL_OPTION
@OUT_OPTION
@click.option("--voice", metavar="V", help="A voice of the provider (alloy, or an ElevenLabs voice id).")
@click.option(
    "--format",
    "audio_format",
    type=click.Choice(["mp3", "wav", "opus", "aac", "flac"]),
    default="mp3",
    show_default=True,
    help="Audio format.",
)
@JSON_OPTION
@QUIET_OPTION
@CONFIG_OPTION
def audio(
    text: str | None,
    model: str | None,
    out_dir: Path | None,
    voice: str | None,
    audio_format: str,
    as_json: bool,
    quiet: bool,
    config: Path | None,
) -> None:
    """Speak TEXT through the policy's speech chain, and save the audio with a sidecar."""
    generate(
        "speech",
        _text(text, "text"),
        model=model,
        out_dir=out_dir,
        as_json=as_json,
        quiet=quiet,
        config=config,
        voice=voice,
        audio_format=audio_format,
    )


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@MODEL_OPTION
@OUT_OPTION
@click.option("--language", metavar="LANG", help="The language spoken (ISO 639-1, e.g. en).")
@click.option("--prompt", "hint", default="", help="Words the recording uses (names, terms), as a hint.")
@JSON_OPTION
@QUIET_OPTION
@CONFIG_OPTION
def transcribe(
    file: Path,
    model: str | None,
    out_dir: Path | None,
    language: str | None,
    hint: str,
    as_json: bool,
    quiet: bool,
    config: Path | None,
) -> None:
    """Transcribe the audio FILE through the policy's transcription chain; the text is printed and saved."""
    from llm_router import router
    from llm_router.decision import Request
    from llm_router.media import MediaJob

    settings = router.Settings(config=config)
    # The request the policy sees names the file, not its contents.
    request = Request(
        prompt=hint or f"transcribe {file.name}", host="cli", event="transcription", cwd=str(settings.cwd)
    )
    job = MediaJob("transcription", hint, audio=file.resolve(), language=language)
    decision = router.decide(request, settings=settings)
    _report(
        lambda: router.run_media(
            decision,
            request,
            job,
            settings=settings,
            models=[model] if model else None,
            out_dir=out_dir,
            on_progress=_progress(quiet),
        ),
        as_json,
        {"tier": decision.tier, "rule": decision.rule},
    )
