"""The absolute commands written into host files, so they run without the user's shell setup."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

HOOK_MODULE = "llm_router.hosts.hook"
HOOK_SCRIPT = "llm-router-hook"
# A hook entry is ours when its command mentions one of these.
HOOK_MARKERS = (HOOK_SCRIPT, HOOK_MODULE)


def _script(name: str) -> Path | None:
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    found = shutil.which(name)
    return Path(found) if found else None


def hook_argv(host: str) -> list[str]:
    """The hook command for `host` as an argument list (the fast console script when installed)."""
    script = _script(HOOK_SCRIPT)
    if script is not None:
        return [str(script.absolute()), host]
    return [sys.executable, "-m", HOOK_MODULE, host]


def hook_command(host: str) -> str:
    """The hook command for `host` as one shell line."""
    return shlex.join(hook_argv(host))


def mcp_command() -> tuple[str, list[str]]:
    """The command and arguments that start `llm-router mcp`."""
    script = _script("llm-router")
    if script is not None:
        return str(script.absolute()), ["mcp"]
    return sys.executable, ["-c", "import sys; from llm_router.cli import main; sys.exit(main())", "mcp"]


def is_our_hook_command(command: object) -> bool:
    """True for a hook command that llm-router wrote."""
    return isinstance(command, str) and any(marker in command for marker in HOOK_MARKERS)
