"""`install --gateway --autostart`: the login service that runs `llm-router serve`, as a file llm-router
owns (a systemd user unit on Linux, a launchd agent on macOS). Install writes it; the user enables it."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

from llm_router.errors import HostConfigError
from llm_router.hosts import gateway_link
from llm_router.hosts.base import PLAIN, FileEdit, InstallOptions, Target
from llm_router.hosts.commands import cli_argv

NAME = "autostart"
MARKER = gateway_link.SERVICE_MARKER


def serve_argv(url: str) -> list[str]:
    """`llm-router serve` for the gateway at `url` (port and host only when they are not the defaults)."""
    parts = urlsplit(url)
    argv = [*cli_argv(), "serve"]
    if parts.port and parts.port != 4141:
        argv += ["--port", str(parts.port)]
    if parts.hostname and parts.hostname != "127.0.0.1":
        argv += ["--host", parts.hostname]
    return argv


def service_edit(path: Path, text: str) -> FileEdit:
    """The whole file at `path` is ours: written when absent (or ours), removed when ours."""

    def ours(current: str | None) -> bool:
        return current is not None and MARKER in current

    def add(current: str | None) -> str | None:
        if current is not None and not ours(current):
            raise HostConfigError(f"{path}: exists and was not written by llm-router; left unchanged")
        return text

    def remove(current: str | None) -> str | None:
        return None if ours(current) else current

    return FileEdit(
        path,
        "gateway service",
        add,
        remove,
        lambda current: current == text,
        lambda a, b: a == b,
        lambda current: not current.strip(),
    )


def enabled(home: Path, platform: str = sys.platform) -> bool:
    """True when systemd links the unit into a target (`systemctl --user enable` was run)."""
    if platform == "darwin":
        return False  # launchd keeps no file of its own; bootout by label works after the plist is gone
    folder = home / ".config" / "systemd" / "user"
    name = f"{gateway_link.SERVICE_NAME}.service"
    return any(p.is_symlink() for p in folder.glob(f"*.wants/{name}"))


def edits(target: Target, options: InstallOptions = PLAIN) -> list[FileEdit]:
    """The service file (user scope only: a login service belongs to the user, not to a project)."""
    url = options.gateway or gateway_link.DEFAULT_URL
    path = gateway_link.service_path(target.home)
    return [service_edit(path, gateway_link.service_text(serve_argv(url)))]
