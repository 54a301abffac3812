"""`llm-router install` / `uninstall`: merge with the user's files, idempotent, byte-exact round trips."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
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
USER_GEMINI_WITH_COMMENTS = """{
  // my Gemini settings
  "theme": "GitHub", /* the theme I like */
  "mcpServers": {
    "files": {"command": "files-mcp"},
  },
}
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


def test_a_comment_in_geminis_settings_is_kept(user_files: dict[Path, str], home: Path) -> None:
    settings = home / ".gemini" / "settings.json"
    settings.write_text(USER_GEMINI_WITH_COMMENTS)
    code, _ = run("install", "--host", "gemini-cli")
    assert code == 0
    text = settings.read_text()
    assert "// my Gemini settings" in text and "/* the theme I like */" in text
    assert "llmrouter" in text and "BeforeAgent" in text


def test_uninstall_gives_back_a_commented_file_byte_for_byte(user_files: dict[Path, str], home: Path) -> None:
    settings = home / ".gemini" / "settings.json"
    settings.write_text(USER_GEMINI_WITH_COMMENTS)
    run("install", "--host", "gemini-cli")
    code, _ = run("uninstall", "--host", "gemini-cli")
    assert code == 0 and settings.read_text() == USER_GEMINI_WITH_COMMENTS


def test_install_only_adds_lines_to_a_commented_file(user_files: dict[Path, str], home: Path) -> None:
    settings = home / ".gemini" / "settings.json"
    settings.write_text(USER_GEMINI_WITH_COMMENTS)
    code, output = run("install", "--host", "gemini-cli", "--dry-run")
    assert code == 0
    removed = [line for line in output.splitlines() if line.startswith("-") and not line.startswith("---")]
    assert removed == []


def test_an_unreadable_host_file_fails_only_its_own_host(user_files: dict[Path, str], home: Path) -> None:
    config = home / ".codex" / "config.toml"
    config.write_text("model = [unclosed\n")
    code, output = run("install", *ALL)
    assert code == 7
    assert f"codex: not installed: {config}: not valid TOML" in output
    assert config.read_text() == "model = [unclosed\n" and not (home / ".codex" / "hooks.json").exists()
    assert "llmrouter" in json.loads((home / ".gemini" / "settings.json").read_text())["mcpServers"]
    assert "llm-router" in json.loads((home / ".cursor" / "mcp.json").read_text())["mcpServers"]


def test_a_file_its_owner_cannot_read_is_left_alone(user_files: dict[Path, str], home: Path) -> None:
    config = home / ".codex" / "config.toml"
    config.chmod(0o000)
    try:
        code, output = run("install", "--host", "codex", "--host", "cursor")
        assert code == 7 and "its owner has no read permission" in output
        assert (home / ".cursor" / "mcp.json").exists()
    finally:
        config.chmod(0o644)
    assert config.read_text() == USER_CODEX_TOML


def test_the_json_output_names_the_host_that_failed(user_files: dict[Path, str], home: Path) -> None:
    (home / ".codex" / "config.toml").write_text("[[broken\n")
    code, output = run("install", "--host", "codex", "--host", "cursor", "--json")
    document = json.loads(output)
    assert code == 7 and set(document) == {"cursor", "errors", "error"}  # `error`: every failing --json
    assert "not valid TOML" in document["errors"]["codex"]
    assert (document["error"]["code"], document["error"]["exit_code"]) == ("host-settings-unreadable", 7)


def test_a_comment_in_claude_codes_settings_fails_claude_code_only(
    user_files: dict[Path, str], home: Path
) -> None:
    settings = home / ".claude" / "settings.json"
    settings.write_text('{"model": "opus" // Claude Code reads plain JSON\n}\n')
    code, output = run("install", "--host", "claude-code", "--host", "cursor")
    assert code == 7 and "not valid JSON (comments are not allowed in this file)" in output
    assert settings.read_text() == '{"model": "opus" // Claude Code reads plain JSON\n}\n'
    assert (home / ".cursor" / "mcp.json").exists()


def test_uninstall_removes_the_codex_block_of_the_first_release(home: Path) -> None:
    config = home / ".codex" / "config.toml"
    config.parent.mkdir()
    legacy = (
        "# BEGIN llm-router (added by `llm-router install`; `llm-router uninstall` removes it)\n"
        '[mcp_servers.llm-router]\ncommand = "llm-router"\nargs = ["mcp"]\n# END llm-router\n'
    )
    config.write_text(USER_CODEX_TOML + "\n" + legacy)
    code, _ = run("uninstall", "--host", "codex")
    assert code == 0 and config.read_text() == USER_CODEX_TOML


def test_codex_keeps_the_users_comments(user_files: dict[Path, str], home: Path) -> None:
    run("install", "--host", "codex")
    text = (home / ".codex" / "config.toml").read_text()
    assert text.startswith(USER_CODEX_TOML)


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


COMMITTED = [
    ".mcp.json",
    ".vscode/mcp.json",
    ".cursor/mcp.json",
    ".gemini/settings.json",
    ".codex/config.toml",
]


def test_files_a_team_commits_hold_no_path_of_this_machine(home: Path) -> None:
    run("install", "--project", *ALL)
    for name in [*COMMITTED, ".codex/hooks.json"]:
        text = Path(name).read_text()
        assert str(Path(sys.executable).parent) not in text and sys.executable not in text, name
    server = json.loads(Path(".mcp.json").read_text())["mcpServers"]["llm-router"]
    assert (server["command"], server["args"]) == ("llm-router", ["mcp"])


def test_the_projects_local_only_file_keeps_absolute_hook_commands(home: Path) -> None:
    run("install", "--project")
    hooks = json.loads(Path(".claude/settings.local.json").read_text())["hooks"]
    assert os.path.isabs(shlex.split(hooks["UserPromptSubmit"][-1]["hooks"][0]["command"])[0])


def test_python_dash_m_llm_router_runs_the_cli() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "llm_router", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and "install" in proc.stdout


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
