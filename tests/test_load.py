"""load_policy: layering, provenance, extends, rule merge by id, every problem of every file, the cache."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from llm_router.errors import PolicyError
from llm_router.policy import cache
from llm_router.policy.load import (
    LoadedPolicy,
    Origin,
    load_file,
    load_files,
    load_policy,
    load_policy_partial,
)
from llm_router.policy.problems import Issue

DEFAULT = """\
version: 1
profile: balanced
policy: balanced
enforce: smart
mode: normal
fallback: {timeout_s: 60, circuit_breaker: {failures: 3, cooldown_s: 60}}
rules:
  - id: claude
    when: "prompt.startswith(claude_prefix)"
    then: {action: passthrough}
  - id: default
    when: "true"
    then: {route: auto}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def builtins(tmp_path: Path) -> Path:
    """A minimal built-in policy folder, so these tests do not depend on the shipped policies."""
    folder = tmp_path / "builtins"
    write(folder / "default.yaml", DEFAULT)
    write(folder / "aggressive.yaml", "policy: aggressive\n")
    return folder


@pytest.fixture
def llm_home(home: Path) -> Path:
    return Path(os.environ["LLM_ROUTER_HOME"])


@pytest.fixture
def load(builtins: Path, llm_home: Path):
    def _load(env: dict[str, str] | None = None, config: Path | None = None) -> LoadedPolicy:
        return load_policy(env=env or {}, cwd=Path.cwd(), config=config, home=llm_home, builtins=builtins)

    return _load


def problems_of(load, **kw) -> list[tuple[str, int, int, str]]:
    with pytest.raises(PolicyError) as exc:
        load(**kw)
    return [(Path(p.file).name, p.line, p.col, p.code) for p in exc.value.problems]


def rule_ids(loaded: LoadedPolicy) -> list[str]:
    return [r["id"] for r in loaded.data["rules"]]


# --- layering and provenance -------------------------------------------------------------------------


def test_built_in_default_alone(load, builtins: Path):
    loaded = load()
    assert loaded.data["profile"] == "balanced"
    assert [s.name for s in loaded.sources] == [str(builtins / "default.yaml")]


def test_user_file_of_only_mode_zero_claude_is_valid(load, llm_home: Path):
    write(llm_home / "routing.yaml", "mode: zero_claude\n")
    loaded = load()
    assert loaded.data["mode"] == "zero_claude"
    assert loaded.data["profile"] == "balanced"


def test_enforce_off_loads_as_the_string_off(load, llm_home: Path):
    write(llm_home / "routing.yaml", "enforce: off\n")
    assert load().data["enforce"] == "off"


def test_layers_apply_in_order_user_project_env_config(load, llm_home: Path):
    user = "profile: budget\npolicy: conservative\nenforce: hard\nmode: zero_claude\n"
    write(llm_home / "routing.yaml", user)
    write(Path.cwd() / ".llm-router.yaml", "profile: premium\npolicy: aggressive\nenforce: soft\n")
    config = write(Path.cwd() / "extra.yaml", "profile: budget\n")
    loaded = load(env={"LLM_ROUTER_POLICY": "balanced"}, config=Path("extra.yaml"))
    assert {k: loaded.data[k] for k in ("profile", "policy", "enforce", "mode")} == {
        "profile": "budget",  # --config beats all
        "policy": "balanced",  # env beats the project file
        "enforce": "soft",  # the project file beats the user file
        "mode": "zero_claude",  # the user file beats the default
    }
    assert loaded.origins["/profile"].file == "extra.yaml" and config.exists()
    assert loaded.origins["/policy"] == Origin("env:LLM_ROUTER_POLICY", 0, 0)
    assert loaded.origins["/enforce"][:3] == (str(Path.cwd() / ".llm-router.yaml"), 3, 10)
    assert loaded.origins["/mode"][1:3] == (4, 7)


def test_project_file_is_found_in_a_parent_folder(load, builtins: Path, llm_home: Path):
    write(Path.cwd() / ".llm-router.yaml", "profile: premium\n")
    deep = Path.cwd() / "a" / "b"
    deep.mkdir(parents=True)
    loaded = load_policy(env={}, cwd=deep, config=None, home=llm_home, builtins=builtins)
    assert loaded.data["profile"] == "premium"


