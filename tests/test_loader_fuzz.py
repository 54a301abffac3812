"""Random and malformed documents fed to the loader: it either loads or raises PolicyError with located
problems, never any other exception."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llm_router.errors import PolicyError
from llm_router.policy.load import LoadedPolicy, load_policy
from llm_router.policy.problems import Problem
from llm_router.policy.yamlsource import parse

VALID = """\
version: 1
profile: balanced
policy: balanced
enforce: off
mode: normal
claude_prefix: "claude:"
policies:
  balanced: {threshold: 4, cutoffs: {moderate: 0.35, complex: 0.6, deep_reasoning: 0.82}}
tiers: [simple, moderate, complex]
chains:
  simple: {budget: [ollama/qwen3:8b], premium: [openai/gpt-4o-mini]}
  research: [perplexity/sonar-pro]
models:
  ollama/qwen3:8b: {input_cost_per_token: 0, output_cost_per_token: 0}
budgets:
  - {id: openai-month, provider: openai, period: month, limit_usd: 20}
fallback:
  timeout_s: 60
  circuit_breaker: {failures: 3, cooldown_s: 60}
rules:
  - id: explicit-claude
    when: "prompt.startswith(claude_prefix)"
    then: {action: passthrough, reason: asked}
  - id: budget
    before: explicit-claude
    when: |
      budget['openai-month'].used_pct >= 80
    then: {downgrade: 1}
    continue: true
  - &d {id: default, when: true, then: {route: simple}}
"""

KEYS = [
    "version",
    "extends",
    "profile",
    "policy",
    "enforce",
    "mode",
    "rules",
    "chains",
    "models",
    "budgets",
    "fallback",
    "classifier",
    "id",
    "when",
    "then",
    "before",
    "after",
    "disabled",
    "continue",
    "<<",
    "x",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from(KEYS),
    st.sampled_from(["yes", "no", "off", "on", "y", "builtin:nope", "../..", "/", ".", "default"]),
    st.text(max_size=8),
)
DOCS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)
    ),
    max_leaves=25,
)
JUNK = [
    "\t",
    ":",
    " ",
    "\n",
    "-",
    "'",
    '"',
    "[",
    "]",
    "{",
    "}",
    "&a",
    "*a",
    "!!",
    "<<: ",
    "#",
    "|",
    ">",
    ",",
    "\x00",
    "\ufeff",
    "?",
    "%",
    "@",
    "`",
    "yes",
    "~",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = VALID
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "dupline", "swap"]))
        if op == "insert":
            text = text[:at] + draw(st.sampled_from(JUNK)) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)) :]
        else:
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if op == "dupline":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with built-ins (one that extends itself), a home and a work folder, shared by all examples."""
    root = tmp_path_factory.mktemp("fuzz")
    builtins = root / "builtins"
    builtins.mkdir()
    (builtins / "default.yaml").write_text(
        "version: 1\nprofile: balanced\nrules:\n  - {id: default, when: 'true', then: {route: auto}}\n"
    )
    (builtins / "nope.yaml").write_text("extends: builtin:nope\n")
    (root / "work").mkdir()
    return root


def assert_located(problems: list[Problem]) -> None:
    assert problems
    for p in problems:
        assert isinstance(p, Problem)
        assert p.file and p.code and isinstance(p.message, str)
        assert p.line >= 0 and p.col >= 0
        str(p)


def load_text(place: Path, text: str | bytes) -> LoadedPolicy | None:
    config = place / "work" / "policy.yaml"
    config.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    try:
        loaded = load_policy(
            env={}, cwd=config.parent, config=config, home=place / "home", builtins=place / "builtins"
        )
    except PolicyError as exc:
        assert_located(exc.problems)
        return None
    assert isinstance(loaded.data, dict) and len(loaded.revision) == 12
    return loaded


FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(st.lists(st.sampled_from(JUNK + list("abcdefyn0123456789._/")), max_size=80).map("".join))
def test_random_text_parses_or_reports(text: str):
    data, positions, problems = parse(text, "f.yaml")
    assert "" in positions
    for p in problems:
        assert p.line >= 1 and p.col >= 1 and p.code


