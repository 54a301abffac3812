"""What the hot path is built from behaves as what it replaces: records as NamedTuples, jsonio as json,
which() as shutil.which, the calendar without datetime, start-anchored regexes as searches; and a hook
process imports none of the heavy or slow modules it does without."""

from __future__ import annotations

import json
import math
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from llm_router import jsonio
from llm_router.policy.meter import Meter, starts_with
from llm_router.providers.catalogue import which
from llm_router.records import Record
from llm_router.store.state import period_start

FIXTURES = Path(__file__).parent / "fixtures" / "hosts"
PROMPTS = [json.loads(line)["prompt"] for line in (Path(__file__).parent / "data/prompts40.jsonl").open()]


class Point(Record):
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()

    @property
    def norm(self) -> float:
        return math.hypot(self.x, self.y)


# --- records ---------------------------------------------------------------------------------------------


def test_a_record_has_namedtuples_interface() -> None:
    p = Point(3, y=4)
    assert (p, p.x, p.y, p.norm, tuple(p)) == ((3, 4, ()), 3, 4, 5.0, (3, 4, ()))
    assert (Point._fields, Point._field_defaults) == (("x", "y", "tags"), {"y": 0, "tags": ()})
    assert (p._replace(y=0), p._asdict(), Point._make([1, 2, ("a",)])) == (
        Point(3),
        {"x": 3, "y": 4, "tags": ()},
        Point(1, 2, ("a",)),
    )
    assert repr(p) == "Point(x=3, y=4, tags=())"


def test_a_record_survives_pickling_and_has_no_instance_dict() -> None:
    p = Point(1, 2, ("t",))
    assert pickle.loads(pickle.dumps(p)) == p
    assert not hasattr(p, "__dict__")


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [((), {}, "missing required argument: 'x'"), ((1,), {"z": 2}, "unexpected keyword argument 'z'"),
     ((1,), {"x": 2}, "multiple values for argument 'x'"), ((1, 2, 3, 4), {}, "takes 3 arguments but 4")],
)  # fmt: skip
def test_a_record_refuses_arguments_as_a_call_would(
    args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)


# --- jsonio ----------------------------------------------------------------------------------------------

DOCUMENTS = [
    '{"a": 1, "b": [1.5, -2e10, "x\\u00e9\\ud800", null, true, false]}',
    " [1, 2] ",
    '"s"',
    "NaN",
    "{}",
]
BAD = ["", " ", "[1,]", '{"a": 1} x', "nul", '{"a"', "[1] [2]"]
VALUES = [{"a": [1, 2.5, float("inf"), None, True, "é\ud800"], "z": {"k": "v"}}, "plain é", 3, [], {}]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_jsonio_reads_what_json_reads(text: str) -> None:
    assert json.dumps(jsonio.loads(text)) == json.dumps(json.loads(text))


