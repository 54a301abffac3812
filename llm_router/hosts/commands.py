"""The commands written into host files: absolute paths in the user's own files, so they run without the
user's shell setup, and bare names on PATH in a project's files, which teammates commit and share."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

HOOK_MODULE = "llm_router.hosts.hook"
HOOK_CODE = f"from {HOOK_MODULE} import run; run()"  # what `python -c` runs as the hook
HOOK_SCRIPT = "llm-router-hook"
CLI_SCRIPT = "llm-router"
GATEWAY_FLAG = "--gateway"  # in a hook command: the host's requests go through the gateway, which routes them
# A hook entry is ours when its command mentions one of these.
HOOK_MARKERS = (HOOK_SCRIPT, HOOK_MODULE)


def _script(name: str) -> Path | None:
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    found = shutil.which(name)
    return Path(found) if found else None


def hook_argv(host: str, *, gateway: bool = False, portable: bool = False) -> list[str]:
    """The hook command for `host` as an argument list: this interpreter, by absolute path, running the
    hook's entry point (`python -c`), or the console script by name on PATH when `portable`.

    A host starts the hook once per event, so its start-up is paid per prompt and per tool call: the console
    script's wrapper imports `re` and `-m` imports `runpy`, each several milliseconds before the hook runs.
    (Where commands are not POSIX shell lines, the console script by absolute path, as before.)"""
    flags = [GATEWAY_FLAG] if gateway else []
    if portable:
        return [HOOK_SCRIPT, host, *flags]
    if os.name == "posix":
        return [sys.executable, "-c", HOOK_CODE, host, *flags]
    script = _script(HOOK_SCRIPT)
    if script is not None:
        return [str(script.absolute()), host, *flags]
    return [sys.executable, "-m", HOOK_MODULE, host, *flags]


def hook_command(host: str, *, gateway: bool = False, portable: bool = False) -> str:
    """The hook command for `host` as one shell line."""
    return shlex.join(hook_argv(host, gateway=gateway, portable=portable))


def mcp_command(*, portable: bool = False) -> tuple[str, list[str]]:
    """The command and arguments that start `llm-router mcp` (by name on PATH when `portable`)."""
    if portable:
        return CLI_SCRIPT, ["mcp"]
    script = _script(CLI_SCRIPT)
    if script is not None:
        return str(script.absolute()), ["mcp"]
    return sys.executable, ["-m", "llm_router", "mcp"]


def cli_argv() -> list[str]:
    """How to run `llm-router` from a file this machine keeps (a service unit): the absolute script."""
    script = _script(CLI_SCRIPT)
    return [str(script.absolute())] if script is not None else [sys.executable, "-m", "llm_router"]


def is_our_hook_command(command: object) -> bool:
    """True for a hook command that llm-router wrote."""
    return isinstance(command, str) and any(marker in command for marker in HOOK_MARKERS)


def is_gateway_hook_command(command: object) -> bool:
    """True for a hook command of a host installed with `--gateway`."""
    return is_our_hook_command(command) and GATEWAY_FLAG in shlex.split(str(command))
