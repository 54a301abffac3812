"""The JSONC reader and in-place editor behind every JSON host file: comments and formatting survive an edit,
and taking the edit back gives the same bytes."""

from __future__ import annotations

import copy
import difflib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_router.hosts import jsonc

GEMINI = """{
  // my Gemini settings
  "theme": "GitHub", // the theme
  "mcpServers": {
    "files": {"command": "files-mcp"}, /* mine */
  },
}
"""
ONE_LINE = '{"numStartups": 42, "mcpServers": {"github": {"type": "stdio", "command": "gh-mcp"}}}'
FOUR_SPACES = """{
    "permissions": {"allow": ["Bash(npm test)"], "deny": []},
    "hooks": {
        "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "~/bin/log-prompt"}]}]
    },
    "model": "opus" // last
}
"""
TABS_CRLF = '{\r\n\t"a": 1,\r\n\t"b": [\r\n\t\t1,\r\n\t\t2\r\n\t]\r\n}\r\n'
DOCUMENTS = {"gemini": GEMINI, "one line": ONE_LINE, "four spaces": FOUR_SPACES, "tabs and CRLF": TABS_CRLF}
OURS = {"type": "stdio", "command": "/opt/bin/llm-router", "args": ["mcp"]}


def with_ours(data: dict[str, Any]) -> dict[str, Any]:
    """The document as install leaves it: a server, a hook group appended, a new top-level key."""
    new = copy.deepcopy(data)
    new.setdefault("mcpServers", {})["llm-router"] = OURS
    hooks = new.setdefault("hooks", {})
    hooks.setdefault("UserPromptSubmit", []).append(
        {"hooks": [{"type": "command", "command": "llm-router-hook"}]}
    )
    new["env"] = {"ANTHROPIC_BASE_URL": "http://127.0.0.1:4141"}
    return new


def test_comments_and_trailing_commas_are_read() -> None:
    assert jsonc.loads(GEMINI) == {"theme": "GitHub", "mcpServers": {"files": {"command": "files-mcp"}}}


def test_strict_mode_names_the_comment_and_where_it_is() -> None:
    with pytest.raises(jsonc.JsoncError) as caught:
        jsonc.loads(GEMINI, comments=False)
    assert (caught.value.line, caught.value.col, caught.value.message) == (
        2,
        3,
        "comments are not allowed in this file",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1', "expected ',' or '}'"),
        ('{"a": 1} x', "extra data after the value"),
        ("{/* open", "unterminated comment"),
        ("{a: 1}", "expected a string key or '}'"),
    ],
)
def test_broken_text_is_an_error_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(jsonc.JsoncError, match=message):
        jsonc.loads(text)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_an_edit_holds_the_new_data_and_keeps_every_comment(name: str) -> None:
    text = DOCUMENTS[name]
    edited = jsonc.rewrite(text, with_ours(jsonc.loads(text)))
    assert jsonc.loads(edited) == with_ours(jsonc.loads(text))
    for comment in ("// my Gemini settings", "// the theme", "/* mine */", "// last"):
        assert (comment in edited) == (comment in text)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_taking_an_edit_back_gives_the_same_bytes(name: str) -> None:
    text = DOCUMENTS[name]
    edited = jsonc.rewrite(text, with_ours(jsonc.loads(text)))
    assert jsonc.rewrite(edited, jsonc.loads(text)) == text


def test_an_edit_only_adds_lines_to_a_multi_line_file() -> None:
    edited = jsonc.rewrite(GEMINI, with_ours(jsonc.loads(GEMINI)))
    diff = list(difflib.unified_diff(GEMINI.splitlines(), edited.splitlines(), lineterm="", n=0))[2:]
    assert [line for line in diff if line.startswith("-")] == []


def test_new_lines_follow_the_files_indentation_and_line_endings() -> None:
    edited = jsonc.rewrite(TABS_CRLF, {**jsonc.loads(TABS_CRLF), "c": {"d": 1}})
    assert edited.endswith('\t"c": {\r\n\t\t"d": 1\r\n\t}\r\n}\r\n')


def test_a_one_line_file_stays_on_one_line() -> None:
    edited = jsonc.rewrite(ONE_LINE, with_ours(jsonc.loads(ONE_LINE)))
    assert "\n" not in edited


def test_an_emptied_object_closes_up_again() -> None:
    text = '{\n  "a": {}\n}\n'
    edited = jsonc.rewrite(text, {"a": {"b": 1}})
    assert jsonc.rewrite(edited, {"a": {}}) == text


# Any JSON object, printed as json.dumps prints it, takes an added member and gives it back byte for byte.
_scalars = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=5)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(
    data=st.dictionaries(st.text(max_size=4), _values, max_size=4),
    indent=st.sampled_from([None, 2, 4, "\t"]),
    key=st.text(min_size=1, max_size=4),
    value=_values,
)
def test_adding_then_removing_a_member_round_trips(data: dict, indent: Any, key: str, value: Any) -> None:
    text = json.dumps(data, indent=indent) + "\n"
    if key in data:  # replacing a member's value: the data comes back, not always the same escapes
        new = {**data, key: [data[key], value]}
        edited = jsonc.rewrite(text, new)
        assert jsonc.loads(edited) == new
        assert jsonc.loads(jsonc.rewrite(edited, data)) == data
        return
    new = {**data, key: value}
    edited = jsonc.rewrite(text, new)
    assert jsonc.loads(edited) == new
    assert jsonc.rewrite(edited, data) == text
