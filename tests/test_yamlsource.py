"""yamlsource.parse: plain YAML 1.2 data, the position of every key and value, and every trap reported."""

from __future__ import annotations

from llm_router.policy.yamlsource import Pos, is_yaml11_boolean, parse, pointer_join


def codes(text: str) -> list[tuple[int, int, str]]:
    return [(p.line, p.col, p.code) for p in parse(text, "f.yaml")[2]]


def test_empty_file_is_an_empty_mapping():
    assert parse("", "f.yaml") == ({}, {"": Pos(1, 1, 1, 1)}, [])


def test_a_file_of_comments_is_an_empty_mapping():
    assert parse("# nothing here\n", "f.yaml")[0] == {}


def test_off_no_yes_stay_strings():
    data, _, problems = parse("enforce: off\na: no\nb: Yes\nc: y\nd: ON\n", "f.yaml")
    assert data == {"enforce": "off", "a": "no", "b": "Yes", "c": "y", "d": "ON"}
    assert problems == []


def test_only_true_and_false_are_booleans():
    assert parse("a: true\nb: False\nc: TRUE\n", "f.yaml")[0] == {"a": True, "b": False, "c": True}


def test_numbers_follow_yaml_1_2():
    data = parse("a: 010\nb: 0o17\nc: 0x1F\nd: 1:30\ne: 1_000\nf: 2.5\ng: .inf\nh: 1e3\n", "f.yaml")[0]
    assert data == {
        "a": 10,
        "b": 15,
        "c": 31,
        "d": "1:30",
        "e": "1_000",
        "f": 2.5,
        "g": float("inf"),
        "h": 1000.0,
    }


def test_nulls():
    assert parse("a:\nb: ~\nc: null\n", "f.yaml")[0] == {"a": None, "b": None, "c": None}


def test_dates_stay_strings():
    assert parse("a: 2024-01-01\n", "f.yaml")[0] == {"a": "2024-01-01"}


def test_positions_of_key_and_value_are_one_based():
    _, positions, _ = parse("rules:\n  - id: a\n    when: 'x > 1'\n", "f.yaml")
    when = positions["/rules/0/when"]
    assert (when.key_line, when.key_col) == (3, 5)
    assert (when.line, when.col) == (3, 11)
    assert (when.text_line, when.text_col) == (3, 12)  # after the quote
    assert positions["/rules/0"][:2] == (2, 5)


def test_block_scalar_text_starts_on_its_body():
    _, positions, _ = parse("when: |\n    a and\n    b\n", "f.yaml")
    assert positions["/when"].style == "|"
    assert (positions["/when"].text_line, positions["/when"].text_col) == (2, 5)


def test_pointer_escapes_slash_and_tilde():
    _, positions, _ = parse("models:\n  ollama/qwen3:8b: {}\n  a~b: {}\n", "f.yaml")
    assert "/models/ollama~1qwen3:8b" in positions
    assert "/models/a~0b" in positions
    assert pointer_join("", "a/b") == "/a~1b"


def test_duplicate_key_points_at_the_second_key():
    data, _, problems = parse("mode: normal\nprofile: budget\nmode: zero_claude\n", "f.yaml")
    assert [(p.line, p.col, p.code, p.pointer) for p in problems] == [(3, 1, "duplicate-key", "/mode")]
    assert "line 1" in problems[0].message


def test_every_duplicate_key_is_reported():
    assert codes("a: 1\na: 2\nb:\n  c: 1\n  c: 2\n") == [(2, 1, "duplicate-key"), (5, 3, "duplicate-key")]


def test_tab_indentation_is_reported_and_the_rest_still_checked():
    assert codes("a:\n\tb: 1\nc: 1\nc: 2\n") == [(2, 1, "tab"), (4, 1, "duplicate-key")]


def test_tab_after_a_colon_is_fine():
    assert parse("a:\tb\n", "f.yaml")[0] == {"a": "b"}


def test_syntax_error_is_located():
    assert codes("a: b: c\n") == [(1, 5, "yaml-syntax")]


def test_unclosed_bracket_is_a_syntax_error():
    assert [c for _, _, c in codes("a: [1, 2\nb: 3\n")] == ["yaml-syntax"]


