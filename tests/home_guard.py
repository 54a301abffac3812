"""The core of the test home guard: refuse and record every touch of the real home, in the test process and
in every Python subprocess it starts. No pytest and no llm-router imports: subprocesses load this file at
start-up (through a sitecustomize.py that the session puts first on PYTHONPATH), and it must stay cheap.

The pytest side (session setup, per-test attribution, the final verdict) is the checkout's conftest.py.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

REAL_HOMES_VAR = "LLM_ROUTER_TEST_REAL_HOMES"  # the real homes, os.pathsep-separated
EXEMPT_VAR = "LLM_ROUTER_TEST_EXEMPT"  # folders under them that may be used (interpreter, checkout, temp)
LOG_VAR = "LLM_ROUTER_TEST_GUARD_LOG"  # where subprocesses record what they were refused

PATH_EVENTS = frozenset(
    {
        "open",
        "os.listdir",
        "os.scandir",
        "os.mkdir",
        "os.remove",
        "os.rmdir",
        "os.chmod",
        "os.chown",
        "os.utime",
        "os.truncate",
        "os.chdir",
        "sqlite3.connect",
        "shutil.rmtree",
    }
)
TWO_PATH_EVENTS = frozenset(
    {"os.rename", "os.link", "os.symlink", "shutil.copyfile", "shutil.copytree", "shutil.move"}
)
SPAWN_ENV_ARG = {"subprocess.Popen": 3, "os.posix_spawn": 2, "os.exec": 2, "os.system": None}
# What llm-router and the host tools keep under a home, relative to it (listed before and after the run).
PRODUCT_PATHS = (
    ".llm-router",
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".claude/agents",
    ".claude.json",
    ".codex",
    ".gemini",
    ".cursor",
    ".config/Code/User/mcp.json",
    ".config/systemd/user/llm-router.service",
    "Library/Application Support/Code/User/mcp.json",
    "Library/LaunchAgents/dev.llm-router.serve.plist",
)


def _lookup(environ: Any, key: str) -> Any:
    """environ[key] whether its keys are str or bytes (a subprocess may be given either), else None."""
    for candidate in (key, key.encode()):
        try:
            if candidate in environ:
                return environ[candidate]
        except TypeError:
            continue
    return None


_PYTHON = re.compile(r"(python[0-9.]*|llm-router(-hook)?)(\.exe)?")


def _runs_python(event: str, args: tuple[Any, ...]) -> bool:
    """Whether a spawn starts a Python interpreter or one of llm-router's scripts (as far as one can tell)."""
    if event == "os.system":
        return False
    program = args[0]
    argv = args[1]
    if program is None and isinstance(argv, (list, tuple)) and argv:
        program = argv[0]
    if not isinstance(program, (str, bytes, os.PathLike)):
        return False
    name = os.path.basename(os.fsdecode(program))
    return bool(_PYTHON.fullmatch(name)) or os.fsdecode(program) == sys.executable


class Guard:
    """The real homes, what may be touched under them, and the violations seen in this process."""

    def __init__(self, real_homes: list[str], exempt: list[str], log: str | None = None):
        self.real_homes = real_homes
        self.exempt = exempt
        self.log = log  # set in a subprocess: violations go to the session's log as well
        self.violations: list[str] = []
        self.current = "(outside any test)"

    def under_real_home(self, path: Any) -> bool:
        try:
            full = os.path.abspath(os.fsdecode(path))
        except TypeError:
            return False  # a file descriptor
        inside = any(full == home or full.startswith(home + os.sep) for home in self.real_homes)
        return inside and not any(full == ex or full.startswith(ex + os.sep) for ex in self.exempt)

    def violation(self, what: str) -> PermissionError:
        """Record `what` and return the error that refuses it."""
        if self.log is not None:
            line = f"subprocess {os.getpid()} ({' '.join(sys.argv)[:120]}): {what}"
            with open(self.log, "a", encoding="utf-8") as handle:
                handle.write(line.replace("\n", " ") + "\n")
        self.violations.append(f"{self.current}: {what}")
        return PermissionError(f"home guard: {what} (tests must use the `home` fixture's temporary HOME)")

    def check_spawn(self, event: str, args: tuple[Any, ...]) -> None:
        index = SPAWN_ENV_ARG[event]
        environ = os.environ if index is None or args[index] is None else args[index]
        home, router_home = _lookup(environ, "HOME"), _lookup(environ, "LLM_ROUTER_HOME")
        if home is None and _runs_python(event, args):
            # Python's `~` falls back to the password database's home (ldconfig or git without HOME are fine)
            raise self.violation(
                f"{event} of Python with no HOME in its environment (it would use the real home)"
            )
        for value in (home, router_home):
            if value is not None and self.under_real_home(value):
                raise self.violation(f"{event} with its home under the real home ({os.fsdecode(value)})")


def install(guard: Guard) -> Callable[[], Any]:
    """Add the audit hook (it cannot be removed); returns a context manager factory that lets the guard's
    own listing of the real home through."""
    paused = False

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if paused:
            return
        if event in PATH_EVENTS:
            if args and guard.under_real_home(args[0]):
                raise guard.violation(f"{event} {os.fsdecode(args[0])}")
        elif event in TWO_PATH_EVENTS:
            for path in args[:2]:
                if guard.under_real_home(path):
                    raise guard.violation(f"{event} {os.fsdecode(path)}")
        elif event in SPAWN_ENV_ARG:
            guard.check_spawn(event, args)

    @contextmanager
    def pause() -> Iterator[None]:
        nonlocal paused
        paused = True
        try:
            yield
        finally:
            paused = False

    sys.addaudithook(hook)
    return pause


def install_from_env() -> None:
    """In a subprocess of a guarded session (called by the session's sitecustomize.py)."""
    homes = [p for p in os.environ.get(REAL_HOMES_VAR, "").split(os.pathsep) if p]
    log = os.environ.get(LOG_VAR)
    if homes and log:
        exempt = [p for p in os.environ.get(EXEMPT_VAR, "").split(os.pathsep) if p]
        install(Guard(homes, exempt, log))


def listing(real_homes: list[str]) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file and folder of PRODUCT_PATHS under the real homes."""
    found: dict[str, tuple[int, int]] = {}
    for home in real_homes:
        for relative in PRODUCT_PATHS:
            top = os.path.join(home, relative)
            for root, dirs, files in os.walk(top) if os.path.isdir(top) else [("", [], [top])]:
                for name in [*dirs, *files]:
                    path = os.path.join(root, name)
                    try:
                        st = os.lstat(path)
                    except OSError:
                        continue
                    found[path] = (st.st_size, st.st_mtime_ns)
    return found


SITECUSTOMIZE = '''"""Written by llm-router's test home guard for this session's subprocesses."""
import importlib.util as _util
import os as _os
import sys as _sys

_path = _os.path.join(_os.path.dirname(__file__), "home_guard.py")
_spec = _util.spec_from_file_location("_llm_router_home_guard", _path)
_module = _util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
_module.install_from_env()
'''
