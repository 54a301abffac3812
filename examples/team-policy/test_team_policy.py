"""CI runs the team policy's suite the way a team would: through `llm-router policy test`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from llm_router.cli import cli

HERE = Path(__file__).parent


def test_team_policy_suite_passes() -> None:
    result = CliRunner().invoke(cli, ["policy", "test", str(HERE / "tests")])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output
