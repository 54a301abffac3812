"""Usage rows (one per attempt) and the reports built from them: usage and savings."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from llm_router.store.db import write
from llm_router.store.periods import iso_time


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One attempt at one model. Prompt text only when the user opted in; never an API key."""

    time: float
    model: str
    provider: str
    outcome: str  # ok | rate_limited | server_error | unavailable | timeout | connection | bad_response | ...
    error: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    baseline_model: str = ""
    baseline_cost_usd: float = 0.0
    latency_s: float = 0.0
    session: str = ""
    host: str = ""
    prompt_sha256: str = ""
    prompt_chars: int = 0
    prompt: str | None = None
    rule: str = ""
    policy_revision: str = ""
    decision_id: str = ""
    user_agent: str = ""  # the client program (the gateway's callers), when known
    kind: str | None = None  # image | video | speech | transcription for a media request; None for text
    units: float | None = None  # of a media result: images, seconds of video or audio, characters spoken


_COLUMNS = tuple(UsageRow.__dataclass_fields__)
_INSERT = f"INSERT INTO usage ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"


def insert(conn: sqlite3.Connection, row: UsageRow) -> None:
    """Add one row. Call inside a write transaction (see `record`)."""
    values = asdict(row)
    conn.execute(_INSERT, [values[c] for c in _COLUMNS])


def record(conn: sqlite3.Connection, row: UsageRow) -> None:
    """Add one row in its own transaction."""
    with write(conn):
        insert(conn, row)


def _where(
    since: float | None, until: float | None, host: str | None = None
) -> tuple[str, list[float | str]]:
    clauses: list[str] = []
    args: list[float | str] = []
    if since is not None:
        clauses.append("time >= ?")
        args.append(since)
    if until is not None:
        clauses.append("time < ?")
        args.append(until)
    if host is not None:
        clauses.append("host = ?")
        args.append(host)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def usage_report(
    conn: sqlite3.Connection,
    since: float | None = None,
    until: float | None = None,
    host: str | None = None,
) -> dict[str, Any]:
    """Calls (successful attempts), failed attempts, tokens and cost, in total, per model and per host (the
    entry point: cli, mcp, a hook's host, gateway)."""
    where, args = _where(since, until, host)
    per_model = conn.execute(
        "SELECT model, provider, SUM(outcome = 'ok') AS calls, SUM(outcome != 'ok') AS failures, "
        "COALESCE(SUM(tokens_in), 0) AS tokens_in, COALESCE(SUM(tokens_out), 0) AS tokens_out, "
        "COALESCE(SUM(cost_usd), 0.0) AS cost_usd, "
        "AVG(CASE WHEN outcome = 'ok' THEN latency_s END) AS latency_s "
        f"FROM usage{where} GROUP BY model ORDER BY calls DESC, model",
        args,
    ).fetchall()
    models = [
        {
            "model": r["model"],
            "provider": r["provider"],
            "calls": r["calls"],
            "failures": r["failures"],
            "tokens_in": r["tokens_in"],
            "tokens_out": r["tokens_out"],
            "cost_usd": round(r["cost_usd"], 8),
            "avg_latency_s": round(r["latency_s"], 3) if r["latency_s"] is not None else None,
        }
        for r in per_model
    ]
    per_host = conn.execute(
        "SELECT COALESCE(host, '') AS host, SUM(outcome = 'ok') AS calls, SUM(outcome != 'ok') AS failures, "
        f"COALESCE(SUM(cost_usd), 0.0) AS cost_usd FROM usage{where} GROUP BY host ORDER BY calls DESC, host",
        args,
    ).fetchall()
    return {
        "since": iso_time(since),
        "host": host,
        "calls": sum(m["calls"] for m in models),
        "failed_attempts": sum(m["failures"] for m in models),
        "tokens_in": sum(m["tokens_in"] for m in models),
        "tokens_out": sum(m["tokens_out"] for m in models),
        "cost_usd": round(sum(r["cost_usd"] for r in per_model), 8),
        "models": models,
        "hosts": [
            {
                "host": r["host"],
                "calls": r["calls"],
                "failures": r["failures"],
                "cost_usd": round(r["cost_usd"], 8),
            }
            for r in per_host
        ],
    }


