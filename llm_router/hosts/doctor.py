"""`llm-router doctor`: check the installation end to end and say what to fix."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from typing import Any

from llm_router import paths
from llm_router.errors import RouterError
from llm_router.hosts import gateway_link, jsonc
from llm_router.hosts.base import FileEdit, Target
from llm_router.hosts.commands import CLI_SCRIPT, HOOK_SCRIPT, is_our_hook_command, mcp_command
from llm_router.hosts.files import read_text
from llm_router.hosts.installer import HOSTS, Manifest, host_edits

MARKS = {"ok": "✓", "warn": "!", "fail": "✗"}
HOOK_TIMEOUT_S = 15.0
MCP_TIMEOUT_S = 20.0


@dataclass
class Check:
    """One finding: what was checked, how it went, and what to do about it."""

    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""

    @property
    def mark(self) -> str:
        return MARKS[self.status]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


def check_policy() -> tuple[Check, Any]:
    """The merged policy loads and compiles."""
    from llm_router.router import Settings, load

    try:
        cp = load(Settings())
    except RouterError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Check(
            "policy", "fail", first, "run `llm-router policy validate` and fix what it reports"
        ), None
    detail = f"valid; enforce {cp.enforce}, mode {cp.mode}, profile {cp.profile}, policy {cp.policy}"
    return Check("policy", "ok", detail), cp


def check_providers(cp: Any, *, reach: bool = True) -> list[Check]:
    """Which providers of the policy's chains are configured, and whether each answers."""
    from llm_router.providers.catalogue import configured, how_to_configure, provider_of

    env = dict(os.environ)
    wanted = {
        provider_of(m) for profiles in cp.chains.values() for models in profiles.values() for m in models
    }
    have = sorted(configured(env) & wanted)
    if not have:
        hint = "; ".join(how_to_configure(p) for p in ("openai", "gemini", "ollama"))
        return [
            Check(
                "providers",
                "warn",
                "none of the policy's providers is configured: prompts stay with the host's own model",
                hint,
            )
        ]
    checks = [Check("providers", "ok", f"configured: {', '.join(have)}")]
    if reach:
        from llm_router.providers.health import check_all

        for result in check_all(have, env, timeout_s=5.0):
            status = "ok" if result["ok"] else "fail"
            checks.append(
                Check(
                    f"provider {result['provider']}",
                    status,
                    result["detail"] or "no answer",
                    "" if result["ok"] else "check its key, base URL and network",
                )
            )
    return checks


def check_host(host: str, target: Target, explicit: bool) -> list[Check]:
    """The host's files hold what install writes, and the hook commands in them run."""
    checks: list[Check] = []
    try:
        edits = host_edits(host, target, Manifest(paths.home()).options(host, target))
    except RouterError as exc:
        return [Check(host, "fail", str(exc))]
    missing = []
    for edit in edits:
        try:
            text = read_text(edit.path)
            present = edit.present(text)
        except RouterError as exc:
            checks.append(Check(f"{host} {edit.path}", "fail", str(exc), "fix the file by hand"))
            continue
        if not present:
            missing.append(f"{edit.what} in {edit.path}")
    if missing:
        installed_any = len(missing) < len(edits)
        status = "fail" if explicit or installed_any else "warn"
        checks.append(
            Check(
                host,
                status,
                "not installed: " + "; ".join(missing),
                f"run `llm-router install --host {host}`",
            )
        )
    else:
        checks.append(Check(host, "ok", f"installed in {', '.join(sorted({str(e.path) for e in edits}))}"))
        if target.project is not None:
            checks.append(check_on_path(host))
        checks += _hook_commands(host, edits)
    return checks


def check_on_path(host: str) -> Check:
    """A project's files run llm-router by name: both commands must resolve on PATH."""
    missing = [name for name in (CLI_SCRIPT, HOOK_SCRIPT) if shutil.which(name) is None]
    if missing:
        return Check(
            f"{host} commands on PATH",
            "fail",
            f"the project's files run {' and '.join(missing)} by name, and PATH does not have it",
            "install llm-router where every shell finds it (e.g. `pipx install llm-routing`)",
        )
    return Check(f"{host} commands on PATH", "ok", f"{CLI_SCRIPT} is {shutil.which(CLI_SCRIPT)}")


