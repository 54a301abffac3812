"""How hosts reach the local gateway (`llm-router serve`): its URL, whether it answers, and the login service
that starts it (a systemd user unit on Linux, a launchd agent on macOS).

Stdlib only (http.client, json): the SessionStart hook of a host in gateway mode uses it to warn when the
gateway is down, and that path must stay light.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_URL = "http://127.0.0.1:4141"
SERVE_FILE = "serve.json"  # written by `llm-router serve` while it runs: pid, host, port, token, url, ...
HEALTH_PATH = "/healthz"
PROBE_TIMEOUT_S = 0.5
MAX_SERVE_FILE_BYTES = 64 * 1024
# Codex sends `Authorization: Bearer $<env_key>` and refuses to start while the variable is unset. This is the
# variable that holds the gateway's own token (`serve --token`), never a provider key: Codex then sends
# nothing secret of the user's providers to the gateway, and setting it does not make a provider look
# configured. On a loopback gateway any value will do.
CODEX_ENV_KEY = "LLM_ROUTER_GATEWAY_TOKEN"
SERVICE_NAME = "llm-router"
SERVICE_MARKER = "written by llm-router install (gateway autostart)"  # no double hyphen: an XML comment
LAUNCHD_LABEL = "dev.llm-router.serve"


def normalise_url(url: str) -> str:
    """The gateway's base URL without a trailing slash; ValueError when it is not http(s)://host:port."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http:// or https:// URL")
    return url.strip().rstrip("/")


def read_serve_file(home: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The running server's serve.json, or None when it is absent, unreadable or not this user's own."""
    from llm_router.warm import read_state

    return read_state(home)


def probe(url: str, timeout_s: float = PROBE_TIMEOUT_S, token: str | None = None) -> tuple[bool, str]:
    """(answers, detail): does GET <url>/healthz answer 200 within the timeout?

    `token` is the gateway's own token (`serve --token`, or the one serve.json holds): a gateway that wants a
    token on every endpoint answers 401 without it. See `probe_token` for where callers find it."""
    import http.client

    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    default_port = 443 if parts.scheme == "https" else 80
    conn = cls(parts.hostname or "127.0.0.1", parts.port or default_port, timeout=timeout_s)
    try:
        headers = {"x-llm-router-token": token} if token else {}
        conn.request("GET", parts.path.rstrip("/") + HEALTH_PATH, headers=headers)
        response = conn.getresponse()
        response.read(4096)
    except (OSError, http.client.HTTPException) as exc:
        return False, f"no answer from {url}{HEALTH_PATH} ({exc.__class__.__name__}: {exc})"
    finally:
        conn.close()
    if response.status == 401:
        return False, (
            f"{url}{HEALTH_PATH} answered HTTP 401: the gateway wants its token "
            f"(set {CODEX_ENV_KEY} to the value given to `serve --token`)"
        )
    if response.status != 200:
        return False, f"{url}{HEALTH_PATH} answered HTTP {response.status}"
    return True, f"{url}{HEALTH_PATH} answered 200"


def probe_token(url: str, serving: dict[str, Any] | None) -> str | None:
    """The token to probe `url` with: serve.json's when that file describes the server at `url`, else the
    gateway token in the environment (the one Codex sends), else None."""
    if serving and serving.get("token") and str(serving.get("url") or "").rstrip("/") == url.rstrip("/"):
        return str(serving["token"])
    return os.environ.get(CODEX_ENV_KEY) or None


def start_hint(url: str) -> str:
    """How to start the gateway at `url` by hand."""
    parts = urlsplit(url)
    args = ["llm-router", "serve", "--detach"]
    if parts.port and parts.port != 4141:
        args[2:2] = ["--port", str(parts.port)]
    if parts.hostname and parts.hostname not in ("127.0.0.1", "localhost"):
        args[2:2] = ["--host", parts.hostname]
    return " ".join(args)


# --- the login service ------------------------------------------------------------------------------------


def service_path(home: Path, platform: str = sys.platform) -> Path:
    """Where the login service that runs the gateway is written."""
    if platform == "darwin":
        return home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
    return home / ".config" / "systemd" / "user" / f"{SERVICE_NAME}.service"


def service_text(argv: list[str], platform: str = sys.platform) -> str:
    """The unit (or plist) that runs `argv` (the `llm-router serve ...` command) at login and restarts it."""
    if platform == "darwin":
        from xml.sax.saxutils import escape

        args = "".join(f"\n    <string>{escape(a)}</string>" for a in argv)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
            '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
            f"<!-- {SERVICE_MARKER}; llm-router uninstall removes it -->\n"
            '<plist version="1.0">\n<dict>\n'
            f"  <key>Label</key>\n  <string>{LAUNCHD_LABEL}</string>\n"
            f"  <key>ProgramArguments</key>\n  <array>{args}\n  </array>\n"
            "  <key>RunAtLoad</key>\n  <true/>\n"
            "  <key>KeepAlive</key>\n  <true/>\n"
            "</dict>\n</plist>\n"
        )
    import shlex

    return (
        f"# {SERVICE_MARKER}; `llm-router uninstall` removes it\n"
        "[Unit]\n"
        "Description=llm-router gateway (routes AI coding tools' requests by your policy)\n"
        "After=network.target\n\n"
        "[Service]\n"
        f"ExecStart={shlex.join(argv)}\n"
        "Restart=on-failure\n"
        "RestartSec=2\n\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def enable_hint(path: Path, platform: str = sys.platform) -> str:
    """The command that starts the service now and at every login (printed, never run by install)."""
    if platform == "darwin":
        return f"launchctl bootstrap gui/$(id -u) {path}"
    return f"systemctl --user daemon-reload && systemctl --user enable --now {SERVICE_NAME}.service"


def disable_hint(platform: str = sys.platform) -> str:
    """The command that stops the service (before its file is removed)."""
    if platform == "darwin":
        return f"launchctl bootout gui/$(id -u)/{LAUNCHD_LABEL}"
    return f"systemctl --user disable --now {SERVICE_NAME}.service"
