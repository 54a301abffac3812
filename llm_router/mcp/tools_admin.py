"""The admin and monitoring tools: usage, savings, budgets, health, providers, policy and session knobs."""

from __future__ import annotations

from collections.abc import Callable
from time import time as now
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from llm_router.mcp.results import Mode, PolicyReport, ProviderInfo, Providers, Report
from llm_router.mcp.session import KNOBS, McpSession, blocking

Period = Literal["day", "week", "month", "all"]


def providers_report(session: McpSession) -> Providers:
    """Every provider the catalogue knows, configured ones first."""
    from llm_router.providers.catalogue import PROVIDERS, how_to_configure

    ready = session.configured()
    rows = [
        ProviderInfo(
            name=p.name,
            configured=p.name in ready,
            kind=p.kind,
            free=p.free,
            how_to_configure="" if p.name in ready else how_to_configure(p.name),
        )
        for p in PROVIDERS.values()
    ]
    rows.sort(key=lambda r: not r["configured"])
    return Providers(providers=rows)


def policy_report(session: McpSession, action: str, prompt: str | None, path: str | None) -> PolicyReport:
    """Show the merged policy, explain a prompt against it, or validate it."""
    from pathlib import Path

    from llm_router import router
    from llm_router.errors import PolicyError

    settings = session.settings
    if path is not None:
        settings = router.Settings(env=settings.env, cwd=settings.cwd, config=Path(path))
    if action == "show":
        from llm_router.policy.load import load_policy

        loaded = load_policy(env=settings.env, cwd=settings.cwd, config=settings.config, home=settings.home)
        return PolicyReport(action=action, policy=dict(loaded.data), provenance=dict(loaded.provenance()))
    if action == "explain":
        if prompt is None:
            raise ToolError("explain needs a prompt")
        decision = router.decide(session.request(prompt), settings=settings, knobs=session.knobs)
        return PolicyReport(action=action, decision=decision.to_dict())
    try:
        router.load(settings)
    except PolicyError as exc:
        return PolicyReport(action=action, valid=False, problems=[str(p) for p in exc.problems])
    return PolicyReport(action=action, valid=True, problems=[])


def mode_report(session: McpSession) -> Mode:
    """The session's overrides and the knob values now in effect."""
    from llm_router import router

    cp = router.load(session.settings)
    policy_values = {knob: str(getattr(cp, knob)) for knob in KNOBS}
    return Mode(overrides=dict(session.knobs), effective=policy_values | session.knobs)


def policy_presets(session: McpSession) -> list[str]:
    """The values the `policy` knob may take under the current policy."""
    from llm_router import router

    return sorted(router.load(session.settings).presets)


def since(period: str, at: float) -> float | None:
    """When the calendar `period` containing `at` began (None for all time)."""
    from llm_router.store.state import period_start

    return None if period == "all" else period_start(period, at)


def usage(session: McpSession, period: str) -> Report:
    """Calls, failures, tokens and cost since the start of the period, per model."""
    from llm_router.store import usage_report

    with session.db() as conn:
        return Report(report=usage_report(conn, since=since(period, now())))


def savings(session: McpSession, period: str) -> Report:
    """Cost against the policy's one baseline model since the start of the period."""
    from llm_router import router
    from llm_router.execute.options import baseline_model
    from llm_router.providers.prices import price
    from llm_router.store import savings_report

    cp = router.load(session.settings)
    model = baseline_model(cp)
    p = price(model, cp.models) if model else None
    per_token = (p.input_cost_per_token, p.output_cost_per_token) if p else None
    with session.db() as conn:
        return Report(report=savings_report(conn, model, per_token, since=since(period, now())))


def budgets(session: McpSession) -> Report:
    """Each budget of the policy with what has been spent against it this period."""
    from llm_router import router
    from llm_router.store.state import budget_states

    cp = router.load(session.settings)
    with session.db() as conn:
        states = budget_states(conn, cp.budgets, now())
    return Report(report={"budgets": [b.to_dict() | {"exhausted": b.exhausted} for b in states.values()]})


def health(session: McpSession, timeout_s: float) -> Report:
    """Every configured provider checked at once, with its open breakers; the others listed as missing."""
    from llm_router.providers.health import health_report

    return Report(report=health_report(session.settings, timeout_s, now()))


def subscription(session: McpSession) -> Report:
    """The estimated Claude subscription window from prompts recorded as let through to Claude Code."""
    from llm_router.store import subscription_window

    with session.db() as conn:
        return Report(report=subscription_window(conn, now()))


def admin_tools(s: McpSession) -> dict[str, Callable[..., Any]]:
    """The admin and monitoring tools, bound to one session, by name."""

    async def llm_usage(period: Period = "month") -> Report:
        """Calls, tokens and cost recorded in the local usage log for a period, by model and provider."""
        return await blocking(usage, s, period)

    async def llm_savings(period: Period = "month") -> Report:
        """What routing saved against the baseline model, with the calls and tokens behind the figure."""
        return await blocking(savings, s, period)

    async def llm_budget() -> Report:
        """Each budget of the policy: limit, spent this period, percent used and what remains."""
        return await blocking(budgets, s)

    async def llm_check_usage() -> Report:
        """Estimate the current 5-hour Claude subscription window (prompts, tokens, reset time) from local
        records of the prompts llm-router let through to Claude Code."""
        return await blocking(subscription, s)

    async def llm_health(timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0) -> Report:
        """Check that each configured provider answers (lists its models: no tokens spent) and which circuit
        breakers are open."""
        return await blocking(health, s, timeout_s)

    async def llm_providers() -> Providers:
        """Which providers llm-router knows, which are configured here, and how to configure the others."""
        return providers_report(s)

    async def llm_policy(
        action: Literal["show", "explain", "validate"] = "show",
        prompt: Annotated[str | None, Field(description="The prompt to explain")] = None,
        path: Annotated[str | None, Field(description="A policy file layered on top, as --config")] = None,
    ) -> PolicyReport:
        """Show the merged routing policy with where each value came from, explain how a prompt is routed
        rule by rule, or validate the policy."""
        return await blocking(policy_report, s, action, prompt, path)

    async def llm_set_mode(
        profile: Literal["budget", "balanced", "premium"] | None = None,
        policy: Annotated[str | None, Field(description="aggressive|balanced|conservative|a preset")] = None,
        enforce: Literal["smart", "hard", "soft", "off"] | None = None,
        mode: Literal["normal", "zero_claude"] | None = None,
        reset: bool = False,
    ) -> Mode:
        """Override profile, policy, enforce or mode for this MCP session only; reset=true clears overrides.

        The next decisions of this server use them; policy files are not changed.
        """
        if reset:
            s.knobs.clear()
        if policy is not None:
            presets = await blocking(policy_presets, s)
            if policy not in presets:
                raise ToolError(f"unknown policy {policy!r}: the policy defines {', '.join(presets)}")
        s.set_knobs({"profile": profile, "policy": policy, "enforce": enforce, "mode": mode})
        return await blocking(mode_report, s)

    return {
        f.__name__: f
        for f in (
            llm_usage,
            llm_savings,
            llm_budget,
            llm_health,
            llm_providers,
            llm_policy,
            llm_set_mode,
            llm_check_usage,
        )
    }
