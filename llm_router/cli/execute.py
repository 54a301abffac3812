"""`llm-router query | usage | savings | budget | health`: run prompts and report what they cost."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from llm_router.cli.common import CONFIG_OPTION, JSON_OPTION, emit_json, emit_json_line

SINCE_OPTION = click.option(
    "--since",
    metavar="WHEN",
    help="Only calls since WHEN: 30m, 24h, 7d, 2w, today, week, month, all (the default), or a date like "
    "2026-05-01.",
)


@click.command()
@click.argument("prompt", required=False)
@click.option("--models", metavar="M1,M2", help="Force this chain (LiteLLM ids, comma separated).")
@JSON_OPTION
@click.option("--stream", is_flag=True, help="Print the answer as it arrives.")
@CONFIG_OPTION
def query(prompt: str | None, models: str | None, as_json: bool, stream: bool, config: Path | None) -> None:
    """Decide how PROMPT is routed and run it through its chain, cheapest model first.

    PROMPT may be `-` (or left out with stdin not a terminal) to read it from stdin. Exit code 5 when every
    model failed, 6 when budgets rule out every model. With --stream, an answer that breaks off after part
    of it was shown is followed by a separator line (with --json, a `retry` event) and the answer that
    replaces it.
    """
    from llm_router import router
    from llm_router.cli.prompt import read_prompt
    from llm_router.decision import Request
    from llm_router.errors import RouterError
    from llm_router.execute.stream import Restart

    prompt = read_prompt(prompt)
    forced = [m.strip() for m in models.split(",") if m.strip()] if models else None
    if _query_on_server(prompt, forced, as_json, stream, config):
        return
    settings = router.Settings(config=config)
    request = Request(prompt=prompt, host="cli", cwd=str(settings.cwd))
    decision = router.decide(request, settings=settings)
    on_text = on_restart = None
    streamed = False
    if stream:

        def on_text(piece: str) -> None:
            nonlocal streamed
            streamed = True
            if as_json:
                emit_json_line({"type": "text", "text": piece})
            else:
                sys.stdout.write(piece)
            sys.stdout.flush()

        if as_json:

            def on_restart(restart: Restart) -> None:
                emit_json_line(restart.to_event())
                sys.stdout.flush()

    try:
        result = router.run(
            decision, request, settings=settings, models=forced, on_text=on_text, on_restart=on_restart
        )
    except RouterError:
        if streamed and not as_json:
            sys.stdout.write("\n")  # the broken answer's last line ends before the error is printed
        raise
    _print_result(result.to_dict(), as_json, stream)


def _query_on_server(
    prompt: str, forced: list[str] | None, as_json: bool, stream: bool, config: Path | None
) -> bool:
    """Run the query on the warm server when one runs (LiteLLM stays unimported here), printing what the
    in-process query prints; False when none runs or it did not take the call in time (nothing ran there).
    Once it has taken the call, an answer that breaks off is an error, never run again (it may be paid)."""
    import os

    from llm_router import warm
    from llm_router.errors import BudgetExceeded, ProviderError, RouterError
    from llm_router.execute.stream import Restart

    server = warm.find()
    if server is None:
        return False
    body = {
        "prompt": prompt,
        "host": "cli",
        "cwd": os.getcwd(),
        "config": str(config.resolve()) if config is not None else None,
        "models": forced,
        "stream": True,  # the headers come once the server has decided: it has the call from then on
        "env": warm.fingerprint(os.environ, server.token, server.compared),
    }
    try:
        answer = warm.post(server, "/internal/query", body, ack_timeout=warm.QUERY_ACK_S)
    except warm.NotReached:
        return False
    streamed = False
    try:
        for raw in answer.lines():
            line = json.loads(raw)
            kind = line.get("type")
            if kind == "text":
                if stream:
                    streamed = True
                    emit_json_line(line) if as_json else sys.stdout.write(line["text"])
                    sys.stdout.flush()
            elif kind == "retry":
                if stream:
                    if as_json:
                        emit_json_line(line)
                    else:
                        restart = Restart(
                            line["failed_model"], line["outcome"], line["discarded_chars"], line["next_model"]
                        )
                        sys.stdout.write(restart.separator())
                    sys.stdout.flush()
            elif kind == "error":
                error = line["error"]
                kinds = {k.__name__: k for k in (ProviderError, BudgetExceeded)}
                exc = kinds.get(error.get("type"), RouterError)(error.get("message", ""))
                exc.exit_code = int(error.get("exit_code", exc.exit_code))
                raise exc
            elif kind == "result":
                del line["type"]
                _print_result(line, as_json, stream)
                return True
    except RouterError:
        if streamed and not as_json:
            sys.stdout.write("\n")  # the broken answer's last line ends before the error is printed
        raise
    except (warm.BrokeOff, ValueError, KeyError, TypeError) as exc:
        if streamed and not as_json:
            sys.stdout.write("\n")
        raise RouterError(
            f"the warm server broke off its answer ({exc}); not run again here, as it may have been paid for:"
            " see `llm-router usage`"
        ) from None
    raise RouterError("the warm server's answer ended without a result; not run again here (see usage)")


def _print_result(result: dict[str, Any], as_json: bool, stream: bool) -> None:
    """What `query` prints for a result (`Result.to_dict()`), after any streamed text."""
    for warning in result.get("warnings", ()):
        click.echo(f"llm-router: warning: {warning}", err=True)
    if as_json:
        (emit_json_line({"type": "result", **result}) if stream else emit_json(result))
        return
    if stream:
        sys.stdout.write("\n")
    else:
        click.echo(result["text"])
    tried = len(result["attempts"])
    baseline = f"baseline {result['baseline_model'] or 'none'}: ${result['baseline_cost_usd']:.6f}"
    click.echo(
        f"-- {result['model']} · {tried} attempt{'s' * (tried != 1)} · {result['tokens_in']:,} input + "
        f"{result['tokens_out']:,} output tokens · ${result['cost_usd']:.6f} ({baseline})",
        err=True,
    )


def parse_since(text: str | None, now: float) -> float | None:
    """`--since` as epoch seconds (see `llm_router.store.periods.parse_since`); a usage error otherwise."""
    from llm_router.store.periods import parse_since as parse

    try:
        return parse(text, now)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None


HOST_OPTION = click.option(
    "--host",
    "host",
    metavar="HOST",
    help="Only calls that came through HOST: cli, mcp, gateway, claude-code, codex, gemini-cli, ...",
)


def _open_store() -> Any:
    """usage.db, opened and migrated; a StoreError naming the file and its fix when it cannot be."""
    from llm_router import store
    from llm_router.store.repair import reading

    path = store.db_path()
    with reading(path):
        return store.open_db(path)


def _reading() -> Any:
    """A context in which a failure of usage.db becomes a StoreError naming the file and its fix."""
    from llm_router import store
    from llm_router.store.repair import reading

    return reading(store.db_path())


@click.command()
@JSON_OPTION
@SINCE_OPTION
@HOST_OPTION
def usage(as_json: bool, since: str | None, host: str | None) -> None:
    """Show recorded calls (successful attempts), failed attempts, tokens and cost, per model and per host."""
    from llm_router import store
    from llm_router.cli.numbers import count, usd

    with _reading():
        report = store.usage_report(_open_store(), since=parse_since(since, time.time()), host=host)
    if as_json:
        emit_json(report)
        return
    click.echo(
        f"{count(report['calls'], 'call')}, {count(report['failed_attempts'], 'failed attempt')}, "
        f"{report['tokens_in']:,} input + {report['tokens_out']:,} output tokens, {usd(report['cost_usd'])}"
        + (f" (since {report['since']})" if report["since"] else "")
    )
    if not report["models"]:
        return
    width = max(len("model"), *(len(m["model"]) for m in report["models"]))
    heads = f"{'calls':>6}  {'failed':>6}  {'input tokens':>12}  {'output tokens':>13}  cost"
    click.echo(f"  {'model':<{width}}  {heads}")
    for m in report["models"]:
        click.echo(
            f"  {m['model']:<{width}}  {m['calls']:>6,}  {m['failures']:>6,}  {m['tokens_in']:>12,}  "
            f"{m['tokens_out']:>13,}  {usd(m['cost_usd'])}"
        )
    if len(report["hosts"]) > 1:
        click.echo("by host: " + ", ".join(f"{h['host'] or '?'} {h['calls']}" for h in report["hosts"]))


@click.command()
@JSON_OPTION
@SINCE_OPTION
@HOST_OPTION
@CONFIG_OPTION
def savings(as_json: bool, since: str | None, host: str | None, config: Path | None) -> None:
    """Show what the successful calls would have cost on the one baseline model, and what they cost.

    Calls to a model with no known price are left out (with a warning naming it): counted at $0 they would
    look like a 100% saving. Give such a model its prices under `models:` in routing.yaml.
    """
    from llm_router import reports, router
    from llm_router.cli.numbers import count, usd

    cp = router.load(router.Settings(config=config))
    with _reading():
        report = reports.savings(cp, _open_store(), parse_since(since, time.time()), host=host)
    for warning in report["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        emit_json(report)
        return
    pct = f" ({report['saved_pct']}%)" if report["saved_pct"] is not None else ""
    click.echo(f"Baseline: {report['baseline_model'] or 'none (no priced model in the premium chains)'}")
    click.echo(
        f"{count(report['calls'], 'call')}, {report['tokens_in']:,} input + {report['tokens_out']:,} "
        "output tokens" + (f" (since {report['since']})" if report["since"] else "")
    )
    click.echo(f"  on the baseline  {usd(report['baseline_cost_usd'])}")
    click.echo(f"  actual cost      {usd(report['cost_usd'])}  (every attempt, failed ones included)")
    click.echo(f"  saved            {usd(report['saved_usd'])}{pct}")
    if report["unpriced_models"]:
        names = ", ".join(m["model"] for m in report["unpriced_models"])
        click.echo(f"  left out         {names} (no known price)")
    for kind, m in report.get("media", {}).items():
        click.echo(
            f"{kind}: {count(m['calls'], 'call')}, {usd(m['cost_usd'])} against "
            f"{usd(m['baseline_cost_usd'])} on {m['baseline_model'] or 'no priced baseline'} "
            f"(saved {usd(m['saved_usd'])})"
        )


@click.command()
@JSON_OPTION
@CONFIG_OPTION
def budget(as_json: bool, config: Path | None) -> None:
    """Show each budget of the policy, how much of it this period has used, and the Claude window estimate."""
    from llm_router import reports, router, subscription
    from llm_router.cli.numbers import count, usd

    settings = router.Settings(config=config)
    cp = router.load(settings)
    now = time.time()
    window = subscription.report(cp, settings.home, settings.env, now, max_age_s=60)
    with _reading():
        conn = _open_store()
        budgets = reports.budgets(cp, conn, now, subscription.current(settings.home, settings.env, now, 60))
    report = {"budgets": budgets, "claude_subscription_window": window}
    if as_json:
        emit_json(report)
        return
    if not budgets:
        click.echo("No budgets in the policy (add a `budgets:` list to routing.yaml).")
    for b in budgets:
        flag = "  EXHAUSTED" if b["exhausted"] else ""
        if b.get("kind") == "subscription":
            scope = f"Claude {b['model'] or 'subscription'}"
            click.echo(
                f"{b['id']:<24} {scope:<28} {b['period']:<5} {count(int(b['used']), b['unit'][:-1])} of "
                f"{b['limit']:,.0f} ({b['used_pct']:.1f}%){flag}"
            )
            continue
        scope = b["model"] or b["provider"] or "all models"
        click.echo(
            f"{b['id']:<24} {scope:<28} {b['period']:<5} {usd(b['spent_usd'])} of {usd(b['limit_usd'])} "
            f"({b['used_pct']:.1f}%){flag}"
        )
    if window["active"]:
        resets = datetime.fromisoformat(window["resets_at"]).strftime("%H:%M")
        click.echo(
            f"Claude window (estimate from {window['source']}): {count(window['prompts'], 'prompt')}, "
            f"{count(window['tokens'], 'token')}, resets at {resets}"
        )


@click.command()
@JSON_OPTION
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(0, 60, min_open=True),
    default=5.0,
    show_default=True,
    help="Seconds per check (at most 60).",
)
@CONFIG_OPTION
def health(as_json: bool, timeout_s: float, config: Path | None) -> None:
    """Check each configured provider at once (listing its models: no tokens spent). Exit 1 if any fails."""
    from llm_router import router
    from llm_router.providers.health import health_report

    report = health_report(router.Settings(config=config), timeout_s, time.time())
    checks = report["providers"]
    if as_json:
        emit_json(report)
    else:
        if not checks:
            click.echo("No provider is configured: set a key such as OPENAI_API_KEY, or OLLAMA_BASE_URL.")
        for c in checks:
            mark = "ok  " if c["ok"] else "FAIL"
            extra = f"  breaker open: {', '.join(c['breaker_open'])}" if c["breaker_open"] else ""
            click.echo(f"{mark} {c['provider']:<12} {c['latency_s']:>6.2f}s  {c['detail']}{extra}")
    if not checks or not all(c["ok"] for c in checks):
        sys.exit(1)
