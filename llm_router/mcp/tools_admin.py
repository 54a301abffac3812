"""The admin and monitoring tools: usage, savings, budgets, health, providers, policy and session knobs."""

from __future__ import annotations

from collections.abc import Callable
from time import time as now
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from llm_router.mcp.results import Mode, PolicyReport, ProviderInfo, Providers, Report
from llm_router.mcp.session import KNOBS, McpSession, blocking
from llm_router.mcp.tool_policy import Section, policy_report

# The names and forms of `llm-router usage|savings --since` and `health --timeout`.
Since = Annotated[
    str,
    Field(
        description="Only calls since: 30m, 24h, 7d, 2w, today, week, month (this calendar month), all, "
        "or a date like 2026-05-01"
    ),
]


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


def since_epoch(since: str, at: float) -> float | None:
    """`since` as epoch seconds; a ToolError naming the accepted forms otherwise."""
    from llm_router.store.periods import parse_since

    try:
        return parse_since(since, at)
    except ValueError as exc:
        raise ToolError(f"invalid arguments: since: {exc}") from None


def usage(session: McpSession, since: str) -> Report:
    """Calls, failures, tokens and cost since `since`, per model."""
    from llm_router.store import usage_report

    start = since_epoch(since, now())
    with session.db() as conn:
        return Report(report=usage_report(conn, since=start))


def savings(session: McpSession, since: str) -> Report:
    """Cost against the policy's one baseline model since `since`; unpriced models left out and named."""
    from llm_router import reports, router

    start = since_epoch(since, now())
    cp = router.load(session.settings)
    with session.db() as conn:
        return Report(report=reports.savings(cp, conn, start))


def budgets(session: McpSession) -> Report:
    """Each budget of the policy with what has been spent against it this period."""
    from llm_router import reports, router
    from llm_router.subscription import for_policy

    settings = session.settings
    cp = router.load(settings)
    at = now()
    subscriptions = for_policy(cp, settings.home, settings.env, at)
    with session.db() as conn:
        return Report(report={"budgets": reports.budgets(cp, conn, at, subscriptions)})


def health(session: McpSession, timeout: float) -> Report:
    """Every configured provider checked at once, with its open breakers; the others listed as missing."""
    from llm_router.providers.health import health_report

    return Report(report=health_report(session.settings, timeout, now()))


def subscription(session: McpSession, rescan: bool = False) -> Report:
    """The Claude subscription estimate, refreshed now from Claude Code's transcripts (or llm-router's own
    records), with llm-router's own count of the prompts it let through to Claude Code beside it."""
    from llm_router import router
    from llm_router.store import subscription_window
    from llm_router.subscription import report

    settings = session.settings
    at = now()
    estimate = report(router.load(settings), settings.home, settings.env, at, rescan=rescan)
    with session.db() as conn:
        estimate["llm_router"] = subscription_window(conn, at)
    return Report(report=estimate)


def admin_tools(s: McpSession) -> dict[str, Callable[..., Any]]:
    """The admin and monitoring tools, bound to one session, by name."""

    async def llm_usage(since: Since = "month") -> Report:
        """Calls, tokens and cost recorded in the local usage log since a time, by model and provider."""
        return await blocking(usage, s, since)

    async def llm_savings(since: Since = "month") -> Report:
        """What routing saved against the baseline model, with the calls and tokens behind the figure
        (models with no known price are left out and named)."""
        return await blocking(savings, s, since)

    async def llm_budget() -> Report:
        """Each budget of the policy: limit, spent this period, percent used and what remains."""
        return await blocking(budgets, s)

    async def llm_check_usage() -> Report:
        """Estimate Claude subscription use: the current 5-hour window (prompts, tokens, reset time) and the
        last 7 days, per model, and each subscription budget's percent used. From Claude Code's local
        transcripts (read incrementally) and llm-router's records; no network, no credentials."""
        return await blocking(subscription, s)

    async def llm_refresh_claude_usage() -> Report:
        """Re-read Claude Code's recent transcripts from the start (not only what was appended) and answer
        the estimate as llm_check_usage does; the policy's subscription budgets use it from now on."""
        return await blocking(subscription, s, True)

    async def llm_health(
        timeout: Annotated[float, Field(gt=0, le=60, description="Seconds per check")] = 5.0,
    ) -> Report:
        """Check that each configured provider answers (lists its models: no tokens spent) and which circuit
        breakers are open."""
        return await blocking(health, s, timeout)

    async def llm_providers() -> Providers:
        """Which providers llm-router knows, which are configured here, and how to configure the others."""
        return providers_report(s)

    async def llm_policy(
        action: Literal["show", "explain", "validate"] = "show",
        prompt: Annotated[str | None, Field(description="The prompt to explain")] = None,
        path: Annotated[
            str | None,
            Field(
                description="A policy file layered on top, as --config: one of the known layers, "
                "or a routing policy in the working tree"
            ),
        ] = None,
        section: Annotated[
            Section | None, Field(description="show: one section whole instead of the summary")
        ] = None,
    ) -> PolicyReport:
        """Show a summary of the merged routing policy (or one section) with where each value came from,
        explain how a prompt is routed rule by rule, or validate the policy."""
        return await blocking(policy_report, s, action, prompt, path, section)

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
            llm_refresh_claude_usage,
        )
    }