def _our_hook_commands(text: str | None) -> set[str]:
    try:
        hooks = jsonc.loads(text or "{}").get("hooks") or {}
    except (ValueError, AttributeError):
        return set()
    commands = set()
    for groups in hooks.values() if isinstance(hooks, dict) else ():
        for group in groups if isinstance(groups, list) else ():
            for entry in group.get("hooks", []) if isinstance(group, dict) else ():
                if isinstance(entry, dict) and is_our_hook_command(entry.get("command")):
                    commands.add(entry["command"])
    return commands


def _hook_commands(host: str, edits: list[FileEdit]) -> list[Check]:
    commands: set[str] = set()
    expected: set[str] = set()
    for edit in edits:
        if edit.path.suffix == ".json":
            commands |= _our_hook_commands(read_text(edit.path))
            expected |= _our_hook_commands(edit.add(None))  # what this installation writes there
    checks = []
    for command in sorted(commands):
        checks.append(run_hook_command(host, command))
        if command not in expected:
            checks.append(
                Check(
                    f"{host} hook command",
                    "warn",
                    f"{command!r} is not this installation's ({', '.join(map(repr, sorted(expected)))})",
                    f"run `llm-router install --host {host}` again",
                )
            )
    return checks


def run_hook_command(host: str, command: str) -> Check:
    """Run a hook command the way the host would, with `{}` on stdin."""
    name = f"{host} hook runs"
    try:
        proc = subprocess.run(
            shlex.split(command), input=b"{}", capture_output=True, timeout=HOOK_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check(name, "fail", f"{command}: {exc}", f"run `llm-router install --host {host}` again")
    if proc.returncode != 0:
        return Check(name, "fail", f"{command} exited {proc.returncode}: {proc.stderr.decode()[-200:]}")
    return Check(name, "ok", command)


def check_mcp(timeout_s: float = MCP_TIMEOUT_S) -> Check:
    """Start `llm-router mcp`, initialize, and list its tools."""
    command, args = mcp_command()
    started = time.perf_counter()
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "llm-router-doctor", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    stdin = "".join(json.dumps(m) + "\n" for m in messages)
    try:
        proc = subprocess.Popen(
            [command, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    except OSError as exc:
        return Check("MCP server", "fail", f"cannot start {command}: {exc}", "run `llm-router install` again")
    tools = _tools_listed(proc, stdin, started + timeout_s)
    err = ""
    if not tools:
        proc.kill()
        err = proc.communicate()[1] or ""
    elapsed = time.perf_counter() - started
    if "llm_query" in tools:
        return Check(
            "MCP server", "ok", f"`{command} {' '.join(args)}` lists {len(tools)} tools in {elapsed:.1f} s"
        )
    tail = (err.strip().splitlines() or ["no answer to tools/list"])[-1][:200]
    return Check(
        "MCP server", "fail", f"`{command} {' '.join(args)}`: {tail}", "run `llm-router mcp` to see why"
    )


def check_usage_db() -> Check:
    """usage.db can be read, is intact and can be written; if not, the recipe to repair it."""
    from llm_router.store import db_path
    from llm_router.store.repair import diagnose

    status, detail, fix = diagnose(db_path())
    return Check("usage.db", status, detail, fix)


def check_hook_log() -> Check:
    """Internal errors the hooks logged in the last day."""
    from llm_router import fileio, paths
    from llm_router.hosts.hook import LOG_MAX_BYTES

    path = paths.home() / "hooks.log"
    try:
        recent = time.time() - path.stat().st_mtime < 24 * 3600
        raw = fileio.read_bounded(path, limit=2 * LOG_MAX_BYTES, what="hook log")
        last = raw.decode("utf-8", errors="replace").rstrip().splitlines()
    except OSError:
        return Check("hook errors", "ok", "none logged")
    entries = [line for line in last if not line.startswith(" ")]
    if not recent or not entries:
        return Check("hook errors", "ok", "none in the last day")
    return Check("hook errors", "warn", f"{len(entries)} logged; last: {entries[-1][:200]}", f"see {path}")


def check_gateway(target: Target) -> list[Check]:
    """For hosts installed with --gateway: the gateway answers, and each such host points at it."""
    manifest = Manifest(paths.home())
    linked = {
        host: options.gateway
        for host in HOSTS
        if (options := manifest.options(host, target)) is not None and options.gateway
    }
    if not linked:
        return []
    serving = gateway_link.read_serve_file(paths.home())
    running_url = str(serving["url"]) if serving and serving.get("url") else None
    first = next(iter(linked.values())) or gateway_link.DEFAULT_URL
    url = running_url or first
    up, detail = gateway_link.probe(url, token=gateway_link.probe_token(url, serving))
    fix = f"start it: `{gateway_link.start_hint(url)}`"
    if serving is None:
        checks = [Check("gateway", "fail", f"not running (no {gateway_link.SERVE_FILE}); {detail}", fix)]
    else:
        checks = [Check("gateway", "ok" if up else "fail", detail, "" if up else fix)]
    for host, wanted in linked.items():
        if running_url is not None and wanted != running_url:
            checks.append(
                Check(
                    f"{host} gateway",
                    "fail",
                    f"points at {wanted}, but the gateway runs at {running_url}",
                    f"run `llm-router install --host {host} --gateway-url {running_url}`",
                )
            )
        else:
            checks.append(Check(f"{host} gateway", "ok", f"requests go to {wanted}"))
    if "codex" in linked and not os.environ.get(gateway_link.CODEX_ENV_KEY):
        checks.append(
            Check(
                "codex gateway key",
                "warn",
                f"{gateway_link.CODEX_ENV_KEY} is not set here, and Codex will not start without it",
                f"add `export {gateway_link.CODEX_ENV_KEY}=local` to your shell profile",
            )
        )
    return checks


def run_checks(
    hosts: list[str] | None, target: Target, *, mcp: bool = True, reach: bool = True
) -> list[Check]:
    """Every check, in the order a user fixes things: policy, providers, hosts, gateway, MCP server,
    usage.db, hook errors."""
    policy, cp = check_policy()
    checks = [policy]
    if cp is not None:
        checks += check_providers(cp, reach=reach)
    host_checks = [c for h in (hosts or list(HOSTS)) for c in check_host(h, target, hosts is not None)]
    if hosts is None and not any(c.status == "ok" and c.name in HOSTS for c in host_checks):
        checks.append(
            Check(
                "hosts",
                "fail",
                "llm-router is not installed in any host",
                "run `llm-router install` (Claude Code) or `llm-router install --host all`",
            )
        )
    checks += [c for c in host_checks if hosts is not None or c.status != "warn"]
    checks += check_gateway(target)
    if mcp:
        checks.append(check_mcp())
    checks.append(check_usage_db())
    checks.append(check_hook_log())
    return checks


def _tools_listed(proc: subprocess.Popen[str], stdin: str, deadline: float) -> list[str]:
    """Send the messages, keep stdin open until tools/list is answered (a server exits when stdin closes),
    then close it; the tool names, or [] when no answer came before the deadline."""
    import selectors

    assert proc.stdin is not None and proc.stdout is not None
    tools: list[str] = []
    try:
        proc.stdin.write(stdin)
        proc.stdin.flush()
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while not tools and time.perf_counter() < deadline:
                if not sel.select(timeout=max(0.0, deadline - time.perf_counter())):
                    break
                line = proc.stdout.readline()
                if not line:
                    break
                try:
                    reply = json.loads(line)
                except ValueError:
                    continue
                if isinstance(reply, dict) and reply.get("id") == 2:
                    tools = [t.get("name", "") for t in (reply.get("result") or {}).get("tools", [])]
        proc.stdin.close()
        proc.wait(timeout=max(1.0, deadline - time.perf_counter()))
    except (OSError, ValueError, subprocess.TimeoutExpired):
        proc.kill()
    return tools
