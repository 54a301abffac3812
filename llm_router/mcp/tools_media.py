"""The media tools: llm_image, llm_video and llm_audio, each decided by the policy (event = the media kind)
and executed along its media chain through `router.run_media`. Each returns where the result was saved,
what it cost and the decision; llm_image also returns the image itself as an image content block."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ImageContent, TextContent
from pydantic import Field

from llm_router.mcp.results import MediaAnswer
from llm_router.mcp.session import McpSession, blocking, check_model, check_prompt

MAX_INLINE_IMAGE_BYTES = 8 << 20  # larger images are returned by path only

Model = Annotated[str | None, Field(description="A model id (provider/name) to use instead of the chain")]
OutDir = Annotated[
    str | None, Field(description="Folder to save into (default: the llm-router home's media/ folder)")
]


def media_tools(s: McpSession) -> dict[str, Callable[..., Any]]:
    """The media tools, bound to one session, by name."""

    def run(kind: str, prompt: str, model: str | None, out_dir: str | None, **options: Any) -> dict[str, Any]:
        from llm_router import router
        from llm_router.media import MediaJob
        from llm_router.media.run import MediaPending

        check_prompt(prompt)
        if model is not None:
            check_model(model, s.configured())
        request = s.request(prompt, kind)
        decision = s.decide(prompt, kind)
        job = MediaJob(kind, prompt, **options)
        folder = Path(out_dir).expanduser() if out_dir else None
        try:
            result = router.run_media(
                decision, request, job, settings=s.settings, models=[model] if model else None, out_dir=folder
            )
        except MediaPending as pending:
            return pending_answer(pending)
        return answer(result)

    async def llm_image(
        prompt: str,
        model: Model = None,
        size: Annotated[str | None, Field(description="WIDTHxHEIGHT, e.g. 1024x1024")] = None,
        out_dir: OutDir = None,
    ) -> Annotated[CallToolResult, MediaAnswer]:
        """Generate an image from a prompt through the policy's image chain (cheapest first, falling back on
        failure). Saves it with a JSON sidecar and returns its path, cost and the image itself."""
        result = await blocking(run, "image", prompt, model, out_dir, size=size)
        return with_image(result)

    async def llm_video(
        prompt: str = "",
        model: Model = None,
        seconds: Annotated[float | None, Field(description="Length in seconds", ge=1, le=60)] = None,
        ratio: Annotated[str | None, Field(description="Aspect ratio, e.g. 16:9")] = None,
        out_dir: OutDir = None,
        resume_job_id: Annotated[str | None, Field(description="Wait again for a job left running")] = None,
    ) -> MediaAnswer:
        """Generate a video through the policy's video chain. A job still running when the wait runs out is
        kept: the answer says `pending` with a `job_id`; call again with resume_job_id to collect it."""
        if resume_job_id:
            from llm_router import router
            from llm_router.media.run import MediaPending

            def resume() -> dict[str, Any]:
                try:
                    return answer(router.resume_media(resume_job_id, settings=s.settings))
                except MediaPending as pending:
                    return pending_answer(pending)

            resumed: dict[str, Any] = await blocking(resume)
            return MediaAnswer(**resumed)  # type: ignore[typeddict-item]
        if not prompt.strip():
            raise ToolError("prompt is empty (give a prompt, or resume_job_id)")
        result = await blocking(run, "video", prompt, model, out_dir, seconds=seconds, size=ratio)
        return MediaAnswer(**result)  # type: ignore[typeddict-item]

    async def llm_audio(
        text: str,
        model: Model = None,
        voice: Annotated[str | None, Field(description="A voice of the provider, e.g. alloy")] = None,
        out_dir: OutDir = None,
    ) -> MediaAnswer:
        """Speak a text through the policy's speech chain; saves the audio and returns its path and cost."""
        result = await blocking(run, "speech", text, model, out_dir, voice=voice)
        return MediaAnswer(**result)  # type: ignore[typeddict-item]

    return {f.__name__: f for f in (llm_image, llm_video, llm_audio)}


def pending_answer(pending: Any) -> dict[str, Any]:
    """The answer for a job still running: its id and how to resume it."""
    return {"pending": True, "job_id": pending.job_id, "model": pending.model, "resume": pending.resume}


def answer(result: Any) -> dict[str, Any]:
    """A MediaAnswer from run_media's MediaResult."""
    return {
        "path": str(result.path),
        "sidecar": str(result.sidecar),
        "kind": result.kind,
        "mime": result.mime,
        "model": result.model,
        "cost_usd": round(result.cost_usd, 8),
        "priced": result.priced,
        "decision_id": result.decision_id,
        "attempts": len(result.attempts),
        "provider_job_id": result.provider_job_id,
    }


def with_image(result: dict[str, Any]) -> CallToolResult:
    """The answer as JSON text and structured content, plus the image as an image content block."""
    content: list[Any] = [TextContent(type="text", text=json.dumps(result))]
    path = result.get("path")
    if path and str(result.get("mime", "")).startswith("image/"):
        data = Path(path).read_bytes()
        if len(data) <= MAX_INLINE_IMAGE_BYTES:
            encoded = base64.b64encode(data).decode()
            content.append(ImageContent(type="image", data=encoded, mime_type=result["mime"]))
    return CallToolResult(content=content, structured_content=result)
