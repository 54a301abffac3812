"""`install --gateway`: Claude Code and Codex send their requests through the local gateway; uninstall takes
exactly that back out; doctor checks the gateway answers; the hooks of such a host route nothing twice."""

from __future__ import annotations

import json
import os
import plistlib
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_hook import PROVIDER, Run, accepted, hook, payload
from test_hosts_install import USER_CODEX_TOML, run, snapshot_tree
from test_hosts_install import user_files as user_files  # a fixture

from llm_router.hosts import gateway_link

URL = gateway_link.DEFAULT_URL


def settings(home: Path) -> dict:
    return json.loads((home / ".claude" / "settings.json").read_text())


def codex_config(home: Path) -> dict:
    return tomllib.loads((home / ".codex" / "config.toml").read_text())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Health(BaseHTTPRequestHandler):
    wanted_token: str | None = None  # a gateway given `--token` wants it on every endpoint

    def do_GET(self) -> None:  # noqa: N802 - the http.server naming
        status = 200 if self.path == "/healthz" else 404
        if self.wanted_token is not None and self.headers.get("x-llm-router-token") != self.wanted_token:
            status = 401
        body = b'{"ok": true}'
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(params=[None])
def gateway(home: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A server answering /healthz on 127.0.0.1, announced in serve.json as `llm-router serve` does (with
    token "t"); parametrised with a token, it answers 401 to a request that does not carry it."""
    handler = type("Health", (_Health,), {"wanted_token": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state = home / ".llm-router"
    state.mkdir(exist_ok=True)
    document = {"pid": 1, "host": "127.0.0.1", "port": server.server_port, "token": "t", "url": url}
    (state / "serve.json").write_text(json.dumps({**document, "version": "0", "started": 0}))
    (state / "serve.json").chmod(0o600)  # as `llm-router serve` writes it: private to this user
    yield url
    server.shutdown()
    server.server_close()


# --- Claude Code ------------------------------------------------------------------------------------------


def test_claude_code_gets_anthropic_base_url_beside_the_users_settings(user_files: dict, home: Path) -> None:
    code, _ = run("install", "--host", "claude-code", "--gateway")
    assert code == 0
    assert settings(home)["env"] == {"ANTHROPIC_BASE_URL": URL}
    assert settings(home)["model"] == "opus"


def test_install_and_uninstall_with_the_gateway_restore_each_file(user_files: dict, home: Path) -> None:
    before = snapshot_tree(home)
    run("install", "--host", "claude-code", "--gateway")
    code, _ = run("uninstall", "--host", "claude-code")
    assert code == 0 and snapshot_tree(home) == before


def test_uninstall_takes_out_only_the_gateway_url_when_the_user_changed_the_file(
    user_files: dict, home: Path
) -> None:
    run("install", "--host", "claude-code", "--gateway")
    path = home / ".claude" / "settings.json"
    data = settings(home)
    data["env"]["MY_VAR"] = "1"
    path.write_text(json.dumps(data, indent=4))
    run("uninstall", "--host", "claude-code")
    assert settings(home)["env"] == {"MY_VAR": "1"} and "hooks" in settings(home)


def test_a_gateway_host_has_no_tool_hook_and_its_hooks_say_gateway(home: Path) -> None:
    run("install", "--host", "claude-code", "--gateway")
    hooks = settings(home)["hooks"]
    assert "PreToolUse" not in hooks
    assert all(g[-1]["hooks"][0]["command"].endswith("claude-code --gateway") for g in hooks.values())


def test_installing_again_without_the_gateway_takes_it_out(home: Path) -> None:
    run("install", "--host", "claude-code", "--gateway")
    run("install", "--host", "claude-code")
    assert "env" not in settings(home)
    assert "PreToolUse" in settings(home)["hooks"]
    assert not any("--gateway" in g[-1]["hooks"][0]["command"] for g in settings(home)["hooks"].values())


def test_the_gateway_url_can_be_chosen(home: Path) -> None:
    run("install", "--host", "claude-code", "--gateway-url", "http://127.0.0.1:5000/")
    assert settings(home)["env"]["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:5000"


def test_a_base_url_of_the_users_own_is_a_conflict(home: Path) -> None:
    path = home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text('{"env": {"ANTHROPIC_BASE_URL": "http://127.0.0.1:3456"}}\n')
    code, output = run("install", "--host", "claude-code", "--gateway")
    assert code == 7 and "already sets env.ANTHROPIC_BASE_URL to 'http://127.0.0.1:3456'" in output
    assert path.read_text() == '{"env": {"ANTHROPIC_BASE_URL": "http://127.0.0.1:3456"}}\n'


def test_install_says_how_to_start_a_gateway_that_is_not_running(home: Path) -> None:
    port = free_port()
    code, output = run("install", "--host", "claude-code", "--gateway-url", f"http://127.0.0.1:{port}")
    assert code == 0 and f"llm-router serve --port {port} --detach" in output


# --- Codex ------------------------------------------------------------------------------------------------


def test_codex_gets_a_responses_provider_selected_at_the_top_level(user_files: dict, home: Path) -> None:
    code, output = run("install", "--host", "codex", "--gateway")
    assert code == 0
    config = codex_config(home)
    assert config["model_provider"] == "llm-router" and config["model"] == "auto"
    assert config["model_providers"]["llm-router"] == {
        "name": "llm-router gateway",
        "base_url": f"{URL}/v1",
        "wire_api": "responses",
        "env_key": "LLM_ROUTER_GATEWAY_TOKEN",
    }
    assert "export LLM_ROUTER_GATEWAY_TOKEN=" in output


def test_codex_keeps_the_users_model_line_as_a_comment_and_gives_it_back(
    user_files: dict, home: Path
) -> None:
    path = home / ".codex" / "config.toml"
    run("install", "--host", "codex", "--gateway")
    assert (
        '# llm-router replaced this line (uninstall puts it back): model = "gpt-5-codex"' in path.read_text()
    )
    path.write_text(path.read_text() + '\n[profiles.fast]\nmodel = "gpt-5-mini"\n')  # a change of the user's
    run("uninstall", "--host", "codex")
    assert path.read_text() == USER_CODEX_TOML + '\n[profiles.fast]\nmodel = "gpt-5-mini"\n'


def test_codex_install_and_uninstall_with_the_gateway_restore_the_bytes(user_files: dict, home: Path) -> None:
    before = snapshot_tree(home)
    run("install", "--host", "codex", "--gateway")
    run("uninstall", "--host", "codex")
    assert snapshot_tree(home) == before


def test_the_gateway_lines_stay_out_of_the_mcp_block_and_come_out_again(home: Path) -> None:
    run("install", "--host", "codex")
    plain = (home / ".codex" / "config.toml").read_text()
    run("install", "--host", "codex", "--gateway")
    assert plain.strip() in (home / ".codex" / "config.toml").read_text()  # the MCP block stays whole
    run("install", "--host", "codex")
    assert (home / ".codex" / "config.toml").read_text() == plain


def test_codex_in_a_project_cannot_take_the_gateway(home: Path) -> None:
    code, output = run("install", "--host", "codex", "--project", "--gateway")
    assert code == 2 and "model_provider" in output and "without --project" in output
    assert not Path(".codex").exists()


def test_hosts_without_a_gateway_mode_install_as_usual(home: Path) -> None:
    code, output = run("install", "--host", "cursor", "--gateway")
    assert code == 0 and "No gateway mode for cursor" in output


# --- the login service ------------------------------------------------------------------------------------


def test_autostart_writes_a_systemd_user_unit_and_prints_how_to_enable_it(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    code, output = run("install", "--gateway", "--autostart")
    unit = home / ".config" / "systemd" / "user" / "llm-router.service"
    assert code == 0
    exec_start = next(line for line in unit.read_text().splitlines() if line.startswith("ExecStart="))
    assert exec_start.endswith(" serve") and "llm-router" in exec_start
    assert "systemctl --user enable --now llm-router.service" in output


def test_the_launchd_agent_runs_serve_and_keeps_it_alive() -> None:
    agent = plistlib.loads(gateway_link.service_text(["/opt/bin/llm-router", "serve"], "darwin").encode())
    assert agent["ProgramArguments"] == ["/opt/bin/llm-router", "serve"]
    assert agent["RunAtLoad"] is True and agent["KeepAlive"] is True


def test_uninstall_removes_the_unit_and_the_folders_it_created(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    before = snapshot_tree(home)
    run("install", "--gateway", "--autostart")
    code, _ = run("uninstall")
    assert code == 0 and snapshot_tree(home) == before and not (home / ".config").exists()


def test_an_enabled_unit_stays_until_it_is_disabled(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    run("install", "--gateway", "--autostart")
    folder = home / ".config" / "systemd" / "user"
    (folder / "default.target.wants").mkdir()
    (folder / "default.target.wants" / "llm-router.service").symlink_to(folder / "llm-router.service")
    code, output = run("uninstall")
    assert code == 0 and "systemctl --user disable --now llm-router.service" in output
    assert (folder / "llm-router.service").exists()


def test_autostart_needs_the_gateway(home: Path) -> None:
    code, output = run("install", "--autostart")
    assert code == 2 and "--gateway" in output


# --- doctor -----------------------------------------------------------------------------------------------


def doctor_checks() -> dict[str, dict]:
    _, output = run("doctor", "--json", "--no-mcp", "--host", "claude-code")
    return {c["name"]: c for c in json.loads(output)["checks"]}


def test_doctor_fails_when_the_gateway_is_not_running(home: Path) -> None:
    run("install", "--host", "claude-code", "--gateway-url", f"http://127.0.0.1:{free_port()}")
    check = doctor_checks()["gateway"]
    assert check["status"] == "fail" and "llm-router serve" in check["fix"]


def test_doctor_passes_when_the_gateway_answers_where_the_host_points(home: Path, gateway: str) -> None:
    run("install", "--host", "claude-code", "--gateway-url", gateway)
    checks = doctor_checks()
    assert checks["gateway"]["status"] == "ok" and checks["claude-code gateway"]["status"] == "ok"


@pytest.mark.parametrize("gateway", ["t"], indirect=True)
def test_doctor_sends_the_token_of_a_gateway_that_wants_one(home: Path, gateway: str) -> None:
    run("install", "--host", "claude-code", "--gateway-url", gateway)
    assert doctor_checks()["gateway"]["status"] == "ok"


@pytest.mark.parametrize("gateway", ["another"], indirect=True)
def test_doctor_says_a_gateway_wants_its_token(home: Path, gateway: str) -> None:
    run("install", "--host", "claude-code", "--gateway-url", gateway)
    check = doctor_checks()["gateway"]
    assert (
        check["status"] == "fail"
        and "401" in check["detail"]
        and "LLM_ROUTER_GATEWAY_TOKEN" in check["detail"]
    )


def test_doctor_names_a_host_that_points_elsewhere(home: Path, gateway: str) -> None:
    run("install", "--host", "claude-code", "--gateway-url", f"http://127.0.0.1:{free_port()}")
    check = doctor_checks()["claude-code gateway"]
    assert check["status"] == "fail" and f"--gateway-url {gateway}" in check["fix"]


def test_doctor_warns_when_codexs_key_variable_is_unset(home: Path, gateway: str) -> None:
    run("install", "--host", "codex", "--gateway-url", gateway)
    _, output = run("doctor", "--json", "--no-mcp", "--host", "codex")
    checks = {c["name"]: c for c in json.loads(output)["checks"]}
    assert checks["codex gateway key"]["status"] == "warn"


# --- the hooks of a host in gateway mode ------------------------------------------------------------------


def gateway_hook(event: str, **env: str) -> dict | None:
    """The hook of a host installed with --gateway (`llm-router-hook claude-code --gateway`)."""
    proc = subprocess.run(
        [sys.executable, "-m", "llm_router.hosts.hook", "claude-code", "--gateway"],
        input=json.dumps(payload("claude-code", event)).encode(),
        capture_output=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )
    return accepted("claude-code", event, Run(proc.returncode, proc.stdout.decode(), proc.stderr.decode()))


def test_the_prompt_hook_gives_no_llm_query_advice_through_the_gateway() -> None:
    assert accepted(
        "claude-code",
        "UserPromptSubmit",
        hook("claude-code", payload("claude-code", "UserPromptSubmit"), **PROVIDER),
    )
    assert gateway_hook("UserPromptSubmit", **PROVIDER) is None


def test_a_policy_block_still_stops_the_prompt_through_the_gateway(home: Path) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text(
        "version: 1\nrules:\n  - id: no-sums\n    when: \"'2+2' in prompt\"\n"
        "    then: {action: block, message: no sums here}\n"
    )
    output = gateway_hook("UserPromptSubmit", **PROVIDER)
    assert output is not None and output["decision"] == "block" and "no sums here" in output["reason"]


def test_session_start_warns_when_the_gateway_does_not_answer() -> None:
    output = gateway_hook("SessionStart", ANTHROPIC_BASE_URL=f"http://127.0.0.1:{free_port()}")
    assert output is not None and "the gateway is not answering" in output["systemMessage"]


def test_session_start_names_the_gateway_that_answers(gateway: str) -> None:
    output = gateway_hook("SessionStart", ANTHROPIC_BASE_URL=gateway)
    assert output is not None and f"through the gateway at {gateway}" in output["systemMessage"]
