"""What every command shares: common options, an entry wrapper that keeps tracebacks from users, JSON."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

CONFIG_OPTION = click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A policy file layered on top of every other.",
)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def run_cli(group: click.Group, argv: list[str], *, own_process: bool = False) -> Any:
    """Run the `llm-router` group as the console script does: exit with its code; when this is the process's
    own command line and LiteLLM was imported, without the interpreter's teardown (`leave`)."""
    code = group.main(args=argv, prog_name="llm-router", standalone_mode=False)
    if own_process and "litellm" in sys.modules:
        leave(code)
    sys.exit(code)


def leave(code: int) -> NoReturn:
    """Exit with `code` once everything is out, skipping the interpreter's teardown: tearing down LiteLLM's
    modules cost `query` about a second, against a bare LiteLLM script that pays it too.

    What must not be lost is kept first: the atexit handlers run (logging's flush among them), stdout and
    stderr are flushed. Usage rows were committed when written, and SQLite's WAL is in the file system:
    usage.db is checkpointed by the next writer, as after a hook (whose entry point leaves the same way).
    """
    import atexit

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nobody is left to read it
            continue
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            continue
    os._exit(code)


def wants_json(argv: list[str]) -> bool:
    """Whether the command line asks for JSON (`--json` before any `--`)."""
    return "--json" in (argv[: argv.index("--")] if "--" in argv else argv)


_NOTHING: Any = object()
# What this invocation prints on stdout as JSON: while a command runs under run_guarded, its JSON document is
# held back until it ends, so that a failure can be added to it; JSON lines go out as they come.
_out: dict[str, Any] = {"hold": False, "document": _NOTHING, "lines": False}


def run_guarded(call: Callable[[], Any], as_json: bool) -> int:
    """Run a command and return its exit code; every failure becomes its message on stderr (never a
    traceback) and, with `--json`, an `{"error": {"code", "message", "exit_code"}}` object on stdout.

    stdout then holds exactly one JSON document: the error object alone, or the command's own report (the
    one that says what failed: `policy validate`, `lint`, `test`, `health`, `doctor`) with the error as its
    `error` member when it is an object. After JSON lines (a stream, a batch) the error is one more line.
    """
    from llm_router.errors import RouterError

    _out.update(hold=True, document=_NOTHING, lines=False)
    try:
        result = call()  # click returns the code of ctx.exit(code)
        return _exited(result if isinstance(result, int) else 0, as_json)
    except click.exceptions.Exit as exc:  # --help, --version, ctx.exit(code)
        return _exited(exc.exit_code, as_json)
    except SystemExit as exc:  # a command that printed its own outcome and exits with a code
        if isinstance(exc.code, str):  # sys.exit("message")
            return fail(exc.code, "failed", exc.code, 1, as_json)
        return _exited(exc.code or 0, as_json)
    except RouterError as exc:
        extra = {"problems": [p.to_dict() for p in exc.problems]} if hasattr(exc, "problems") else {}
        return fail(f"llm-router: {exc}", exc.code, str(exc), exc.exit_code, as_json, extra)
    except click.Abort:
        return fail("Aborted.", "aborted", "aborted", 1, as_json)
    except click.ClickException as exc:
        exc.show()
        kind = "usage" if isinstance(exc, click.UsageError) else "failed"
        return fail("", kind, exc.format_message(), exc.exit_code, as_json)
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        return fail("", "interrupted", "interrupted", 130, as_json)
    except Exception as exc:  # a bug of ours: one line, and the traceback only when asked for
        if os.environ.get("LLM_ROUTER_DEBUG"):
            raise
        message = f"internal error: {type(exc).__name__}: {exc}"
        text = f"llm-router: {message} (set LLM_ROUTER_DEBUG=1 to see the traceback)"
        return fail(text, "internal-error", message, 1, as_json)
    finally:
        document, _out["document"], _out["hold"] = _out["document"], _NOTHING, False
        if document is not _NOTHING:
            _print_document(document)


def _exited(code: int, as_json: bool) -> int:
    if code and not _out["lines"]:
        why = "see the report" if _out["document"] is not _NOTHING else f"exited with status {code}"
        return fail("", _code_of(code), why, code, as_json)
    return code


def _code_of(exit_code: int) -> str:
    """The error code that goes with a bare exit code (a command that printed its report, then exited)."""
    from llm_router import errors

    kinds = (errors.PolicyError, errors.PolicyTestFailed, errors.ProviderError, errors.BudgetExceeded)
    for kind in (*kinds, errors.HostConfigError):
        if kind.exit_code == exit_code:
            return kind.code
    return "usage" if exit_code == 2 else "failed"


def fail(
    text: str, code: str, message: str, exit_code: int, as_json: bool, extra: dict[str, Any] | None = None
) -> int:
    """Report one failure: `text` on stderr and, with `--json`, the error on stdout (as the held document's
    `error` member when there is one); return the exit code."""
    if text:
        click.echo(text, err=True)
    if not as_json:
        return exit_code
    error = {"code": code, "message": message, "exit_code": exit_code, **(extra or {})}
    document = _out["document"]
    if document is _NOTHING:
        _write(_COMPACT.encode({"error": error}))
    elif isinstance(document, dict) and "error" not in document:
        _out["document"] = {**document, "error": error}
    return exit_code


def emit_json(value: Any) -> None:
    """Print one JSON document on stdout (held back until the command ends, under run_guarded)."""
    if _out["hold"]:
        if _out["document"] is not _NOTHING:
            _print_document(_out["document"])
        _out["document"] = value
    else:
        _print_document(value)


def _print_document(value: Any) -> None:
    _write(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _write(text: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # stdout closed: nobody is left to read it
        click.echo(text)


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False, default=str)


def emit_json_line(value: Any) -> None:
    """Print one compact JSON line on stdout (one encoder for every line: `route --batch` prints many)."""
    _out["lines"] = True
    sys.stdout.write(_COMPACT.encode(value) + "\n")
