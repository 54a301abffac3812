"""The policy of a long-running proxy worker: LLM_ROUTER_CONFIG layered on the built-in policy, compiled once,
reloaded when its files change and looked at no more than once a second."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from llm_router.errors import PolicyError
from llm_router.integrations.proxy_policy import PolicySource

RULE = """
rules:
  - id: everything-complex
    when: "true"
    then: {route: complex}
"""


class Clock:
    """A clock the test moves by hand, so 'once a second' is checked without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def source_for(tmp_path: Path, clock: Clock) -> Callable[[Path], PolicySource]:
    def make(config: Path) -> PolicySource:
        return PolicySource({**os.environ, "LLM_ROUTER_CONFIG": str(config)}, tmp_path, clock=clock)

    return make


def rule_ids(source: PolicySource) -> list[str]:
    return [r.id for r in source.policy.rules]


def test_the_config_file_is_layered_on_the_built_in_policy(tmp_path: Path, source_for) -> None:
    (tmp_path / "team.yaml").write_text(RULE)
    ids = rule_ids(source_for(tmp_path / "team.yaml"))
    assert ids[0] == "everything-complex" and "by-difficulty" in ids


def test_a_team_folder_is_read_through_its_routing_yaml(tmp_path: Path, source_for) -> None:
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "routing.yaml").write_text(RULE)
    assert rule_ids(source_for(tmp_path / "team"))[0] == "everything-complex"


def test_without_the_variable_the_policy_is_the_usual_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LLM_ROUTER_CONFIG"}
    assert PolicySource(env, tmp_path).settings.config is None


def test_an_invalid_policy_at_start_raises(tmp_path: Path, source_for) -> None:
    (tmp_path / "team.yaml").write_text("chains: {simple: [nowhere-model]}\n")
    with pytest.raises(PolicyError, match="unknown-provider"):
        source_for(tmp_path / "team.yaml")


def test_an_edit_is_in_force_after_the_next_look(tmp_path: Path, source_for, clock: Clock) -> None:
    (tmp_path / "team.yaml").write_text("profile: budget\n")
    source = source_for(tmp_path / "team.yaml")
    (tmp_path / "team.yaml").write_text("profile: budget\n" + RULE)
    clock.now += 1.0
    source.policy  # noqa: B018 - the look that finds the change
    source.wait()
    assert rule_ids(source)[0] == "everything-complex" and source.reloads == 1


def test_files_are_not_looked_at_again_within_a_second(tmp_path: Path, source_for, clock: Clock) -> None:
    (tmp_path / "team.yaml").write_text("profile: budget\n")
    source = source_for(tmp_path / "team.yaml")
    (tmp_path / "team.yaml").write_text("profile: budget\n" + RULE)
    clock.now += 0.5
    source.policy  # noqa: B018
    source.wait()
    assert source.reloads == 0 and rule_ids(source)[0] != "everything-complex"


def test_an_edit_to_an_extended_file_is_found(tmp_path: Path, source_for, clock: Clock) -> None:
    (tmp_path / "base.yaml").write_text("profile: budget\n")
    (tmp_path / "team.yaml").write_text("extends: [base.yaml]\n")
    source = source_for(tmp_path / "team.yaml")
    (tmp_path / "base.yaml").write_text("profile: premium\n")
    clock.now += 1.0
    source.policy  # noqa: B018
    source.wait()
    assert source.policy.profile == "premium"


def test_a_broken_edit_keeps_the_last_good_policy(tmp_path: Path, source_for, clock: Clock) -> None:
    (tmp_path / "team.yaml").write_text(RULE)
    source = source_for(tmp_path / "team.yaml")
    (tmp_path / "team.yaml").write_text(
        "rules: [{id: broken, when: 'nosuchname > 1', then: {route: simple}}]\n"
    )
    clock.now += 1.0
    source.policy  # noqa: B018
    source.wait()
    assert rule_ids(source)[0] == "everything-complex"
    assert source.last_error is not None and "nosuchname" in str(source.last_error)


def test_fixing_a_broken_edit_brings_it_in(tmp_path: Path, source_for, clock: Clock) -> None:
    (tmp_path / "team.yaml").write_text("profile: budget\n")
    source = source_for(tmp_path / "team.yaml")
    for text in ("rules: [{id: x, when: 'nosuchname', then: {route: simple}}]\n", RULE):
        (tmp_path / "team.yaml").write_text(text)
        clock.now += 1.0
        source.policy  # noqa: B018
        source.wait()
    assert rule_ids(source)[0] == "everything-complex" and source.last_error is None


def test_a_changed_policy_the_check_refuses_keeps_the_last_good_one(
    tmp_path: Path, source_for, clock: Clock
) -> None:
    (tmp_path / "team.yaml").write_text(RULE)
    source = source_for(tmp_path / "team.yaml")
    source.check = lambda cp: ["names nothing served"] if cp.profile == "premium" else []
    (tmp_path / "team.yaml").write_text("profile: premium\n" + RULE)
    clock.now += 1.0
    source.policy  # noqa: B018
    source.wait()
    assert source.policy.profile != "premium" and "names nothing served" in str(source.last_error)
