"""Running the gateway: the listening socket (a port in use is a clear error), uvicorn in the foreground or
in a thread, and `$LLM_ROUTER_HOME/serve.json`, which tells local clients where the gateway listens and its
token while it runs (mode 0600, removed on exit)."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from llm_router import fileio

STATE_FILE = "serve.json"
STATE_KEYS = ("pid", "host", "port", "token", "url", "version", "started")
STATE_LIMIT = 64 * 1024


class PortInUse(OSError):
    """The address the gateway was asked to listen on is taken."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free port); PortInUse when it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise PortInUse(exc.errno, f"port {port} on {host} is already in use") from None
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_of(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


# -- serve.json ------------------------------------------------------------------------------------------


def state_path(home: Path) -> Path:
    return home / STATE_FILE


def state_for(host: str, port: int, token: str) -> dict[str, Any]:
    """What serve.json says about this process."""
    from llm_router import __version__
    from llm_router.warm import compared_names

    return {
        "pid": os.getpid(),
        "host": host,
        "port": port,
        "token": token,
        "url": url_of(host, port),
        "version": __version__,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "compared": [list(part) for part in compared_names()],  # what a caller's `env` digest covers
    }


def write_state(home: Path, state: dict[str, Any]) -> Path:
    """Write serve.json atomically, mode 0600, in a 0700 folder."""
    path = state_path(home)
    fileio.private_dir(home)
    fileio.write_private(path, json.dumps(state, indent=2) + "\n")
    return path


def read_state(home: Path) -> dict[str, Any] | None:
    """serve.json when it exists and holds what it should (None otherwise)."""
    from llm_router.warm import read_state as read_private_state

    data = read_private_state(home)
    if data is None or any(k not in data for k in STATE_KEYS):
        return None
    return data


def remove_state(home: Path, pid: int | None = None) -> None:
    """Remove serve.json (only when it is `pid`'s, when given)."""
    state = read_state(home)
    if pid is not None and state is not None and state.get("pid") != pid:
        return
    with contextlib.suppress(OSError):
        state_path(home).unlink()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def health(url: str, token: str | None, timeout_s: float = 2.0) -> dict[str, Any] | None:
    """GET /healthz, or None when nothing answers as the gateway."""
    request = urllib.request.Request(url + "/healthz")
    if token:
        request.add_header("x-llm-router-token", token)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - loopback URL
            data = json.loads(response.read(STATE_LIMIT))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) and data.get("status") == "ok" else None


# -- running ---------------------------------------------------------------------------------------------


def uvicorn_server(app: Any) -> Any:
    """A uvicorn Server for `app`, quiet (no access log), lifespan on."""
    import uvicorn

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        server_header=False,
        date_header=False,
    )
    return uvicorn.Server(config)


@contextlib.contextmanager
def in_thread(app: Any, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` from a thread on host:port (port 0: a free one) until the block ends; yields its URL
    once it answers. For tests and benchmarks."""
    sock = bind(host, port)
    server = uvicorn_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the gateway did not start")
        time.sleep(0.01)
    try:
        yield url_of(host, sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
