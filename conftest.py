"""The home guard: a test run fails if anything reads from or writes under the real home directory.

It sits at the top of the checkout so that it covers every test path (tests/, examples/) however pytest is
started; its core is tests/home_guard.py. At configure time, before any test module is imported:

- the real home is noted: $HOME, and the password database's entry (what `~` means without $HOME);
- $HOME and $LLM_ROUTER_HOME point at a folder of the session, so whatever runs outside the per-test `home`
  fixture (module-scoped fixtures, the subprocesses they start) lands there, never in the real home;
- an audit hook (`sys.addaudithook`; it cannot be removed) refuses with PermissionError every open, listing,
  SQLite connection, mkdir, rename, removal or chmod of a path under the real home, and every subprocess
  started with $HOME (or $LLM_ROUTER_HOME) there, or with no $HOME at all (it would fall back to the real
  one);
- a sitecustomize.py first on PYTHONPATH puts the same hook into every Python subprocess (hooks, the CLI,
  the MCP server), which records what it refused in the session's log.

Each violation is recorded as well as refused, so code that swallows the error (a hook lets every error
through) cannot hide it: the test it happened in errors at teardown, and the session fails with the list.
What llm-router and the hosts keep under the real home is also listed before and after the run; a change
there is reported, but cannot fail the run by itself, since on a shared machine another process may have
made it. The interpreter's files, the checkout and the temporary folder are exempt when under the home.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_spec = importlib.util.spec_from_file_location(
    "_home_guard", Path(__file__).parent / "tests" / "home_guard.py"
)
assert _spec is not None and _spec.loader is not None
core = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(core)


class _Session:
    guard: Any
    pause: Any
    home: str
    log: str
    log_seen: int = 0
    before: dict[str, tuple[int, int]]
    changed: list[str]


_S = _Session()


def _real_homes() -> list[str]:
    homes = [os.environ.get("HOME") or "", pwd.getpwuid(os.getuid()).pw_dir]
    real = list(dict.fromkeys(os.path.abspath(h) for h in homes if h and os.path.abspath(h) != "/"))
    return real + [os.path.realpath(h) for h in real if os.path.realpath(h) not in real]


def _exempt(config: pytest.Config, real: list[str]) -> list[str]:
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, str(config.rootpath)}
    candidates |= {p for p in sys.path if p and os.path.isabs(p)}
    candidates.add(tempfile.gettempdir())
    # Never a real home itself or a folder holding one (a PYTHONPATH entry of $HOME, say).
    return sorted(
        {
            os.path.abspath(p)
            for p in candidates
            if not any(h == os.path.abspath(p) or h.startswith(os.path.abspath(p) + os.sep) for h in real)
        }
    )


def pytest_configure(config: pytest.Config) -> None:
    real = _real_homes()
    exempt = _exempt(config, real)
    _S.home = tempfile.mkdtemp(prefix="llm-router-tests-home-")
    _S.log = os.path.join(_S.home, "home-guard.log")
    children = os.path.join(_S.home, "site")
    os.mkdir(children)
    shutil.copyfile(
        Path(__file__).parent / "tests" / "home_guard.py", os.path.join(children, "home_guard.py")
    )
    Path(children, "sitecustomize.py").write_text(core.SITECUSTOMIZE)
    _S.before = core.listing(real)
    os.environ.update(
        {
            "HOME": os.path.join(_S.home, "home"),
            "LLM_ROUTER_HOME": os.path.join(_S.home, "home", ".llm-router"),
            core.REAL_HOMES_VAR: os.pathsep.join(real),
            core.EXEMPT_VAR: os.pathsep.join(exempt),
            core.LOG_VAR: _S.log,
            "PYTHONPATH": os.pathsep.join(p for p in (children, os.environ.get("PYTHONPATH")) if p),
        }
    )
    os.mkdir(os.environ["HOME"])
    _S.guard = core.Guard(real, exempt)
    _S.pause = core.install(_S.guard)


def _from_subprocesses() -> list[str]:
    """What subprocesses were refused since the last call."""
    try:
        with open(_S.log, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return []
    new, _S.log_seen = lines[_S.log_seen :], len(lines)
    return new


@pytest.fixture(autouse=True)
def _home_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Names the running test in violations, and errors it at teardown when it caused one."""
    guard = _S.guard
    guard.current = request.node.nodeid
    seen = len(guard.violations)
    _from_subprocesses()  # anything earlier belongs to no test of ours
    yield
    mine = guard.violations[seen:] + [f"{guard.current}: {line}" for line in _from_subprocesses()]
    guard.violations[seen:] = mine
    guard.current = "(between tests)"
    if mine:
        pytest.fail("touched the real home:\n  " + "\n  ".join(mine), pytrace=False)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    guard = _S.guard
    guard.violations += [f"(no test): {line}" for line in _from_subprocesses()]
    with _S.pause():
        after = core.listing(guard.real_homes)
    _S.changed = sorted(p for p in set(_S.before) | set(after) if _S.before.get(p) != after.get(p))
    if guard.violations:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _S.guard.violations:
        terminalreporter.section("home guard: the real home was touched", red=True)
        for line in dict.fromkeys(_S.guard.violations):
            terminalreporter.line(line)
    if getattr(_S, "changed", None):
        terminalreporter.section("home guard: changed under the real home during the run", yellow=True)
        terminalreporter.line(
            "(no audit hook of this run saw it: another process on this machine, or a non-Python"
        )
        terminalreporter.line(" subprocess of a test)")
        for path in _S.changed:
            terminalreporter.line(path)


def pytest_unconfigure(config: pytest.Config) -> None:
    if getattr(_S, "home", None):
        shutil.rmtree(_S.home, ignore_errors=True)
