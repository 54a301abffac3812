"""The pipeline tools: list the pipelines (llm_pipeline_templates) and run one (llm_orchestrate), each step
routed by the policy, with a progress notification per step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import anyio.from_thread
from mcp.server.mcpserver import Context
from pydantic import Field

from llm_router.mcp.results import Report
from llm_router.mcp.session import McpSession, blocking


def templates(session: McpSession) -> Report:
    """Every pipeline that can be run, with its inputs and steps; invalid files named with their problems."""
    from llm_router import pipelines
    from llm_router.errors import PolicyError

    rows, invalid = [], []
    for name, (source, path) in sorted(pipelines.available(session.env, session.cwd).items()):
        try:
            rows.append(pipelines.load_file(path, source).summary())
        except PolicyError as exc:
            invalid.append({"name": name, "path": str(path), "problems": str(exc)})
    return Report(
        report={"pipelines": rows, "invalid": invalid, "ignored": pipelines.ignored(session.env, session.cwd)}
    )


def orchestrate(
    session: McpSession, name: str, inputs: dict[str, str], progress: Callable[[str], None]
) -> Report:
    from llm_router import pipelines

    p = pipelines.load(name, session.env, session.cwd)
    result = pipelines.run(
        p, inputs, settings=session.settings, host="mcp", knobs=session.knobs, progress=progress
    )
    left_out = pipelines.ignored(session.env, session.cwd, name)
    return Report(report=result.to_dict() | ({"ignored": left_out} if left_out else {}))


def pipeline_tools(s: McpSession) -> dict[str, Callable[..., Any]]:
    """The pipeline tools, bound to one session, by name."""

    async def llm_pipeline_templates() -> Report:
        """List the multi-step pipelines (research, code-review, doc-draft, and the user's): name,
        description, inputs and steps."""
        return await blocking(templates, s)

    async def llm_orchestrate(
        pipeline: Annotated[str, Field(description="The pipeline's name (see llm_pipeline_templates)")],
        ctx: Context,
        inputs: Annotated[
            dict[str, str] | None, Field(description='The pipeline\'s inputs by name, e.g. {"topic": "..."}')
        ] = None,
    ) -> Report:
        """Run a multi-step pipeline: each step is routed by the policy and executed (falling back along its
        chain); the answer has every step with its decision id, model and output, and the final output.
        A step that still fails stops the run and the report keeps what finished."""
        done = 0

        def progress(line: str) -> None:
            nonlocal done
            done += 1
            anyio.from_thread.run(ctx.report_progress, done, None, line)

        return await blocking(orchestrate, s, pipeline, dict(inputs or {}), progress)

    return {f.__name__: f for f in (llm_pipeline_templates, llm_orchestrate)}
