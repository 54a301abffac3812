"""`llm-router serve`: the local gateway, in the foreground or detached, and its status and stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click

from llm_router.cli.common import CONFIG_OPTION, JSON_OPTION, emit_json

LOOPBACK = ("127.0.0.1", "localhost", "::1")
START_TIMEOUT_S = 90.0  # importing LiteLLM and warming it up takes seconds, more on a busy machine


@click.command()
@click.option(
    "--port", type=click.IntRange(0, 65535), default=4141, show_default=True, help="Port to listen on."
)
@click.option(
    "--host",
    "bind",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback needs --token.",
)
@click.option("--detach", is_flag=True, help="Start in the background; return once it answers.")
@click.option("--stop", is_flag=True, help="Stop the running gateway (found through serve.json).")
@click.option("--status", is_flag=True, help="Say whether a gateway runs, where, and since when.")
@click.option(
    "--token",
    envvar="LLM_ROUTER_GATEWAY_TOKEN",
    metavar="TOKEN",
    help="The gateway's token, then required on every request; needed off loopback (where "
    "LLM_ROUTER_GATEWAY_TOKEN works too). On loopback the variable alone keys only the internal endpoints.",
)
@click.option("--token-everywhere", is_flag=True, hidden=True)  # --detach hands the choice to its child
@JSON_OPTION
@CONFIG_OPTION
def serve(
    port: int,
    bind: str,
    detach: bool,
    stop: bool,
    status: bool,
    token: str | None,
    token_everywhere: bool,
    as_json: bool,
    config: Path | None,
) -> None:
    """Serve the gateway: the Anthropic Messages API, the OpenAI Chat Completions and Responses APIs and the
    MCP server (/mcp), routed by your policy. Point Claude Code at it with ANTHROPIC_BASE_URL=http://HOST:PORT.

    While it runs, $LLM_ROUTER_HOME/serve.json (mode 0600) holds its pid, address and token. Exit 1 when the
    port is in use.
    """
    from llm_router import paths

    if sum((detach, stop, status)) > 1:
        raise click.UsageError("give at most one of --detach, --stop, --status")
    home = paths.home()
    if status:
        _status(home, as_json)
        return
    if stop:
        _stop(home, as_json)
        return
    if bind not in LOOPBACK and not token:
        raise click.UsageError(
            f"--host {bind} listens beyond this machine: give --token (or LLM_ROUTER_GATEWAY_TOKEN), "
            "which every request must then carry"
        )
    # Off loopback every request needs the token. On loopback only a token given on the command line: the
    # variable may be exported for Codex (its env_key), and then Claude Code, which sends its own key, would
    # be refused.
    source = click.get_current_context().get_parameter_source("token")
    everywhere = bool(token) and (
        bind not in LOOPBACK or token_everywhere or source == click.core.ParameterSource.COMMANDLINE
    )
    running = _running(home)
    if running is not None:
        raise click.ClickException(
            f"a gateway already runs at {running['url']} (pid {running['pid']}); "
            "stop it with `llm-router serve --stop`"
        )
    if detach:
        _detach(home, port, bind, token, everywhere, config, as_json)
        return
    _foreground(home, port, bind, token, everywhere, config)


def _foreground(
    home: Path, port: int, bind: str, token: str | None, everywhere: bool, config: Path | None
) -> None:
    import secrets

    from llm_router import router
    from llm_router.gateway import Gateway, build_app
    from llm_router.gateway.server import PortInUse, remove_state, state_for, uvicorn_server, write_state
    from llm_router.gateway.server import bind as bind_socket

    try:
        sock = bind_socket(bind, port)
    except PortInUse as exc:
        raise click.ClickException(f"{exc}; choose another with --port, or stop what listens there") from None
    actual = sock.getsockname()[1]
    key = token or secrets.token_urlsafe(32)
    gw = Gateway(
        router.Settings(config=config), token=key, token_everywhere=everywhere, host=bind, port=actual
    )
    router.load(gw.settings)  # an invalid policy exits 3 here, with every problem, before anything listens

    def ready() -> None:
        write_state(home, state_for(bind, actual, key))
        click.echo(
            f"llm-router gateway listening on {state_for(bind, actual, key)['url']} (serve.json written)",
            err=True,
        )

    app = build_app(gw, on_ready=ready, on_stop=lambda: remove_state(home, os.getpid()))
    server = uvicorn_server(app)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the signal it stopped on: a stop asked for, not a failure
        pass
    finally:
        remove_state(home, os.getpid())
        sock.close()
    if not server.started:
        raise click.ClickException("the gateway did not start (see the messages above)")


def _running(home: Path) -> dict[str, Any] | None:
    """serve.json of a gateway that answers; a stale one (its process gone) is removed."""
    from llm_router.gateway.server import health, pid_alive, read_state, remove_state

    state = read_state(home)
    if state is None:
        return None
    if not pid_alive(int(state["pid"])):
        remove_state(home)
        return None
    answer = health(str(state["url"]), str(state["token"]))
    return state if answer is not None and answer.get("pid") == state["pid"] else None


def _status(home: Path, as_json: bool) -> None:
    from llm_router.gateway.server import read_state

    stale = read_state(home)
    state = _running(home)
    if state is None:
        note = " (a stale serve.json was removed)" if stale is not None else ""
        if as_json:
            emit_json({"running": False, "stale_removed": stale is not None})
        else:
            click.echo(f"llm-router gateway: not running{note}")
        sys.exit(1)
    public = {k: v for k, v in state.items() if k != "token"}
    if as_json:
        emit_json({"running": True, **public})
    else:
        click.echo(
            f"llm-router gateway: running at {state['url']} (pid {state['pid']}, since {state['started']})"
        )


def _stop(home: Path, as_json: bool) -> None:
    from llm_router.gateway.server import pid_alive, read_state, remove_state

    state = read_state(home)
    running = _running(home)
    if running is None:
        if state is not None and pid_alive(int(state["pid"])):
            raise click.ClickException(
                f"serve.json names pid {state['pid']}, which is alive but does not answer as the gateway at "
                f"{state['url']}; not stopping it"
            )
        message = "llm-router gateway: not running" + (" (a stale serve.json was removed)" if state else "")
        emit_json({"stopped": False, "running": False}) if as_json else click.echo(message)
        return
    pid = int(running["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    remove_state(home, pid)
    emit_json({"stopped": True, "pid": pid}) if as_json else click.echo(
        f"llm-router gateway: stopped (pid {pid})"
    )


def _detach(
    home: Path,
    port: int,
    bind: str,
    token: str | None,
    everywhere: bool,
    config: Path | None,
    as_json: bool,
) -> None:
    from llm_router.gateway.server import PortInUse, read_state
    from llm_router.gateway.server import bind as bind_socket

    try:
        bind_socket(bind, port).close()  # say "port in use" here, not in a log file
    except PortInUse as exc:
        raise click.ClickException(f"{exc}; choose another with --port, or stop what listens there") from None
    from llm_router import fileio

    fileio.private_dir(home)
    log_path = home / "serve.log"
    argv = [
        sys.executable,
        "-m",
        "llm_router",
        "serve",
        "--port",
        str(port),
        "--host",
        bind,
    ]
    if config is not None:
        argv += ["--config", str(config)]
    if everywhere:
        argv.append("--token-everywhere")  # the token itself goes in the environment, never on argv
    env = dict(os.environ)
    if token:
        env["LLM_ROUTER_GATEWAY_TOKEN"] = token
    with fileio.append_private(log_path) as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise click.ClickException(f"the gateway exited with code {proc.returncode}; see {log_path}")
        state = read_state(home)
        if state is not None and state.get("pid") == proc.pid and _running(home) is not None:
            public = {k: v for k, v in state.items() if k != "token"}
            if as_json:
                emit_json({"running": True, **public})
            else:
                click.echo(f"llm-router gateway: running at {state['url']} (pid {proc.pid}); log: {log_path}")
            return
        time.sleep(0.1)
    proc.terminate()
    raise click.ClickException(f"the gateway did not answer within {START_TIMEOUT_S:g}s; see {log_path}")