@pytest.mark.parametrize("text", BAD)
def test_jsonio_refuses_what_json_refuses_with_the_same_message(text: str) -> None:
    with pytest.raises(ValueError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        jsonio.loads(text)
    assert str(got.value) == str(expected.value)


def test_jsonio_refuses_a_document_nested_deeper_than_the_parser_goes_as_a_value_error() -> None:
    with pytest.raises(json.JSONDecodeError, match="nested"):
        jsonio.loads("[" * 100_000 + "]" * 100_000)


def test_jsonio_reads_utf8_bytes_and_refuses_others_as_a_value_error() -> None:
    assert jsonio.loads('{"a": "é"}'.encode()) == {"a": "é"}
    with pytest.raises(ValueError):
        jsonio.loads(b'{"a": "\xff"}')  # not UTF-8


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize(
    "options",
    [{}, {"ensure_ascii": False}, {"separators": (",", ":")}, {"sort_keys": True}, {"default": str}],
)
def test_jsonio_writes_what_json_writes(value: Any, options: dict[str, Any]) -> None:
    assert jsonio.dumps(value, **options) == json.dumps(value, **options)


def test_jsonio_refuses_what_json_cannot_write() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        jsonio.dumps({"x": object()})


# --- which, the calendar, prefixes ----------------------------------------------------------------------


def test_which_finds_what_shutil_which_finds(tmp_path: Path) -> None:
    tool = tmp_path / "bin" / "tool"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    (tmp_path / "bin" / "plain").write_text("")
    path = os.pathsep.join([str(tmp_path / "missing"), str(tmp_path / "bin"), "/usr/bin"])
    for name in ("tool", "plain", "sh", "no-such-tool", str(tool)):
        assert which(name, path=path) == shutil.which(name, path=path), name


def test_periods_start_where_datetime_says_they_do() -> None:
    now = time.time()
    for days in range(0, 400, 7):
        for hours in (0, 5, 13, 23):
            moment = now - days * 86400 - hours * 3600
            local = datetime.fromtimestamp(moment).replace(hour=0, minute=0, second=0, microsecond=0)
            want = {
                "day": local,
                "week": local - timedelta(days=local.weekday()),
                "month": local.replace(day=1),
            }
            for period, start in want.items():
                assert period_start(period, moment) == start.timestamp(), (period, moment)


@pytest.mark.parametrize(
    "text",
    [
        "claude: hi",
        "  CLAUDE: hi",
        "\n\t Claude:x",
        "claude",
        "",
        "   ",
        "xclaude:",
        "ΣΣ claude:",
        "İclaude:",
    ],
)
@pytest.mark.parametrize("prefix", ["claude:", "CLAUDE:", "σς", "i̇", ""])
def test_starts_with_agrees_with_lowering_the_whole_text(text: str, prefix: str) -> None:
    for padded in (text, text + " tail" * 10, " " * 600 + text):
        assert starts_with(padded, prefix) == padded.lstrip().lower().startswith(prefix.lower())


def test_startswith_reads_only_the_opening_of_a_long_prompt() -> None:
    from llm_router.policy.expr import compile_expr
    from llm_router.policy.namespace import CONTEXT_NAMES

    allowance = Meter()
    units = allowance.units
    rule = compile_expr("startswith(prompt, claude_prefix)", CONTEXT_NAMES)
    assert rule.evaluate({"prompt": "x" * 5_000_000, "claude_prefix": "claude:"}, allowance) is False
    assert units - allowance.units < 100


# --- the classifier's start-anchored patterns ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Anchored", "Prefiltered"])
def test_a_pattern_searched_the_fast_way_finds_what_a_search_finds(kind: str) -> None:
    from llm_router import router

    clf = router.load(router.Settings()).classifier
    owners = [getattr(s.finditer, "__self__", None) for s in clf.signals]
    patterns = [p for o in owners for p in getattr(o, "patterns", (o,))]  # an AnyOf's members too
    chosen = [p for p in patterns if type(p).__name__ == kind]
    assert len(chosen) >= 5
    texts = PROMPTS + [" " + p for p in PROMPTS] + [p.upper() for p in PROMPTS]
    for pattern in chosen:
        for text in texts:
            plain = [m.span() for m in pattern.compiled.finditer(text)]
            assert [m.span() for m in pattern.finditer(text)] == plain
            assert (pattern.search(text) is None) == (pattern.compiled.search(text) is None)


# --- what a hook process imports -------------------------------------------------------------------------

# Modules the hooks do without (issue 16): none may be imported by the hook, once its caches are warm.
SLOW = ["typing", "pathlib", "shutil", "hashlib", "ast", "difflib", "json", "re", "enum", "contextlib"]
HEAVY = ["litellm", "mcp", "jsonschema", "pydantic", "yaml", "click", "sqlite_utils", "httpx"]
# SQLite's C module imports functools and collections: a hook opens usage.db only when it has to (a USD
# budget, a breaker that may be open, a breaker mark it cannot trust).
SQLITE = ["_sqlite3", "sqlite3"]
# The hook runs in a process whose start-up (site, the test home guard) may have imported some of these
# already: they are taken out of sys.modules first, so that whatever the hook imports shows.
DRIVER = textwrap.dedent(
    """
    import io, json, os, sys
    watched = sys.argv[2:]
    for name in list(sys.modules):
        if name.split(".")[0] in watched or name.startswith("llm_router"):
            del sys.modules[name]
    sys.stdin = io.TextIOWrapper(io.BytesIO(open(sys.argv[1], "rb").read()))
    sys.argv = ["hook", "claude-code"]
    from llm_router.hosts import hook
    hook.main()
    sys.stdout.flush()
    loaded = sorted({name.split(".")[0] for name in sys.modules} & set(watched))
    sys.stderr.write("LOADED " + json.dumps(loaded) + "\\n")
    """
)


def hook_imports(fixture: str, env: dict[str, str]) -> tuple[list[str], str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            DRIVER,
            str(FIXTURES / "claude-code" / f"{fixture}.json"),
            *SLOW,
            *HEAVY,
            *SQLITE,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    line = next(line for line in proc.stderr.splitlines() if line.startswith("LOADED "))
    return json.loads(line[len("LOADED ") :]), proc.stdout


@pytest.mark.parametrize(
    ("fixture", "env"),
    [("UserPromptSubmit", {}), ("UserPromptSubmit", {"OPENAI_API_KEY": "sk-test"}), ("PreToolUse-Edit", {}),
     ("PreToolUse-Task", {}), ("SessionEnd", {})],
)  # fmt: skip
def test_a_warm_hook_imports_nothing_slow_or_heavy(fixture: str, env: dict[str, str]) -> None:
    hook_imports("UserPromptSubmit", env)  # the policy cache, usage.db and the session's state
    loaded, out = hook_imports(fixture, env)
    assert loaded == []
    if fixture == "UserPromptSubmit" and env:
        assert "additionalContext" in out  # it did route


@pytest.fixture
def used_store(home: Path) -> Path:
    """A usage.db as queries leave it (and as a version before the breaker mark left it: no mark)."""
    from llm_router.store import open_db

    path = home / ".llm-router" / "usage.db"
    open_db(path).close()
    return path


def test_the_routed_prompt_hook_opens_no_sqlite_once_usage_db_has_its_breaker_mark(used_store: Path) -> None:
    env = {"OPENAI_API_KEY": "sk-test"}
    first, _ = hook_imports("UserPromptSubmit", env)
    assert "_sqlite3" in first  # no mark yet: usage.db is read, and marked
    assert (used_store.parent / "breakers.mark").exists()
    loaded, out = hook_imports("UserPromptSubmit", env)
    assert loaded == []
    assert "additionalContext" in out


def test_a_policy_with_a_usd_budget_still_reads_usage_db_in_the_prompt_hook(used_store: Path) -> None:
    policy = "version: 1\nbudgets:\n  - {id: month, provider: openai, period: month, limit_usd: 20}\n"
    (used_store.parent / "routing.yaml").write_text(policy)
    env = {"OPENAI_API_KEY": "sk-test"}
    hook_imports("UserPromptSubmit", env)
    loaded, _ = hook_imports("UserPromptSubmit", env)
    assert "_sqlite3" in loaded