@FUZZ
@given(st.text(max_size=300))
def test_random_unicode_loads_or_reports(place: Path, text: str):
    load_text(place, text)


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_load_or_report(place: Path, raw: bytes):
    load_text(place, raw)


@FUZZ
@given(DOCS, st.booleans())
def test_random_structures_load_or_report(place: Path, doc: object, flow: bool):
    load_text(place, yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True))


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_mutations_of_a_valid_policy_load_or_report(place: Path, text: str):
    load_text(place, text)


def test_the_unmutated_policy_loads(place: Path):
    loaded = load_text(place, VALID)
    assert loaded is not None and loaded.data["enforce"] == "off"


# --- merge chains and special files (issue 13): located problems, never a RecursionError or a hang ---------


def chain_of_merges(n: int, inline: bool) -> str:
    """`n` levels of `<<` merges: anchors each merging the previous one, or merges nested inline."""
    if inline:
        return "version: 1\nx: " + "{<<: " * n + "{a: 1}" + "}" * n + "\n"
    lines = ["version: 1", "models:", "  m0: &a0 {input_cost_per_token: 0}"]
    lines += [f"  m{i}: &a{i}\n    <<: *a{i - 1}\n    output_cost_per_token: 0" for i in range(1, n)]
    return "\n".join(lines) + "\n"


def fan_of_merges(width: int, copies: int) -> str:
    """One anchor of `width` keys merged into `copies` mappings: the document grows as width x copies."""
    base = "{" + ", ".join(f"k{i}: {i}" for i in range(width)) + "}"
    return (
        "version: 1\nx:\n  base: &b " + base + "\n" + "".join(f"  c{i}: {{<<: *b}}\n" for i in range(copies))
    )


@FUZZ
@given(st.integers(1, 1200), st.booleans())
def test_merge_chains_load_or_report(place: Path, n: int, inline: bool):
    load_text(place, chain_of_merges(n, inline))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(1, 400), st.integers(1, 2000))
def test_fans_of_merges_load_or_report(place: Path, width: int, copies: int):
    load_text(place, fan_of_merges(width, copies))


@pytest.mark.parametrize("n", [66, 990])
def test_a_merge_chain_past_the_depth_limit_is_too_deep(place: Path, n: int):
    config = place / "work" / "chain.yaml"
    config.write_text(chain_of_merges(n, inline=False))
    with pytest.raises(PolicyError) as exc:
        load_policy(
            env={}, cwd=config.parent, config=config, home=place / "home", builtins=place / "builtins"
        )
    assert [p.code for p in exc.value.problems] == ["too-deep"]


SPECIAL = {
    "dev-zero": lambda path: path.symlink_to("/dev/zero"),
    "dev-urandom": lambda path: path.symlink_to("/dev/urandom"),
    "fifo": os.mkfifo,
    "dangling-link": lambda path: path.symlink_to(path.parent / "nowhere"),
    "oversized": lambda path: path.write_bytes(b"#" * (2 << 20)),
}


@pytest.mark.parametrize("kind", sorted(SPECIAL))
@pytest.mark.parametrize("how", ["config", "extends"])
def test_special_files_as_policy_layers_are_located_problems(
    place: Path, tmp_path: Path, kind: str, how: str
):
    target = tmp_path / f"{kind}.yaml"
    SPECIAL[kind](target)
    text = "version: 1\n" if how == "config" else f"version: 1\nextends: [{target}]\n"
    config = target if how == "config" else place / "work" / "extending.yaml"
    if how == "extends":
        config.write_text(text)
    with pytest.raises(PolicyError) as exc:
        load_policy(
            env={}, cwd=config.parent, config=config, home=place / "home", builtins=place / "builtins"
        )
    assert_located(exc.value.problems)
    assert {p.code for p in exc.value.problems} <= {"unreadable-file", "missing-file", "too-large"}
