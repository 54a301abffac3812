"""The compiled-policy cache: a process that decides reads the compiled policy (code objects, the classifier's
regex programs) instead of parsing YAML and compiling; a stale, foreign, corrupt, oversized or shared entry is
rebuilt; rules are built only when used; the cached policy decides exactly as the compiled one."""

from __future__ import annotations

import json
import marshal
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from llm_router import fileio, router
from llm_router.decision import Request
from llm_router.policy import compiled_cache
from llm_router.policy.compiled import CompiledPolicy, RuleTable

PROMPTS = [json.loads(line)["prompt"] for line in (Path(__file__).parent / "data/prompts40.jsonl").open()]
CHILD = textwrap.dedent(
    """
    import json, sys
    from llm_router import router
    from llm_router.decision import Request
    decision = router.decide(Request("what is 2+2?"), settings=router.Settings())
    loaded = sorted(m for m in sys.modules if m in set(sys.argv[1:]))
    print(json.dumps({"rule": decision.rule, "tier": decision.tier, "loaded": loaded}))
    """
)
COMPILERS = ["yaml", "jsonschema", "ast", "difflib", "llm_router.policy.compile", "llm_router.policy.reader"]


def entries(home: Path) -> list[Path]:
    return sorted((home / ".llm-router" / "cache").glob("compiled-*.bin"))