def savings_report(
    conn: sqlite3.Connection,
    baseline_model: str | None,
    baseline_price: tuple[float, float] | None,
    since: float | None = None,
    priced: Callable[[str], bool] | None = None,
    host: str | None = None,
) -> dict[str, Any]:
    """What the successful calls (of one host, when given) would have cost on the one baseline model, against
    what every attempt cost. `baseline_price` is (USD per input token, USD per output token). Calls to a model
    `priced` says has no known price are left out of every figure (counted at $0 they would look like a 100%
    saving) and listed under `unpriced_models`. Media calls are left out too (see media_report)."""
    where, args = _where(since, None, host)
    where = f"{where} AND kind IS NULL" if where else " WHERE kind IS NULL"  # media: see media_report
    rows = conn.execute(
        "SELECT model, COALESCE(SUM(outcome = 'ok'), 0) AS calls, "
        "COALESCE(SUM(CASE WHEN outcome = 'ok' THEN tokens_in END), 0) AS tokens_in, "
        "COALESCE(SUM(CASE WHEN outcome = 'ok' THEN tokens_out END), 0) AS tokens_out, "
        "COALESCE(SUM(cost_usd), 0.0) AS cost_usd, COUNT(*) AS attempts "
        f"FROM usage{where} GROUP BY model ORDER BY model",
        args,
    ).fetchall()
    known = {r["model"]: priced is None or priced(r["model"]) for r in rows}
    counted = [r for r in rows if known[r["model"]]]
    unpriced = [
        {"model": r["model"], "calls": r["calls"], "tokens_in": r["tokens_in"], "tokens_out": r["tokens_out"]}
        for r in rows
        if not known[r["model"]] and r["calls"]
    ]
    tokens_in = sum(r["tokens_in"] for r in counted)
    tokens_out = sum(r["tokens_out"] for r in counted)
    p_in, p_out = baseline_price or (0.0, 0.0)
    # Recomputed from the token totals so that every figure uses the baseline stated now.
    baseline = round(tokens_in * p_in + tokens_out * p_out, 8)
    cost = round(sum(r["cost_usd"] for r in counted), 8)
    return {
        "since": iso_time(since),
        "host": host,
        "baseline_model": baseline_model,
        "calls": sum(r["calls"] for r in counted),
        "attempts": sum(r["attempts"] for r in counted),
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "cost_usd": cost,
        "baseline_cost_usd": baseline,
        "saved_usd": baseline - cost,
        "saved_pct": round(100.0 * (baseline - cost) / baseline, 2) if baseline > 0 else None,
        "unpriced_models": unpriced,
    }


def media_report(conn: sqlite3.Connection, since: float | None = None) -> dict[str, dict[str, Any]]:
    """Per media kind: calls (successful attempts), attempts, units produced and what every attempt cost."""
    where, args = _where(since, None)
    where = f"{where} AND kind IS NOT NULL" if where else " WHERE kind IS NOT NULL"
    rows = conn.execute(
        "SELECT kind, COALESCE(SUM(outcome = 'ok'), 0) AS calls, COUNT(*) AS attempts, "
        "COALESCE(SUM(CASE WHEN outcome = 'ok' THEN units END), 0.0) AS units, "
        "COALESCE(SUM(cost_usd), 0.0) AS cost_usd "
        f"FROM usage{where} GROUP BY kind ORDER BY kind",
        args,
    ).fetchall()
    return {
        r["kind"]: {
            "calls": r["calls"],
            "attempts": r["attempts"],
            "units": r["units"],
            "cost_usd": round(r["cost_usd"], 8),
        }
        for r in rows
    }