def test_control_character_is_a_located_syntax_error():
    assert codes("a: 1\nb: x\x00\n") == [(2, 5, "yaml-syntax")]


def test_two_documents_are_a_syntax_error():
    assert [c for _, _, c in codes("a: 1\n---\nb: 2\n")] == ["yaml-syntax"]


def test_non_string_keys_are_reported():
    assert codes("1: a\n[x]: b\n") == [(1, 1, "key-type"), (2, 1, "key-type")]


def test_anchors_and_aliases_resolve():
    data = parse("base: &b [a, b]\nchains: {simple: *b}\n", "f.yaml")[0]
    assert data["chains"]["simple"] == ["a", "b"]


def test_merge_keys_merge_with_explicit_keys_winning():
    data = parse("b: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n", "f.yaml")[0]
    assert data["d"] == {"x": 1, "y": 3}


def test_recursive_alias_is_a_problem_not_a_crash():
    assert [c for _, _, c in codes("a: &x [*x]\n")] == ["recursive-alias"]


def test_billion_laughs_is_cut_short():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    data, _, problems = parse("\n".join(lines) + "\n", "f.yaml")
    assert [p.code for p in problems] == ["too-large"]


def test_unknown_tag_is_reported():
    assert codes("a: !!binary aGk=\n") == [(1, 4, "yaml-tag")]


def test_explicit_str_tag_keeps_text():
    assert parse("a: !!str 010\n", "f.yaml")[0] == {"a": "010"}


def test_huge_integer_is_a_problem():
    assert [c for _, _, c in codes("a: " + "9" * 5000 + "\n")] == ["number"]


def test_yaml11_boolean_detection_needs_a_plain_scalar():
    _, positions, _ = parse("a: yes\nb: 'yes'\n", "f.yaml")
    assert is_yaml11_boolean("yes", positions["/a"])
    assert not is_yaml11_boolean("yes", positions["/b"])


def merge_chain(n: int) -> str:
    """`n` anchors, each merging the one before: the shape that took seconds and then a RecursionError."""
    lines = ["x0: &a0 {k0: 0}"] + [f"x{i}: &a{i}\n  <<: *a{i - 1}\n  k{i}: {i}" for i in range(1, n)]
    return "\n".join(lines) + "\n"


def test_a_merge_chain_is_stopped_at_the_alias_that_nests_too_deep():
    _, _, problems = parse(merge_chain(990), "f.yaml")
    assert [(p.code, p.line, p.col) for p in problems] == [("too-deep", 189, 7)]


def test_a_short_merge_chain_still_merges_every_level():
    data, _, problems = parse(merge_chain(20), "f.yaml")
    assert problems == [] and data["x19"] == {f"k{i}": i for i in range(20)}


def test_nested_merges_are_a_located_problem_not_a_recursion_error():
    text = "x: " + "{<<: " * 990 + "{a: 1}" + "}" * 990 + "\n"
    assert [c for _, _, c in codes(text)] == ["too-deep"]


def test_a_fan_of_merges_is_stopped_once_it_expands_past_the_limit():
    lines = ["a0: &a0 {" + ", ".join(f"k{i}: {i}" for i in range(50)) + "}"]
    lines += [f"x{i}: {{<<: [*a0], y: {i}}}" for i in range(1, 2000)]
    problems = parse("\n".join(lines) + "\n", "f.yaml")[2]
    assert [p.code for p in problems] == ["too-large"] and problems[0].line < 2000


def test_a_long_flat_document_is_stopped_at_the_value_limit():
    problems = parse("x:\n" + "- a\n" * 30_000, "f.yaml")[2]
    assert [p.code for p in problems] == ["too-large"] and problems[0].line < 30_000


def test_text_over_the_size_limit_is_refused_before_parsing():
    problems = parse("# " + "x" * (1 << 20) + "\n", "f.yaml")[2]
    assert [(p.line, p.col, p.code) for p in problems] == [(1, 1, "too-large")]


def test_an_undefined_alias_and_a_duplicate_anchor_are_syntax_errors():
    assert [c for _, _, c in codes("a: *nope\n")] == ["yaml-syntax"]
    assert [c for _, _, c in codes("a: &x 1\nb: &x 2\n")] == ["yaml-syntax"]