def test_every_env_knob_is_a_layer(load):
    env = {
        "LLM_ROUTER_PROFILE": "premium",
        "LLM_ROUTER_POLICY": "aggressive",
        "LLM_ROUTER_ENFORCE": "off",
        "LLM_ROUTER_MODE": "zero_claude",
    }
    data = load(env=env).data
    assert (data["profile"], data["policy"], data["enforce"], data["mode"]) == (
        "premium",
        "aggressive",
        "off",
        "zero_claude",
    )


def test_invalid_env_value_is_a_problem_located_at_the_variable(load):
    with pytest.raises(PolicyError) as exc:
        load(env={"LLM_ROUTER_POLICY": "reckless"})
    [problem] = exc.value.problems
    assert str(problem).startswith("env:LLM_ROUTER_POLICY:0:0: enum /policy:")
    assert "aggressive" in problem.hint


def test_mappings_merge_key_by_key_and_lists_replace(load, llm_home: Path):
    write(llm_home / "routing.yaml", "fallback: {circuit_breaker: {failures: 5}}\ntiers: [a, b]\n")
    data = load().data
    assert data["fallback"] == {"timeout_s": 60, "circuit_breaker": {"failures": 5, "cooldown_s": 60}}
    assert data["tiers"] == ["a", "b"]


def test_every_merged_value_has_an_origin(load, llm_home: Path):
    write(llm_home / "routing.yaml", "rules:\n  - id: mine\n    when: 'tokens > 9'\n    then: {route: x}\n")
    loaded = load()
    user = str(llm_home / "routing.yaml")
    assert loaded.origins["/rules/0"][:3] == (user, 2, 5)
    assert loaded.origins["/rules/0/when"][:3] == (user, 3, 11)
    assert loaded.origins["/rules/1/when"].file.endswith("default.yaml")
    assert loaded.provenance()["/rules/0/when"] == f"{user}:3"


def test_sources_name_each_layer_with_its_sha256(load, llm_home: Path):
    import hashlib

    user = write(llm_home / "routing.yaml", "mode: zero_claude\n")
    sources = load(env={"LLM_ROUTER_MODE": "normal"}).sources
    assert [s.name for s in sources][1:] == [str(user), "env:LLM_ROUTER_MODE"]
    assert sources[1].sha256 == hashlib.sha256(user.read_bytes()).hexdigest()


def test_revision_is_12_hex_and_follows_the_content(load, llm_home: Path):
    first = load().revision
    write(llm_home / "routing.yaml", "mode: zero_claude\n")
    second = load().revision
    assert len(first) == 12 and int(first, 16) >= 0
    assert first != second


def test_locate_adds_the_offset_after_the_quote(load, llm_home: Path):
    write(llm_home / "routing.yaml", "rules:\n  - id: mine\n    when: 'tokens > 9'\n    then: {route: x}\n")
    problem = load().locate(Issue("/rules/0/when", "bad-expression", "oops", "hint", offset=7))
    assert (problem.line, problem.col, problem.code) == (3, 19, "bad-expression")


def test_locate_follows_lines_of_a_literal_block(load, llm_home: Path):
    text = "rules:\n  - id: m\n    when: |\n      a and\n        b\n    then: {route: x}\n"
    write(llm_home / "routing.yaml", text)
    problem = load().locate(Issue("/rules/0/when", "unknown-name", "b?", offset=8))
    assert (problem.line, problem.col) == (5, 9)


def test_locate_falls_back_to_the_nearest_ancestor(load):
    problem = load().locate(Issue("/rules/1/then/nothing", "x", "y"))
    assert problem.line == 13 and problem.pointer == "/rules/1/then/nothing"


# --- extends --------------------------------------------------------------------------------------------


def test_extends_builtin_is_layered_just_before_the_file(load, llm_home: Path):
    write(llm_home / "routing.yaml", "extends: builtin:aggressive\nprofile: budget\n")
    loaded = load(env={})
    assert loaded.data["policy"] == "aggressive"
    assert [Path(s.name).name for s in loaded.sources] == ["default.yaml", "aggressive.yaml", "routing.yaml"]


