"""Checking that each configured provider answers, without spending tokens: list its models (or run
`codex --version`), all providers at once, each with a short timeout."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from llm_router.execute.scrub import scrub
from llm_router.providers.catalogue import PROVIDERS, credentials, secrets

# provider -> (public API base, path of a free listing endpoint, how the key is sent)
ENDPOINTS: dict[str, tuple[str, str, str]] = {
    "ollama": ("http://localhost:11434", "/api/tags", "none"),
    "openai": ("https://api.openai.com/v1", "/models", "bearer"),
    "anthropic": ("https://api.anthropic.com", "/v1/models", "x-api-key"),
    "gemini": ("https://generativelanguage.googleapis.com", "/v1beta/models", "x-goog-api-key"),
    "xai": ("https://api.x.ai/v1", "/models", "bearer"),
    "deepseek": ("https://api.deepseek.com", "/models", "bearer"),
    "mistral": ("https://api.mistral.ai/v1", "/models", "bearer"),
    "cohere": ("https://api.cohere.com", "/v1/models", "bearer"),
    "perplexity": ("https://api.perplexity.ai", "/models", "bearer"),
    "groq": ("https://api.groq.com/openai/v1", "/models", "bearer"),
    "together_ai": ("https://api.together.xyz/v1", "/models", "bearer"),
    "huggingface": ("https://huggingface.co", "/api/whoami-v2", "bearer"),
}


def _request(provider: str, env: Mapping[str, str]) -> urllib.request.Request:
    default_base, path, auth = ENDPOINTS[provider]
    creds = credentials(f"{provider}/x", env)
    base = (creds.get("api_base") or default_base).rstrip("/")
    if provider == "anthropic" and base.endswith("/v1"):
        base = base[: -len("/v1")]
    headers = {"User-Agent": "llm-router-health"}
    key = creds.get("api_key", "")
    if auth == "bearer" and key:
        headers["Authorization"] = f"Bearer {key}"
    elif auth != "none" and key:
        headers[auth] = key
    if provider == "anthropic":
        headers["anthropic-version"] = "2023-06-01"
    return urllib.request.Request(base + path, headers=headers)


def check(provider: str, env: Mapping[str, str], timeout_s: float = 5.0) -> dict[str, Any]:
    """Whether `provider` answers now: `{provider, ok, latency_s, detail}`; never raises."""
    started = time.perf_counter()
    ok, detail = False, ""
    try:
        if PROVIDERS[provider].kind == "command":
            proc = subprocess.run(["codex", "--version"], capture_output=True, text=True, timeout=timeout_s)
            ok, detail = proc.returncode == 0, (proc.stdout or proc.stderr).strip()[:120]
        else:
            with urllib.request.urlopen(_request(provider, env), timeout=timeout_s) as response:
                body = response.read(1_000_000)
                ok, detail = True, f"HTTP {response.status}"
                listed = json.loads(body or b"{}")
                models = listed.get("data") or listed.get("models") if isinstance(listed, dict) else None
                if isinstance(models, list):
                    detail += f", {len(models)} models"
    except urllib.error.HTTPError as exc:
        detail = f"HTTP {exc.code} {exc.reason}" + (
            ": the key was rejected" if exc.code in (401, 403) else ""
        )
    except (urllib.error.URLError, OSError, subprocess.SubprocessError, ValueError) as exc:
        detail = str(getattr(exc, "reason", exc)) or type(exc).__name__
    return {
        "provider": provider,
        "ok": ok,
        "latency_s": round(time.perf_counter() - started, 3),
        "detail": scrub(detail, secrets(env)),
    }


def check_all(providers: list[str], env: Mapping[str, str], timeout_s: float = 5.0) -> list[dict[str, Any]]:
    """`check` every provider concurrently; results in the order given."""
    known = [p for p in providers if p in PROVIDERS and (p in ENDPOINTS or PROVIDERS[p].kind == "command")]
    if not known:
        return []
    with ThreadPoolExecutor(max_workers=len(known)) as pool:
        return list(pool.map(lambda p: check(p, env, timeout_s), known))


def health_report(settings: Any, timeout_s: float, now: float) -> dict[str, Any]:
    """Every configured provider checked at once, each with its open breakers, and the providers not
    configured. One function for `llm-router health`, the MCP tool `llm_health` and `doctor`."""
    from llm_router import router
    from llm_router.errors import RouterError
    from llm_router.providers.catalogue import configured, environment
    from llm_router.store import breakers, db_path, state
    from llm_router.store.db import shared

    env = environment(settings.env, cwd=settings.cwd, home=settings.home)
    providers = sorted(configured(env, files=False))
    checks = check_all(providers, env, timeout_s)
    open_keys: set[str] = set()
    path = db_path(settings.env)
    if path.exists():
        try:
            cooldown = state.cooldown_of(router.load(settings))
        except RouterError:  # a broken policy must not hide which providers answer
            cooldown = 60.0
        try:
            open_keys = set(breakers.open_now(shared(path), now, cooldown))
        except (sqlite3.Error, OSError):  # an unusable store hides breakers, not providers (doctor says why)
            open_keys = set()
    for c in checks:
        mine = c["provider"]
        c["breaker_open"] = sorted(k for k in open_keys if k == mine or k.startswith(mine + "/"))
    return {"providers": checks, "not_configured": [p for p in PROVIDERS if p not in providers]}