def decide_in_a_new_process(*modules: str) -> dict[str, object]:
    """A decision made by a fresh process, and which of `modules` it imported."""
    proc = subprocess.run([sys.executable, "-c", CHILD, *modules], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def fresh_load() -> CompiledPolicy:
    """router.load as a new process runs it (nothing kept in this one's memory)."""
    router._compiled.clear()
    return router.load(router.Settings())


@pytest.fixture
def user_policy(home: Path) -> Path:
    path = home / ".llm-router" / "routing.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_a_second_process_decides_from_the_cache_without_compiling(home: Path) -> None:
    first = decide_in_a_new_process(*COMPILERS)
    second = decide_in_a_new_process(*COMPILERS)
    assert "llm_router.policy.compile" in first["loaded"]  # type: ignore[operator]
    assert (second["rule"], second["tier"], second["loaded"]) == (first["rule"], first["tier"], [])
    assert len(entries(home)) == 1


def test_the_cached_policy_decides_exactly_as_the_compiled_one(home: Path) -> None:
    compiled = fresh_load()
    cached = fresh_load()
    assert isinstance(cached.rules, RuleTable) and not isinstance(compiled.rules, RuleTable)
    for prompt in PROMPTS:
        for host in ("cli", "claude-code"):
            one, two = (router.decide(Request(prompt, host), policy=p, now=1.0e9) for p in (compiled, cached))
            assert one.to_dict(full_trace=True) == two.to_dict(full_trace=True)
            assert cp_features(compiled, prompt) == cp_features(cached, prompt)


def cp_features(cp: object, prompt: str) -> object:
    return cp.classifier.classify(prompt)  # type: ignore[attr-defined]


def test_an_edited_policy_file_is_compiled_again(user_policy: Path) -> None:
    user_policy.write_text("version: 1\nprofile: budget\n")
    assert fresh_load().profile == "budget"
    user_policy.write_text("version: 1\nprofile: premium\n")
    assert fresh_load().profile == "premium"


def test_a_policy_file_that_appears_is_compiled_in(home: Path, user_policy: Path) -> None:
    fresh_load()
    user_policy.write_text("version: 1\nmode: zero_claude\n")
    assert fresh_load().mode == "zero_claude"


def test_a_lexicon_that_changes_is_read_again(home: Path, user_policy: Path) -> None:
    lexicon = home / "words.json"
    lexicon.write_text(json.dumps({"words": {"fjord": 5.0}}))
    user_policy.write_text(f"version: 1\nclassifier:\n  lexicon: {{file: {lexicon}, weight: 1}}\n")
    before = fresh_load().classifier.classify("fjord fjord").difficulty
    lexicon.write_text(json.dumps({"words": {"fjord": -5.0}}))
    assert fresh_load().classifier.classify("fjord fjord").difficulty < before


def test_an_entry_from_another_interpreter_or_version_is_rebuilt(home: Path) -> None:
    fresh_load()
    [path] = entries(home)
    entry = list(marshal.loads(path.read_bytes()))
    entry[1] = ("cpython-99", b"\0\0\r\n", 1, "0.0.0", ())  # another interpreter and llm-router
    path.write_bytes(marshal.dumps(tuple(entry)))
    path.chmod(0o600)
    fresh_load()
    assert marshal.loads(path.read_bytes())[1] == compiled_cache._code_stamp()


def test_the_entry_is_named_for_this_interpreter(home: Path) -> None:
    fresh_load()
    [path] = entries(home)
    assert path.name.endswith(f".{sys.implementation.cache_tag}.bin")


@pytest.mark.parametrize("garbage", [b"", b"\x00" * 100, b"not marshal data", marshal.dumps((1, 2, 3))])
def test_a_corrupt_entry_is_rebuilt(home: Path, garbage: bytes) -> None:
    good = fresh_load()
    [path] = entries(home)
    path.write_bytes(garbage)
    assert fresh_load().revision == good.revision
    assert marshal.loads(path.read_bytes())[0] == compiled_cache.FORMAT


def test_an_entry_others_can_write_is_not_run(home: Path) -> None:
    fresh_load()
    [path] = entries(home)
    path.chmod(0o666)
    key = marshal.loads(path.read_bytes())[2]
    assert compiled_cache.read(str(home / ".llm-router"), key) is None


def test_an_entry_that_is_a_link_is_not_run(home: Path) -> None:
    fresh_load()
    [path] = entries(home)
    key = marshal.loads(path.read_bytes())[2]
    target = path.with_suffix(".real")
    path.rename(target)
    path.symlink_to(target)
    assert compiled_cache.read(str(home / ".llm-router"), key) is None


def test_an_entry_over_the_size_limit_is_not_read(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh_load()
    [path] = entries(home)
    key = marshal.loads(path.read_bytes())[2]
    monkeypatch.setattr(fileio, "CACHE_LIMIT", path.stat().st_size - 1)
    assert compiled_cache.read(str(home / ".llm-router"), key) is None


def test_entries_are_private(home: Path) -> None:
    fresh_load()
    [path] = entries(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_policy_marshal_cannot_write_is_not_cached(home: Path) -> None:
    cp = fresh_load()._replace(models={"openai/x": {"note": object()}})
    assert compiled_cache.write(str(home / "elsewhere"), "key", cp, []) == ()
    assert not (home / "elsewhere").exists()


def test_rules_are_built_only_when_a_decision_uses_them(user_policy: Path) -> None:
    rule = "  - id: gen-{i}\n    when: \"task == 'math' and tokens > {n}\"\n    then: {{route: complex}}\n"
    rules = "".join(rule.format(i=i, n=1000 + i) for i in range(1000))
    user_policy.write_text("version: 1\nrules:\n" + rules)
    fresh_load()
    cached = fresh_load()
    router.decide(Request("write a haiku about the sea"), policy=cached)
    built = [rule for rule in cached.rules._rules if rule is not None]  # type: ignore[attr-defined]
    assert len(cached.rules) > 1000 and 0 < len(built) <= 3


def test_a_source_touched_without_change_keeps_the_entry(user_policy: Path, home: Path) -> None:
    user_policy.write_text("version: 1\nprofile: budget\n")
    fresh_load()
    [path] = entries(home)
    before = path.read_bytes()
    os.utime(user_policy)  # same content, new times: checked by content, and still valid
    assert fresh_load().profile == "budget"
    size = marshal.loads(before)[4]  # the payload's length: the payload ends the entry
    assert path.read_bytes()[-size:] == before[-size:]


def test_a_signal_with_a_list_of_regexes_is_cached_as_its_list(user_policy: Path) -> None:
    user_policy.write_text(
        "version: 1\nclassifier:\n  signals:\n"
        "    - {id: fjords, match: ['fjord(?:s)?\\b', '\\bskerr(?:y|ies)'], weight: 9, max_count: 2}\n"
    )
    compiled, cached = fresh_load(), fresh_load()
    owner = next(s for s in cached.classifier.signals if s.id == "fjords").finditer.__self__  # type: ignore[union-attr]
    assert type(owner).__name__ == "AnyOf" and len(owner.patterns) == 2
    for prompt in ("fjords and skerries", "a skerry", "nothing here"):
        assert compiled.classifier.classify(prompt) == cached.classifier.classify(prompt)


def test_the_second_stage_is_cached_and_its_instructions_file_is_an_input(
    home: Path, user_policy: Path
) -> None:
    instructions = home / "judge.txt"
    instructions.write_text("Classify: {prompt}")
    user_policy.write_text(
        "version: 1\nclassifier:\n  llm: {enabled: true, models: [openai/judge], prompt: "
        + f"{instructions}}}\n"
    )
    assert fresh_load().classifier_llm == fresh_load().classifier_llm
    cached = fresh_load()
    assert type(cached.classifier_llm).__name__ == "LlmClassifier"
    assert cached.classifier_llm.template == "Classify: {prompt}"  # type: ignore[union-attr]
    instructions.write_text("Judge this: {prompt}")
    assert fresh_load().classifier_llm.template == "Judge this: {prompt}"  # type: ignore[union-attr]