def test_extends_relative_path_resolves_against_the_extending_file(load, llm_home: Path):
    write(llm_home / "team" / "base.yaml", "profile: premium\nenforce: hard\n")
    write(llm_home / "routing.yaml", "extends: ./team/base.yaml\nenforce: soft\n")
    data = load().data
    assert (data["profile"], data["enforce"]) == ("premium", "soft")


def test_extends_a_folder_means_its_routing_yaml(load, tmp_path: Path):
    write(tmp_path / "teampolicy" / "routing.yaml", "profile: premium\n")
    write(Path.cwd() / "mine.yaml", f"extends: [{tmp_path / 'teampolicy'}]\n")
    loaded = load(config=Path("mine.yaml"))
    assert loaded.data["profile"] == "premium"
    assert loaded.origins["/profile"].file == str(tmp_path / "teampolicy" / "routing.yaml")


def test_extends_are_layered_in_list_order(load):
    write(Path.cwd() / "a.yaml", "profile: budget\n")
    write(Path.cwd() / "b.yaml", "profile: premium\n")
    write(Path.cwd() / "c.yaml", "extends: [a.yaml, b.yaml]\n")
    assert load(config=Path("c.yaml")).data["profile"] == "premium"


def test_extends_does_not_appear_in_merged_data(load):
    write(Path.cwd() / "a.yaml", "profile: budget\n")
    write(Path.cwd() / "c.yaml", "extends: a.yaml\n")
    assert "extends" not in load(config=Path("c.yaml")).data


def test_circular_extends_is_located_at_the_extends_entry(load):
    write(Path.cwd() / "a.yaml", "extends: b.yaml\n")
    write(Path.cwd() / "b.yaml", "profile: budget\nextends: [a.yaml]\n")
    assert problems_of(load, config=Path("a.yaml")) == [("b.yaml", 2, 11, "circular-extends")]


def test_missing_extends_target_is_a_problem_at_the_entry(load):
    write(Path.cwd() / "a.yaml", "mode: normal\nextends: [nowhere.yaml]\n")
    assert problems_of(load, config=Path("a.yaml")) == [("a.yaml", 2, 11, "missing-file")]


def test_missing_config_is_a_problem(load):
    assert problems_of(load, config=Path("nope.yaml")) == [("nope.yaml", 0, 0, "missing-file")]


def test_missing_user_and_project_files_are_fine(load):
    assert load().data["mode"] == "normal"


# --- rules merge by id ----------------------------------------------------------------------------------


def test_a_known_rule_id_is_replaced_in_place(load, llm_home: Path):
    write(llm_home / "routing.yaml", "rules:\n  - {id: claude, when: 'false', then: {action: block}}\n")
    loaded = load()
    assert rule_ids(loaded) == ["claude", "default"]
    assert loaded.data["rules"][0]["then"] == {"action": "block"}


def test_new_rules_go_before_every_earlier_rule_in_their_own_order(load, llm_home: Path):
    write(
        llm_home / "routing.yaml",
        """\
        rules:
          - {id: one, when: 'true', then: {route: a}}
          - {id: two, when: 'true', then: {route: b}}
    """,
    )
    assert rule_ids(load()) == ["one", "two", "claude", "default"]


def test_before_and_after_place_a_new_rule(load, llm_home: Path):
    write(
        llm_home / "routing.yaml",
        """\
        rules:
          - {id: late, after: default, when: 'true', then: {route: a}}
          - {id: mid, before: default, when: 'true', then: {route: b}}
    """,
    )
    loaded = load()
    assert rule_ids(loaded) == ["claude", "mid", "default", "late"]
    assert all(not {"before", "after", "disabled"} & set(r) for r in loaded.data["rules"])


def test_before_may_name_a_rule_added_later_in_the_same_list(load, llm_home: Path):
    write(
        llm_home / "routing.yaml",
        """\
        rules:
          - {id: b, before: a, when: 'true', then: {route: x}}
          - {id: a, when: 'true', then: {route: y}}
    """,
    )
    assert rule_ids(load()) == ["b", "a", "claude", "default"]


