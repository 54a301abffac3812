"""The routing and generation tools: decide, classify, and execute prompts through the policy's chains."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, cast

import anyio.from_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from llm_router.decision import Decision
from llm_router.mcp.results import Answer, Classification, Route
from llm_router.mcp.session import McpSession, blocking, check_model

# Providers whose models search the web before answering; llm_research prefers them when configured.
WEB_GROUNDED = ("perplexity",)

Model = Annotated[str | None, Field(description="A model id (provider/name) to use instead of the chain")]


def route_of(d: Decision) -> Route:
    """The Route result for a decision."""
    full = d.to_dict()
    return cast(Route, {key: full[key] for key in Route.__annotations__})


def web_grounded_models(session: McpSession) -> list[str]:
    """The policy's web-grounded models whose provider is configured, in the order its chains list them."""
    from llm_router import router
    from llm_router.providers.catalogue import provider_of

    ready = session.configured()
    models = router.load(session.settings).all_models()
    return [m for m in models if provider_of(m) in WEB_GROUNDED and provider_of(m) in ready]


def routing_tools(s: McpSession) -> dict[str, Callable[..., Any]]:
    """The routing and generation tools, bound to one session, by name."""

    def generate(event: str) -> Callable[[str, str | None], Any]:
        async def run(prompt: str, model: str | None) -> Answer:
            if model is not None:
                check_model(model, s.configured())
            decision = await blocking(s.decide, prompt, event)
            return cast(Answer, await blocking(s.execute, decision, prompt, event=event, model=model))

        return run

    async def llm_route(prompt: str) -> Route:
        """Decide how the routing policy would handle a prompt, without running it.

        Returns the action, tier, model chain (cheapest first), the rule that decided, and an id that
        llm_query can execute later.
        """
        return route_of(await blocking(s.decide, prompt))

    async def llm_classify(prompt: str) -> Classification:
        """Classify a prompt: estimated tokens, task, complexity, difficulty (0-1) and confidence (0-10)."""
        return cast(Classification, await blocking(s.classify, prompt))

    async def llm_auto(prompt: str) -> Answer:
        """Route a prompt by the policy and execute it through the chosen chain, falling back on failure."""
        return await generate("auto")(prompt, None)

    async def llm_query(
        prompt: str,
        model: Model = None,
        decision_id: Annotated[
            str | None, Field(description="Execute exactly this earlier decision (from llm_route or a hook)")
        ] = None,
    ) -> Answer:
        """Answer a prompt with an external model: the policy's chain, a named model, or a stored decision."""
        if decision_id is None:
            return await generate("query")(prompt, model)
        if model is not None:
            raise ToolError("give either model or decision_id, not both")
        decision = await blocking(s.recall, decision_id)
        return cast(Answer, await blocking(s.execute, decision, prompt, event="query"))

    async def llm_stream(prompt: str, ctx: Context, model: Model = None) -> Answer:
        """Like llm_auto, streaming text chunks as progress notifications (send a progressToken). When an
        answer breaks off after part of it was sent, a separator line naming the failed and the next model
        comes before the answer that replaces it; the result's `restarts` lists each break."""
        if model is not None:
            check_model(model, s.configured())
        decision = await blocking(s.decide, prompt, "stream")
        sent = 0

        def on_text(chunk: str) -> None:
            nonlocal sent
            sent += len(chunk)
            anyio.from_thread.run(ctx.report_progress, sent, None, chunk)

        answer = await blocking(s.execute, decision, prompt, event="stream", model=model, on_text=on_text)
        return cast(Answer, answer)

    async def llm_code(prompt: str, model: Model = None) -> Answer:
        """Write, fix or refactor code: routed as a coding prompt (event `code`) and executed."""
        return await generate("code")(prompt, model)

    async def llm_analyze(prompt: str, model: Model = None) -> Answer:
        """Analyse or review text, code or data: routed as event `analyze` and executed."""
        return await generate("analyze")(prompt, model)

    async def llm_generate(prompt: str, model: Model = None) -> Answer:
        """Generate prose, documentation or other content: routed as event `generate` and executed."""
        return await generate("generate")(prompt, model)

    async def llm_research(prompt: str, model: Model = None) -> Answer:
        """Research a question, preferring web-grounded models (e.g. Perplexity) when one is configured."""
        if model is not None:
            check_model(model, s.configured())
        decision = await blocking(s.decide, prompt, "research")
        models = None
        if model is None and not any(m.split("/", 1)[0] in WEB_GROUNDED for m in decision.usable):
            web = await blocking(web_grounded_models, s)
            if web:
                models = web + [m for m in decision.usable if m not in web]
        answer = await blocking(s.execute, decision, prompt, event="research", model=model, models=models)
        return cast(Answer, answer)

    return {
        f.__name__: f
        for f in (
            llm_route,
            llm_classify,
            llm_auto,
            llm_stream,
            llm_query,
            llm_code,
            llm_analyze,
            llm_research,
            llm_generate,
        )
    }
