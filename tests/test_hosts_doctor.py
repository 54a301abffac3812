"""`llm-router doctor`: every check with a status, and a fix for what fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_hosts_install import run


def doctor(*args: str) -> tuple[int, dict]:
    code, output = run("doctor", "--json", *args)
    return code, json.loads(output)


def by_name(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


def test_doctor_on_a_fresh_home_says_to_install(home: Path) -> None:
    code, report = doctor("--no-mcp")
    assert code == 1 and report["ok"] is False
    assert "llm-router install" in by_name(report)["hosts"]["fix"]
    assert by_name(report)["policy"]["status"] == "ok"
    assert by_name(report)["providers"]["status"] == "warn"


def test_doctor_after_install_checks_files_and_runs_the_hook_commands(home: Path) -> None:
    run("install", "--host", "claude-code", "--host", "gemini-cli")
    code, report = doctor("--no-mcp", "--host", "claude-code", "--host", "gemini-cli")
    checks = by_name(report)
    assert code == 0 and report["ok"] is True
    assert checks["claude-code"]["status"] == "ok" and checks["claude-code hook runs"]["status"] == "ok"
    assert checks["gemini-cli hook runs"]["status"] == "ok"


def test_doctor_fails_a_requested_host_that_is_not_installed(home: Path) -> None:
    code, report = doctor("--no-mcp", "--host", "cursor")
    assert code == 1 and "llm-router install --host cursor" in by_name(report)["cursor"]["fix"]


def test_doctor_reports_an_unreadable_host_file(home: Path) -> None:
    run("install")
    (home / ".claude" / "settings.json").write_text("{broken")
    code, report = doctor("--no-mcp", "--host", "claude-code")
    assert code == 1
    assert any(c["status"] == "fail" and "not valid JSON" in c["detail"] for c in report["checks"])


def test_doctor_reports_an_invalid_policy(home: Path) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text("version: 1\nenforce: sometimes\n")
    code, report = doctor("--no-mcp")
    assert code == 1 and by_name(report)["policy"]["status"] == "fail"


def test_doctor_starts_the_mcp_server_and_lists_its_tools(home: Path) -> None:
    run("install")
    code, report = doctor("--host", "claude-code")
    mcp = by_name(report)["MCP server"]
    assert mcp["status"] == "ok" and "tools" in mcp["detail"]
    assert code == 0


def test_doctor_text_output_names_each_fix(home: Path) -> None:
    code, output = run("doctor", "--no-mcp")
    assert code == 1 and "fix: run `llm-router install`" in output


def test_doctor_checks_that_a_projects_commands_resolve_on_path(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("install", "--project")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    code, report = doctor("--no-mcp", "--project", "--host", "claude-code")
    check = by_name(report)["claude-code commands on PATH"]
    assert code == 1 and check["status"] == "fail" and "llm-router" in check["detail"]
