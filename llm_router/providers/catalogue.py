"""Which providers llm-router knows, how each is configured, and which are configured now.

A model id is LiteLLM's (`provider/name`); its provider is the part before the first slash. Keys and
endpoints come from, lowest first: `~/.llm-router/config.yaml` (its `env:` mapping), a `.env` file in the
working directory, and the process environment; an endpoint from the `.env` is used only with its own key
(see `projectenv`). Both files are read only when they are regular files under a size limit.
"""

from __future__ import annotations

import os
import stat

from llm_router import fileio, paths
from llm_router.paths import which
from llm_router.providers.table import PROVIDERS, Provider, how_to_configure, provider_of
from llm_router.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path
    from typing import Any

PathLike = str | os.PathLike[str]

__all__ = ["PROVIDERS", "Provider", "how_to_configure", "parse_dotenv", "provider_of", "which"]  # re-exported


def parse_dotenv(text: str) -> dict[str, str]:
    """`KEY=value` lines of a `.env` (`projectenv.parse_dotenv`, imported only when there is one)."""
    from llm_router.providers.projectenv import parse_dotenv

    return parse_dotenv(text)


def _warn(message: str, *args: object) -> None:
    """Log a warning; `logging` is imported only when there is one (the hook path stays light)."""
    import logging

    logging.getLogger("llm_router").warning(message, *args)


# -- where keys come from -----------------------------------------------------------------------------


class UserConfig(Record):
    """`~/.llm-router/config.yaml`: provider variables and the few settings that are not policy."""

    env: Mapping[str, str]
    store_prompts: bool = False  # keep prompt text in usage.db (default: only its hash and length)
    path: Path | None = None


_file_cache: dict[str, tuple[tuple[int, int, int], Any]] = {}


def _cached(path: str, parse: Callable[[str], Any], what: str) -> Any:
    """Parse a small settings file once per version of it; None when it is absent, and a warning (the file
    is then ignored) when it is not a regular file, is too large or does not parse."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    version = (st.st_mtime_ns, st.st_size, st.st_ino)
    hit = _file_cache.get(path)
    if hit and hit[0] == version:
        return hit[1]
    value = None
    try:
        value = parse(fileio.read_bounded(path, limit=fileio.SETTINGS_LIMIT, what=what).decode("utf-8"))
    except fileio.RefusedFile as exc:
        _warn("llm-router: ignoring %s", exc)
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        _warn("llm-router: cannot read %s: %s; ignored", path, exc)
    _file_cache[path] = (version, value)
    return value


def _parse_config(text: str) -> dict[str, Any]:
    import yaml  # only when the file exists

    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ValueError(" ".join(str(exc).split())) from None
    if not isinstance(data, dict):
        raise ValueError("expected a mapping at the top level")
    return data


_warned: set[str] = set()


def user_config(home: PathLike) -> UserConfig:
    """Read `config.yaml` in the llm-router home, warning once when others can read it."""
    path = os.path.join(home, "config.yaml")
    data = _cached(path, _parse_config, "settings file")
    if data is None:
        return UserConfig({}, False, None)
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH) and path not in _warned:
        _warned.add(path)
        _warn(
            "llm-router: %s is readable by other users (mode %o) and may hold API keys; run: chmod 600 %s",
            path,
            stat.S_IMODE(mode),
            path,
        )
    section = data.get("env") or {}
    env = {str(k): str(v) for k, v in section.items() if v is not None} if isinstance(section, dict) else {}
    # Upper-case top-level keys are variables too: `OPENAI_API_KEY: sk-...`.
    env.update({k: str(v) for k, v in data.items() if isinstance(k, str) and k.isupper() and v is not None})
    from pathlib import Path

    return UserConfig(env, bool(data.get("store_prompts", False)), Path(path))


def store_prompts(home: PathLike) -> bool:
    """config.yaml's `store_prompts` (False when it has none): whether prompt text may be stored."""
    if not os.path.exists(os.path.join(home, "config.yaml")):  # the usual case, without building a Path
        return False
    return user_config(home).store_prompts


def environment(
    env: Mapping[str, str], *, cwd: PathLike | None = None, home: PathLike | None = None
) -> dict[str, str]:
    """`env` over `.env` in `cwd` over `config.yaml`: the variables providers are configured from, where an
    endpoint from the `.env` never meets a key from elsewhere (`projectenv.merge`)."""
    home = paths.home_dir(env) if home is None else home
    cwd = os.getcwd() if cwd is None else cwd
    config = user_config(home).env
    dotenv = os.path.join(cwd, ".env")
    project = _cached(dotenv, parse_dotenv, ".env file")
    if not project:
        return {**config, **env}
    from pathlib import Path

    from llm_router.providers import projectenv

    return projectenv.merge(config, project, env, Path(dotenv))


# Providers configured by an installed command rather than a key: the command's name is the provider's.
COMMAND_PROVIDERS = ("codex",)


def configured(
    env: Mapping[str, str],
    *,
    which: object = which,
    cwd: PathLike | None = None,
    home: PathLike | None = None,
    files: bool = True,
) -> frozenset[str]:
    """The providers that have a key, an endpoint or an installed command (`files`: also read `.env` and
    config.yaml)."""
    if files:
        env = environment(env, cwd=cwd, home=home)
    found = {p.name for p in PROVIDERS.values() if any(env.get(var) for var in p.env)}
    if callable(which):
        found.update(c for c in COMMAND_PROVIDERS if which(c, path=env.get("PATH")))
    return frozenset(found)


def credentials(model: str, env: Mapping[str, str]) -> dict[str, str]:
    """The `api_key` / `api_base` keyword arguments LiteLLM needs for `model`, from `env`."""
    p = PROVIDERS.get(provider_of(model))
    if p is None:
        return {}
    out: dict[str, str] = {}
    key = next((env[v] for v in p.key_env if env.get(v)), None)
    if key:
        out["api_key"] = key
    base = next((env[v] for v in p.base_env if env.get(v)), None) or p.default_base
    if base:
        out["api_base"] = base
    return out


def secrets(env: Mapping[str, str]) -> list[str]:
    """Every key value in `env` that must never be printed or stored, longest first."""
    values = {env[v] for p in PROVIDERS.values() for v in p.key_env if len(env.get(v) or "") >= 4}
    return sorted(values, key=len, reverse=True)


def ollama_models(env: Mapping[str, str]) -> list[str]:
    """The local models named in `OLLAMA_BUDGET_MODELS` (comma separated), as `ollama/NAME` ids."""
    names = [n.strip() for n in (env.get("OLLAMA_BUDGET_MODELS") or "").split(",") if n.strip()]
    return [n if n.startswith("ollama/") else f"ollama/{n}" for n in names]