def test_disabled_removes_a_rule(load, llm_home: Path):
    write(llm_home / "routing.yaml", "rules:\n  - {id: claude, disabled: true}\n")
    assert rule_ids(load()) == ["default"]


def test_unknown_before_target_is_a_problem(load, llm_home: Path):
    write(llm_home / "routing.yaml", "rules:\n  - {id: x, before: nobody, when: 'true', then: {route: a}}\n")
    assert problems_of(load) == [("routing.yaml", 2, 21, "unknown-rule")]


def test_disabling_an_unknown_rule_is_a_problem(load, llm_home: Path):
    write(llm_home / "routing.yaml", "rules:\n  - {id: nobody, disabled: true}\n")
    assert problems_of(load) == [("routing.yaml", 2, 10, "unknown-rule")]


def test_merged_rule_origins_follow_the_rules(load, llm_home: Path):
    text = "rules:\n  - {id: mid, before: default, when: 'true', then: {route: b}}\n"
    write(llm_home / "routing.yaml", text)
    loaded = load()
    assert loaded.origins["/rules/1"].file == str(llm_home / "routing.yaml")
    assert loaded.origins["/rules/2/when"].file.endswith("default.yaml")


def test_classifier_rules_and_signals_merge_by_id(load, llm_home: Path, builtins: Path):
    below = "classifier:\n  rules: [{id: a, match: x}, {id: b, match: y}]\n  signals: [{id: s}]\n"
    write(builtins / "default.yaml", DEFAULT + below)
    write(
        llm_home / "routing.yaml",
        "classifier:\n  rules: [{id: b, match: z}, {id: c, match: w}]\n"
        "  signals: [{id: s, disabled: true}]\n",
    )
    classifier = load().data["classifier"]
    assert [(r["id"], r["match"]) for r in classifier["rules"]] == [("c", "w"), ("a", "x"), ("b", "z")]
    assert classifier["signals"] == []


# --- errors that point -----------------------------------------------------------------------------------

BAD = """\
version: 1
profile: balanced
profil: budget
fallback:
\ttimeout_s: 30
profile: premium
rules:
  - id: a
    when: "true"
    then: {route: simple}
    continue: yes
"""


def test_every_problem_of_a_file_is_reported_at_once(load):
    write(Path.cwd() / "bad.yaml", BAD)
    assert problems_of(load, config=Path("bad.yaml")) == [
        ("bad.yaml", 3, 1, "unknown-key"),
        ("bad.yaml", 5, 1, "tab"),
        ("bad.yaml", 6, 1, "duplicate-key"),
        ("bad.yaml", 11, 15, "yaml-1.1-boolean"),
    ]


def test_error_report_reads_well(load, snapshot):
    write(Path.cwd() / "bad.yaml", BAD)
    with pytest.raises(PolicyError) as exc:
        load(config=Path("bad.yaml"))
    assert str(exc.value) == snapshot


def test_problems_of_every_file_are_reported(load, llm_home: Path):
    write(llm_home / "routing.yaml", "mode: fast\n")
    write(Path.cwd() / ".llm-router.yaml", "enforce: maybe\n")
    write(Path.cwd() / "c.yaml", "a: b: c\n")
    found = problems_of(load, config=Path("c.yaml"), env={"LLM_ROUTER_PROFILE": "cheap"})
    assert found == [
        ("routing.yaml", 1, 7, "enum"),
        (".llm-router.yaml", 1, 10, "enum"),
        ("env:LLM_ROUTER_PROFILE", 0, 0, "enum"),
        ("c.yaml", 1, 5, "yaml-syntax"),
    ]


def test_a_file_that_is_not_utf8_is_a_problem(load):
    (Path.cwd() / "latin.yaml").write_bytes(b"mode: normal\nreason: caf\xe9\n")
    assert problems_of(load, config=Path("latin.yaml")) == [("latin.yaml", 2, 12, "encoding")]


# --- special and oversized files ------------------------------------------------------------------------


