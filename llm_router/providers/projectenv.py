"""A project's `.env`, merged so that an endpoint it sets never receives a key from elsewhere.

The process environment and `~/.llm-router/config.yaml` are the user's own: trusted. A `.env` in the working
directory belongs to whatever repository was cloned there. It may add keys, but an endpoint it sets (any
provider's base-URL variable) is used only together with its own key for that provider, and then the
provider's key and endpoint both come from the `.env`. Otherwise the endpoint is dropped with one warning
naming the file and the variable. A keyless provider (Ollama) may be pointed at this machine only.
"""

from __future__ import annotations

from llm_router.providers.table import PROVIDERS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
_warned: set[tuple[str, str]] = set()


def parse_dotenv(text: str) -> dict[str, str]:
    """`KEY=value` lines (with optional `export` and quotes); comments and blank lines ignored."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        if key:
            out[key] = value
    return out


def _warn_once(source: Path, var: str, why: str) -> None:
    if (str(source), var) in _warned:
        return
    _warned.add((str(source), var))
    import logging  # only when there is something to say: the hook path stays light

    logging.getLogger("llm_router").warning("llm-router: ignoring %s from %s: %s", var, source, why)


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    except ValueError:
        return False
    return host in _LOOPBACK or host.startswith("127.")


def merge(
    config: Mapping[str, str], project: Mapping[str, str], env: Mapping[str, str], source: Path
) -> dict[str, str]:
    """`env` over `project` (read from the `.env` at `source`) over `config`, minus what the rule above drops:
    a provider whose key and endpoint both come from `project` takes both from it, whatever the others say;
    an endpoint from `project` without its key gives way to the trusted sources' value, if any."""
    trusted = {**config, **env}
    merged = {**config, **project, **env}
    for p in PROVIDERS.values():
        bases = [v for v in p.base_env if project.get(v)]
        if not bases:
            continue
        if p.key_env and any(project.get(v) for v in p.key_env):
            for var in (*p.key_env, *p.base_env):  # the pair comes from the .env, nothing from elsewhere
                if project.get(var):
                    merged[var] = project[var]
                else:
                    merged.pop(var, None)
            continue
        for var in bases:
            if p.key_env:
                why = (
                    f"a project's .env may set a provider's endpoint only together with its key "
                    f"({' or '.join(p.key_env)}); put both there, or the endpoint in the environment or "
                    "~/.llm-router/config.yaml"
                )
            elif _is_loopback(project[var]):
                continue
            else:
                why = (
                    f"a project's .env may point {p.name} only at this machine (localhost); set other "
                    "addresses in the environment or ~/.llm-router/config.yaml"
                )
            _warn_once(source, var, why)
            if var in trusted:
                merged[var] = trusted[var]
            else:
                merged.pop(var, None)
    return merged
