"""The prompt hook's modules as one file (`hosts/preload.py`): written after a prompt hook imported them one
by one, run from it by the next, and never used when it is stale, foreign or writable by others."""

from __future__ import annotations

import marshal
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_hook import PROVIDER, imported_by_prompt_hook, prompt

from llm_router.hosts import preload
from llm_router.hosts.hook import BUNDLE_FORMAT

# What the hook process imports itself before it reads the bundle: hook.py's own imports and what reading
# the bundle takes.
BEFORE_BUNDLE = {"llm_router", "llm_router.hosts", "llm_router.hosts.hook", "llm_router.jsonio"}
BEFORE_BUNDLE |= {"llm_router.paths", "llm_router.fileio"}


def bundle_file(home: Path) -> Path:
    return Path(preload.path(str(home / ".llm-router")))


def read_bundle(home: Path) -> tuple[Any, ...]:
    return tuple(marshal.loads(bundle_file(home).read_bytes()))


def write_bundle(home: Path, content: tuple[Any, ...], mode: int = 0o600) -> None:
    path = bundle_file(home)
    path.write_bytes(marshal.dumps(content))
    path.chmod(mode)


def imported_prompt_hook() -> tuple[set[str], str]:
    """(the llm_router modules a routed prompt hook imported through the import system, its stdout)."""
    imported, out = imported_by_prompt_hook(**PROVIDER)
    return {name for name in imported if name.startswith("llm_router")}, out


def without_ids(output: str) -> str:
    return re.sub(r'decision_id=\\"[0-9a-f]+\\"', "decision_id=ID", output)


def test_a_prompt_hook_keeps_its_modules_as_one_private_file(home: Path) -> None:
    assert "additionalContext" in prompt(**PROVIDER).out
    path = bundle_file(home)
    assert path.stat().st_mode & 0o777 == 0o600
    fmt, _magic, _root, entries = read_bundle(home)
    assert fmt == BUNDLE_FORMAT
    assert [entry[0] for entry in entries] == list(preload.MODULES)


def test_the_next_prompt_hook_runs_them_without_the_import_system_and_answers_the_same() -> None:
    first = prompt(**PROVIDER).out
    imported, second = imported_prompt_hook()
    assert imported <= BEFORE_BUNDLE
    assert without_ids(second) == without_ids(first) and "additionalContext" in second


def test_every_module_of_the_bundle_is_one_the_prompt_hook_imports_without_it(home: Path) -> None:
    from llm_router.store import open_db

    open_db(home / ".llm-router" / "usage.db").close()  # as queries leave it: the hook reads its breaker mark
    prompt(**PROVIDER)  # the policy's cache, as in the steady state
    bundle_file(home).unlink()
    imported, _ = imported_prompt_hook()
    assert set(preload.MODULES) <= imported


def _source_changed(content: tuple[Any, ...]) -> tuple[Any, ...]:
    fmt, magic, root, entries = content
    name, relative, package, mtime_ns, size, cached, code = entries[-1]
    return fmt, magic, root, (*entries[:-1], (name, relative, package, mtime_ns - 1, size, cached, code))


def _other_installation(content: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*content[:2], "/elsewhere", content[3])


def _other_interpreter(content: tuple[Any, ...]) -> tuple[Any, ...]:
    return (content[0], b"\x00\x00\r\n", *content[2:])


def _other_format(content: tuple[Any, ...]) -> tuple[Any, ...]:
    return (content[0] + 1, *content[1:])


@pytest.mark.parametrize("change", [_source_changed, _other_installation, _other_interpreter, _other_format])
def test_a_bundle_that_does_not_match_is_not_used_and_is_written_again(
    home: Path, change: Callable[[tuple[Any, ...]], tuple[Any, ...]]
) -> None:
    first = prompt(**PROVIDER).out
    good = read_bundle(home)
    write_bundle(home, change(good))
    imported, output = imported_prompt_hook()
    assert "llm_router.router" in imported and "llm_router.classify._classifier" in imported
    assert without_ids(output) == without_ids(first)
    assert read_bundle(home) == good


def test_a_corrupt_bundle_is_not_used_and_is_written_again(home: Path) -> None:
    prompt(**PROVIDER)
    good = read_bundle(home)
    bundle_file(home).write_bytes(b"\x00not marshal data")
    imported, output = imported_prompt_hook()
    assert "llm_router.router" in imported and "additionalContext" in output
    assert read_bundle(home) == good


def test_the_bundle_runs_only_from_a_file_no_one_else_can_write(home: Path, tmp_path: Path) -> None:
    prompt(**PROVIDER)
    marker = tmp_path / "ran"
    fmt, magic, root, entries = read_bundle(home)
    planted = marshal.dumps(compile(f"open({str(marker)!r}, 'w').close()", "planted", "exec"))
    entries = tuple(e if e[0] != "llm_router.privacy" else (*e[:6], planted) for e in entries)
    write_bundle(home, (fmt, magic, root, entries), mode=0o600)
    prompt(**PROVIDER)
    assert marker.exists()  # a private bundle's code does run
    marker.unlink()
    write_bundle(home, (fmt, magic, root, entries), mode=0o666)
    assert "additionalContext" in prompt(**PROVIDER).out
    assert not marker.exists()
    assert bundle_file(home).stat().st_mode & 0o777 == 0o600  # and it was written again, privately


def test_a_module_that_fails_to_run_from_the_bundle_is_imported_as_usual(home: Path) -> None:
    prompt(**PROVIDER)
    fmt, magic, root, entries = read_bundle(home)
    broken = marshal.dumps(compile("raise RuntimeError('broken')", "broken", "exec"))
    entries = tuple(e if e[0] != "llm_router.router" else (*e[:6], broken) for e in entries)
    write_bundle(home, (fmt, magic, root, entries))
    imported, output = imported_prompt_hook()
    assert "llm_router.router" in imported and "additionalContext" in output
