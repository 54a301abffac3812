"""What every command shares: common options, an entry wrapper that keeps tracebacks from users, JSON."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

CONFIG_OPTION = click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A policy file layered on top of every other.",
)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def run_cli(group: click.Group, argv: list[str]) -> Any:
    """Run the click group (which turns a RouterError into its message and exit code); anything else
    becomes one line on stderr, never a traceback."""
    try:
        result = group.main(args=argv, prog_name="llm-router", standalone_mode=False)
        # With standalone_mode off, click returns the code of ctx.exit(code) instead of raising it.
        sys.exit(result if isinstance(result, int) else 0)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug of ours: one line, and the traceback only when asked for
        if os.environ.get("LLM_ROUTER_DEBUG"):
            raise
        click.echo(
            f"llm-router: internal error: {type(exc).__name__}: {exc} "
            "(set LLM_ROUTER_DEBUG=1 to see the traceback)",
            err=True,
        )
        sys.exit(1)


def emit_json(value: Any) -> None:
    """Print one JSON document on stdout."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False, default=str)


def emit_json_line(value: Any) -> None:
    """Print one compact JSON line on stdout (one encoder for every line: `route --batch` prints many)."""
    sys.stdout.write(_COMPACT.encode(value) + "\n")