@pytest.fixture(params=["dev-zero-link", "fifo", "socket"])
def special(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """Something a policy path can name that is not a regular file: reading it would never end or block."""
    path = tmp_path / f"{request.param}.yaml"
    if request.param == "fifo":
        os.mkfifo(path)
        yield path
    elif request.param == "socket":
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(path))
            yield path
    else:
        path.symlink_to("/dev/zero")
        yield path


def test_a_config_that_is_not_a_regular_file_is_a_located_problem(load, special: Path):
    assert problems_of(load, config=special) == [(special.name, 0, 0, "unreadable-file")]


def test_an_extends_of_a_special_file_is_a_problem_at_the_entry(load, special: Path):
    write(Path.cwd() / "a.yaml", f"mode: normal\nextends: [{special}]\n")
    assert problems_of(load, config=Path("a.yaml")) == [("a.yaml", 2, 11, "unreadable-file")]


def test_a_project_file_linked_to_dev_zero_is_a_problem_not_passed_over(load):
    (Path.cwd() / ".llm-router.yaml").symlink_to("/dev/zero")
    assert problems_of(load) == [(".llm-router.yaml", 0, 0, "unreadable-file")]


def test_a_user_file_that_is_a_fifo_is_a_problem(load, llm_home: Path):
    llm_home.mkdir(parents=True, exist_ok=True)
    os.mkfifo(llm_home / "routing.yaml")
    assert problems_of(load) == [("routing.yaml", 0, 0, "unreadable-file")]


def test_a_policy_file_over_the_size_limit_is_refused_unread(load):
    (Path.cwd() / "big.yaml").write_text("# filler\n" * 120_000)
    assert problems_of(load, config=Path("big.yaml")) == [("big.yaml", 0, 0, "too-large")]


def test_an_extends_chain_deeper_than_the_limit_is_a_problem_not_a_recursion_error(load):
    for i in range(100):
        write(Path.cwd() / f"p{i}.yaml", f"extends: ./p{i + 1}.yaml\n" if i < 99 else "mode: normal\n")
    assert [code for *_, code in problems_of(load, config=Path("p0.yaml"))] == ["too-many-files"]


def test_the_cache_check_does_not_read_a_source_replaced_by_a_fifo(tmp_path: Path):
    os.mkfifo(tmp_path / "fifo")
    assert cache.sha256_of(tmp_path / "fifo") is None


# --- policy validate PATH... -----------------------------------------------------------------------------


def test_load_file_layers_only_on_the_default(builtins: Path, llm_home: Path):
    write(llm_home / "routing.yaml", "mode: zero_claude\n")
    path = write(Path.cwd() / "team.yaml", "profile: premium\n")
    loaded = load_file(path, home=llm_home, env={}, cwd=Path.cwd(), builtins=builtins)
    assert (loaded.data["profile"], loaded.data["mode"]) == ("premium", "normal")


def test_load_files_reports_problems_of_every_path(builtins: Path, llm_home: Path):
    a = write(Path.cwd() / "a.yaml", "mode: fast\n")
    b = write(Path.cwd() / "b.yaml", "profile: cheap\n")
    c = write(Path.cwd() / "c.yaml", "profile: budget\n")
    with pytest.raises(PolicyError) as exc:
        load_files([a, b, c], home=llm_home, env={}, cwd=Path.cwd(), builtins=builtins)
    assert [Path(p.file).name for p in exc.value.problems] == ["a.yaml", "b.yaml"]


# --- the on-disk cache -----------------------------------------------------------------------------------


def cache_files(llm_home: Path) -> list[Path]:
    return sorted((llm_home / "cache").glob("policy-*.json"))


def test_a_load_writes_one_cache_entry(load, llm_home: Path):
    load()
    assert len(cache_files(llm_home)) == 1


def test_a_cache_hit_gives_the_same_policy(load, llm_home: Path):
    write(llm_home / "routing.yaml", "mode: zero_claude\n")
    cold, warm = load(), load()
    assert (warm.data, warm.origins, warm.sources, warm.revision) == (
        cold.data,
        cold.origins,
        cold.sources,
        cold.revision,
    )


