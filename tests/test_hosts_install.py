"""`llm-router install` / `uninstall`: merge with the user's files, idempotent, byte-exact round trips."""

from __future__ import annotations

import json
import os
import shlex
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from llm_router.cli import cli

ALL = ["--host", "all"]

USER_CLAUDE_SETTINGS = """{
    "permissions": {"allow": ["Bash(npm test)"], "deny": []},
    "hooks": {
        "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "~/bin/log-prompt"}]}],
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "~/bin/guard"}]}]
    },
    "model": "opus"
}
"""
USER_CLAUDE_JSON = '{"numStartups": 42, "mcpServers": {"github": {"type": "stdio", "command": "gh-mcp"}}}'
USER_CODEX_TOML = """# my Codex settings
model = "gpt-5-codex"   # the default

[mcp_servers.docs]
command = "docs-mcp"
args = ["--port", "0"]
"""
USER_GEMINI = """{
  "theme": "GitHub",
  "mcpServers": {
    "files": {"command": "files-mcp"}
  }
}"""


@pytest.fixture
def user_files(home: Path) -> dict[Path, str]:
    """A HOME that already holds the user's own Claude Code, Codex and Gemini CLI settings."""
    files = {
        home / ".claude" / "settings.json": USER_CLAUDE_SETTINGS,
        home / ".claude.json": USER_CLAUDE_JSON,
        home / ".codex" / "config.toml": USER_CODEX_TOML,
        home / ".gemini" / "settings.json": USER_GEMINI,
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return files


def run(*args: str) -> tuple[int, str]:
    """Run `llm-router ARGS` the way the console script does (errors become messages and exit codes)."""
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def snapshot_tree(root: Path) -> dict[str, str]:
    """Every file under root except llm-router's own folder, with its content."""
    return {
        str(p.relative_to(root)): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".llm-router" not in p.parts
    }


def test_install_every_host_keeps_the_users_settings(user_files: dict[Path, str], home: Path) -> None:
    code, _ = run("install", *ALL)
    assert code == 0
    settings = json.loads((home / ".claude" / "settings.json").read_text())
    assert settings["permissions"]["allow"] == ["Bash(npm test)"] and settings["model"] == "opus"
    assert settings["hooks"]["UserPromptSubmit"][0]["hooks"][0]["command"] == "~/bin/log-prompt"
    assert settings["hooks"]["PreToolUse"][0]["matcher"] == "Bash"
    claude = json.loads((home / ".claude.json").read_text())
    assert claude["numStartups"] == 42 and set(claude["mcpServers"]) == {"github", "llm-router"}
    codex = tomllib.loads((home / ".codex" / "config.toml").read_text())
    assert codex["model"] == "gpt-5-codex" and set(codex["mcp_servers"]) == {"docs", "llm-router"}
    gemini = json.loads((home / ".gemini" / "settings.json").read_text())
    assert gemini["theme"] == "GitHub" and set(gemini["mcpServers"]) == {"files", "llmrouter"}


def test_install_registers_hooks_and_mcp_for_each_host(user_files: dict[Path, str], home: Path) -> None:
    run("install", *ALL)
    claude = json.loads((home / ".claude" / "settings.json").read_text())["hooks"]
    assert {"SessionStart", "UserPromptSubmit", "PreToolUse", "SessionEnd"} <= set(claude)
    assert "matcher" not in claude["UserPromptSubmit"][-1]
    codex_hooks = json.loads((home / ".codex" / "hooks.json").read_text())["hooks"]
    assert {"SessionStart", "UserPromptSubmit", "PreToolUse", "Stop"} <= set(codex_hooks)
    gemini = json.loads((home / ".gemini" / "settings.json").read_text())
    assert {"SessionStart", "BeforeAgent", "BeforeModel", "SessionEnd"} <= set(gemini["hooks"])
    assert all(g[-1]["hooks"][0]["timeout"] >= 1000 for g in gemini["hooks"].values())  # milliseconds
    vscode = json.loads((home / ".config" / "Code" / "User" / "mcp.json").read_text())
    assert vscode["servers"]["llm-router"]["type"] == "stdio"
    cursor = json.loads((home / ".cursor" / "mcp.json").read_text())
    assert "llm-router" in cursor["mcpServers"]


def test_installing_twice_changes_nothing(user_files: dict[Path, str], home: Path) -> None:
    run("install", *ALL)
    first = snapshot_tree(home)
    code, output = run("install", *ALL)
    assert code == 0
    assert snapshot_tree(home) == first
    assert "updated" not in output and "created" not in output


def test_uninstall_restores_every_file_byte_for_byte(user_files: dict[Path, str], home: Path) -> None:
    before = snapshot_tree(home)
    run("install", *ALL)
    code, _ = run("uninstall", *ALL)
    assert code == 0
    assert snapshot_tree(home) == before
    assert not (home / ".cursor").exists() and not (home / ".codex" / "hooks.json").exists()


def test_uninstall_keeps_changes_the_user_made_after_install(user_files: dict[Path, str], home: Path) -> None:
    run("install")
    path = home / ".claude" / "settings.json"
    data = json.loads(path.read_text())
    data["model"] = "sonnet"
    path.write_text(json.dumps(data, indent=4))
    run("uninstall")
    after = json.loads(path.read_text())
    assert after == {**json.loads(USER_CLAUDE_SETTINGS), "model": "sonnet"}


def test_install_backs_up_each_file_it_changes(user_files: dict[Path, str], home: Path) -> None:
    run("install")
    backups = list((home / ".llm-router" / "backups").rglob("*settings.json"))
    assert [b.read_text() for b in backups] == [USER_CLAUDE_SETTINGS]
    assert oct(backups[0].stat().st_mode & 0o777) == "0o600"


def test_dry_run_shows_a_diff_and_writes_nothing(user_files: dict[Path, str], home: Path) -> None:
    before = snapshot_tree(home)
    code, output = run("install", "--host", "codex", "--dry-run")
    assert code == 0
    assert "+[mcp_servers.llm-router]" in output and "Dry run" in output
    assert snapshot_tree(home) == before
    assert not (home / ".llm-router" / "installed.json").exists()


def test_a_settings_file_that_is_not_json_is_left_alone(user_files: dict[Path, str], home: Path) -> None:
    broken = home / ".gemini" / "settings.json"
    broken.write_text('{"theme": "GitHub", // a comment\n}')
    before = snapshot_tree(home)
    code, output = run("install", *ALL)
    assert code == 7
    assert "not valid JSON" in output and str(broken) in output
    assert snapshot_tree(home) == before  # no host was half-installed


def test_codex_table_defined_by_the_user_is_a_conflict(home: Path) -> None:
    config = home / ".codex" / "config.toml"
    config.parent.mkdir()
    config.write_text('[mcp_servers.llm-router]\ncommand = "mine"\n')
    code, output = run("install", "--host", "codex")
    assert code == 7 and "already defines [mcp_servers.llm-router]" in output
    assert config.read_text() == '[mcp_servers.llm-router]\ncommand = "mine"\n'


def test_hook_commands_are_absolute_paths_to_this_installation(home: Path) -> None:
    run("install")
    hooks = json.loads((home / ".claude" / "settings.json").read_text())["hooks"]
    for groups in hooks.values():
        argv = shlex.split(groups[-1]["hooks"][0]["command"])
        assert os.path.isabs(argv[0]) and os.access(argv[0], os.X_OK)
        assert argv[-1] == "claude-code"
    server = json.loads((home / ".claude.json").read_text())["mcpServers"]["llm-router"]
    assert os.path.isabs(server["command"]) and server["args"][-1] == "mcp"


def test_project_install_writes_the_projects_files(home: Path) -> None:
    code, _ = run("install", "--project")
    assert code == 0
    assert "llm-router" in json.loads(Path(".mcp.json").read_text())["mcpServers"]
    assert "UserPromptSubmit" in json.loads(Path(".claude/settings.local.json").read_text())["hooks"]
    assert not (home / ".claude.json").exists()
    run("uninstall", "--project")
    assert not Path(".mcp.json").exists() and not Path(".claude").exists()


def test_install_json_output_lists_what_changed(home: Path) -> None:
    code, output = run("install", "--host", "cursor", "--json")
    assert code == 0
    assert json.loads(output) == {
        "cursor": [
            {
                "path": str(home / ".cursor" / "mcp.json"),
                "what": ["MCP server 'llm-router'"],
                "status": "created",
            }
        ]
    }


def test_install_help_does_not_install(home: Path) -> None:
    code, output = run("install", "--help")
    assert code == 0 and "--dry-run" in output
    assert not (home / ".claude").exists()


def test_what_install_writes_for_each_host(home: Path, snapshot: Any) -> None:
    """The exact files a fresh install writes (this installation's paths shown as <BIN> and <PYTHON>)."""
    run("install", *ALL)
    bin_dir = str(Path(sys.executable).parent)
    written = {
        name: text.replace(sys.executable, "<PYTHON>").replace(bin_dir, "<BIN>")
        for name, text in snapshot_tree(home).items()
    }
    assert written == snapshot