def test_an_edited_source_takes_the_slow_path(load, llm_home: Path):
    user = write(llm_home / "routing.yaml", "mode: zero_claude\n")
    load()
    user.write_text("mode: normal\n")
    assert load().data["mode"] == "normal"


def test_an_edited_extends_target_takes_the_slow_path(load, llm_home: Path):
    base = write(llm_home / "base.yaml", "profile: premium\n")
    write(llm_home / "routing.yaml", "extends: base.yaml\n")
    load()
    base.write_text("profile: budget\n")
    assert load().data["profile"] == "budget"


def test_a_user_file_created_after_caching_is_seen(load, llm_home: Path):
    load()
    write(llm_home / "routing.yaml", "mode: zero_claude\n")
    assert load().data["mode"] == "zero_claude"


def test_an_env_change_is_seen(load):
    load(env={"LLM_ROUTER_PROFILE": "budget"})
    assert load(env={"LLM_ROUTER_PROFILE": "premium"}).data["profile"] == "premium"


@pytest.mark.parametrize("garbage", [b"", b"{not json", b"[]", b'{"format": 1}', b"\xff\xfe"])
def test_a_corrupt_cache_entry_is_ignored_and_rewritten(load, llm_home: Path, garbage: bytes):
    good = load()
    [entry] = cache_files(llm_home)
    entry.write_bytes(garbage)
    assert load().revision == good.revision
    assert json.loads(entry.read_bytes())["revision"] == good.revision


def test_a_cache_entry_of_the_wrong_shape_is_ignored(load, llm_home: Path):
    good = load()
    [entry] = cache_files(llm_home)
    payload = json.loads(entry.read_bytes())
    payload["origins"] = {"": "not a list"}
    entry.write_text(json.dumps(payload))
    assert load().revision == good.revision


def test_an_unwritable_home_just_skips_the_cache(builtins: Path, tmp_path: Path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    loaded = load_policy(env={}, cwd=Path.cwd(), config=None, home=blocker / "home", builtins=builtins)
    assert loaded.data["mode"] == "normal"


def test_an_invalid_policy_is_not_cached(load, llm_home: Path):
    write(llm_home / "routing.yaml", "mode: fast\n")
    with pytest.raises(PolicyError):
        load()
    assert cache_files(llm_home) == []


def test_cache_write_leaves_no_temp_files(load, llm_home: Path):
    load()
    assert [p.name for p in (llm_home / "cache").iterdir() if not p.name.startswith("policy-")] == []


def test_a_cache_hit_imports_neither_yaml_nor_jsonschema(load, builtins: Path, llm_home: Path):
    write(llm_home / "routing.yaml", "extends: base.yaml\nmode: zero_claude\n")
    write(llm_home / "base.yaml", "profile: premium\n")
    revision = load().revision
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from llm_router.policy.load import load_policy
        loaded = load_policy(env={{}}, cwd=Path({str(Path.cwd())!r}), config=None,
                             home=Path({str(llm_home)!r}), builtins=Path({str(builtins)!r}))
        print(loaded.revision, 'yaml' in sys.modules, 'jsonschema' in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [revision, "False", "False"]


def test_cache_entry_path_depends_on_the_inputs(llm_home: Path):
    assert cache.entry_path(llm_home, "a") != cache.entry_path(llm_home, "b")


def test_partial_load_returns_the_merge_and_every_problem(builtins: Path, llm_home: Path):
    write(llm_home / "routing.yaml", BAD)
    loaded, problems = load_policy_partial(
        env={}, cwd=Path.cwd(), config=None, home=llm_home, builtins=builtins
    )
    assert [p.code for p in problems] == ["unknown-key", "tab", "duplicate-key", "yaml-1.1-boolean"]
    assert loaded.origins["/rules/0/when"][1:3] == (9, 11)


def test_partial_load_of_a_valid_policy_has_no_problems(builtins: Path, llm_home: Path):
    loaded, problems = load_policy_partial(
        env={}, cwd=Path.cwd(), config=None, home=llm_home, builtins=builtins
    )
    assert problems == [] and loaded.data["mode"] == "normal"
