"""The decision function, specified through small policies layered on the built-in one."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from llm_router import router
from llm_router.decision import BudgetState, Context, Decision, Request
from llm_router.errors import PolicyError
from llm_router.policy.compiled import CompiledPolicy
from llm_router.policy.evaluate import evaluate

NOW = 1_800_000_000.0
PROMPTS = [json.loads(line)["prompt"] for line in (Path(__file__).parent / "data/prompts40.jsonl").open()]

Load = Callable[..., CompiledPolicy]


@pytest.fixture
def load(tmp_path: Path) -> Load:
    """Compile the built-in policy with an extra --config file holding `text` (and env knobs)."""

    def _load(text: str = "", **env: str) -> CompiledPolicy:
        path = tmp_path / "extra.yaml"
        path.write_text(text or "{}\n")
        return router.load(router.Settings(env={**os.environ, **env}, cwd=tmp_path, config=path))

    return _load


def decide(
    cp: CompiledPolicy,
    prompt: str,
    *,
    host: str = "cli",
    configured: tuple[str, ...] = ("openai",),
    budgets: dict[str, BudgetState] | None = None,
    open_breakers: tuple[str, ...] = (),
    knobs: dict[str, str] | None = None,
    now: float = NOW,
):
    ctx = Context(
        request=Request(prompt=prompt, host=host),
        features=cp.classifier.classify(prompt),
        now=now,
        configured=frozenset(configured),
        budgets=budgets or {},
        open_breakers=frozenset(open_breakers),
        knobs=knobs or {},
    )
    return evaluate(cp, ctx)


def test_difficulty_separates_trivial_from_hard_prompts(load: Load) -> None:
    cp = load()
    easy = decide(cp, "what is 2+2?")
    hard = decide(cp, "design a distributed tracing strategy for 40 services")
    assert hard.difficulty - easy.difficulty >= 0.4
    assert easy.tier == "simple"
    assert hard.tier in ("complex", "deep_reasoning")


def test_claude_prefix_passes_through(load: Load) -> None:
    d = decide(load(), "claude: refactor the auth module")
    assert (d.action, d.rule, d.chain) == ("passthrough", "explicit-claude", ())


def test_zero_claude_never_passes_through_without_the_prefix(load: Load) -> None:
    cp = load("mode: zero_claude\n")
    for prompt in PROMPTS:
        assert decide(cp, prompt, host="claude-code").action != "passthrough", prompt
    assert decide(cp, "claude: hello", host="claude-code").action == "passthrough"


def test_uncertain_prompt_in_a_host_is_left_to_the_host_model(load: Load) -> None:
    cp = load("policies: {balanced: {threshold: 10}}\n")
    d = decide(cp, "write a python function that reverses a string", host="claude-code")
    assert d.confidence < 10
    assert (d.action, d.rule) == ("passthrough", "uncertain-in-host")


def test_first_match_decides_and_later_rules_are_not_considered(load: Load) -> None:
    cp = load("rules:\n  - {id: everything-simple, when: 'true', then: {route: simple}}\n")
    d = decide(cp, "design a distributed tracing strategy for 40 services")
    assert (d.rule, d.tier) == ("everything-simple", "simple")
    assert [s.rule for s in d.trace] == ["everything-simple"]


def test_continue_rule_adds_its_downgrade_and_goes_on(load: Load) -> None:
    cp = load("budgets: [{id: month, provider: openai, period: month, limit_usd: 10}]\n")
    hard = "design a multi-region active-active architecture for a payments platform"
    calm = decide(cp, hard, budgets={"month": BudgetState("month", "month", 10, 1.0, "openai")})
    pressed = decide(cp, hard, budgets={"month": BudgetState("month", "month", 10, 9.0, "openai")})
    assert cp.tiers.index(pressed.tier) == cp.tiers.index(calm.tier) - 1
    step = next(s for s in pressed.trace if s.rule == "budget-pressure")
    assert step.matched and step.effect == "downgrade 1"
    assert pressed.rule == "by-difficulty"


def test_exhausted_budget_drops_its_models_from_the_usable_list(load: Load) -> None:
    cp = load("budgets: [{id: oa, provider: openai, period: day, limit_usd: 1}]\n")
    d = decide(
        cp,
        "what is 2+2?",
        configured=("openai", "gemini"),
        budgets={"oa": BudgetState("oa", "day", 1, 1.5, "openai")},
    )
    assert not any(m.startswith("openai/") for m in d.usable)
    assert any("budget 'oa' exhausted" in why for why in d.unusable.values())


def test_open_breaker_makes_a_model_unusable(load: Load) -> None:
    cp = load()
    d = decide(cp, "what is 2+2?", configured=("openai", "gemini"), open_breakers=("gemini",))
    assert all(not m.startswith("gemini/") for m in d.usable)
    assert "circuit breaker open" in d.unusable.values()


def test_no_configured_provider_routes_to_nothing_and_says_so(load: Load) -> None:
    d = decide(load(), "what is 2+2?", configured=())
    assert d.action == "route" and d.chain and d.usable == ()
    assert not d.executable
    assert "no model of this chain is usable now" in d.reason


def test_profiles_pick_different_chains(load: Load) -> None:
    budget, premium = load(LLM_ROUTER_PROFILE="budget"), load(LLM_ROUTER_PROFILE="premium")
    chains_differ = sum(decide(budget, p).chain != decide(premium, p).chain for p in PROMPTS)
    assert chains_differ >= 30


def test_aggressive_and_conservative_route_differently(load: Load) -> None:
    aggressive, conservative = load(LLM_ROUTER_POLICY="aggressive"), load(LLM_ROUTER_POLICY="conservative")
    tiers = {"aggressive": [], "conservative": []}
    for p in PROMPTS:
        tiers["aggressive"].append(aggressive.tiers.index(decide(aggressive, p).tier))
        tiers["conservative"].append(conservative.tiers.index(decide(conservative, p).tier))
    assert tiers["aggressive"] != tiers["conservative"]
    assert sum(tiers["aggressive"]) < sum(tiers["conservative"])


def test_session_knobs_override_the_policy(load: Load) -> None:
    cp = load()
    d = decide(cp, "what is 2+2?", knobs={"profile": "premium", "policy": "conservative"})
    assert (d.profile, d.policy, d.threshold) == ("premium", "conservative", 6)
    assert d.chain == cp.chain(d.tier or "", "premium")


def test_a_named_tier_stands_where_the_difficulty_tier_would(load: Load) -> None:
    d = decide(load(), "what is 2+2?", knobs={"tier": "complex"})
    assert (d.action, d.tier, d.rule) == ("route", "complex", "by-difficulty")
    assert d.chain == load().chain("complex", d.profile)


def test_a_named_chain_that_is_no_tier_is_routed_to(load: Load) -> None:
    d = decide(load(), "what is 2+2?", knobs={"tier": "research"})
    assert (d.tier, d.chain[0]) == ("research", "perplexity/sonar-pro")


def test_a_named_tier_still_obeys_the_rules_before_it(load: Load) -> None:
    d = decide(load(), "claude: review this", knobs={"tier": "complex"})
    assert (d.action, d.rule) == ("passthrough", "explicit-claude")


def test_a_name_that_is_no_chain_leaves_the_difficulty_tier(load: Load) -> None:
    cp = load()
    assert decide(cp, "what is 2+2?", knobs={"tier": "gpt-4o"}).tier == decide(cp, "what is 2+2?").tier


def test_trace_shows_what_each_rule_saw(load: Load) -> None:
    d = decide(load(), "what is 2+2?")
    first = d.trace[0].to_dict()
    assert first["rule"] == "explicit-claude" and first["matched"] is False
    assert first["saw"]["prompt"] == "what is 2+2?"
    assert first["location"].endswith("default.yaml:" + first["location"].rsplit(":", 1)[1])


def test_rule_location_points_at_the_user_file(load: Load, tmp_path: Path) -> None:
    cp = load("# a comment\nrules:\n  - id: mine\n    when: \"task == 'math'\"\n    then: {route: complex}\n")
    rule = next(r for r in cp.rules if r.id == "mine")
    assert rule.location == f"{tmp_path / 'extra.yaml'}:3"


def test_runtime_error_in_a_condition_is_recorded_and_not_matched(load: Load) -> None:
    cp = load("rules:\n  - {id: boom, when: 'tokens / (tokens - tokens) > 1', then: {route: simple}}\n")
    d = decide(cp, "hello")
    step = d.trace[0]
    assert step.rule == "boom" and not step.matched and step.note.startswith("error")
    assert d.rule != "boom"


def test_decision_id_is_stable_for_the_same_context(load: Load) -> None:
    cp = load()
    assert decide(cp, "hi").id == decide(cp, "hi").id
    assert decide(cp, "hi").id != decide(cp, "hi", now=NOW + 1).id


def test_route_to_an_unknown_chain_is_a_located_error(load: Load, tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as err:
        load("rules:\n  - id: r\n    when: 'true'\n    then: {route: nowhere}\n")
    problem = err.value.problems[0]
    assert (problem.code, problem.pointer) == ("unknown-chain", "/rules/0/then/route")
    assert problem.file == str(tmp_path / "extra.yaml") and problem.line == 4


def test_unknown_budget_in_a_condition_is_a_located_error(load: Load) -> None:
    with pytest.raises(PolicyError) as err:
        load("rules:\n  - id: r\n    when: \"budget['nope'].used_pct > 50\"\n    then: {downgrade: 1}\n")
    assert err.value.problems[0].code == "unknown-budget"


def test_decision_json_is_exactly_its_dict(load: Load) -> None:
    cp = load("budgets: [{id: oa, provider: openai, period: day, limit_usd: 1}]\n")
    budgets = {"oa": BudgetState("oa", "day", 1, 0.9, "openai")}
    prompts = [*PROMPTS, "claude: hi", 'quotes " and \\ and ünïcødé ✓ ' * 20, "x" * 9000]
    for prompt in prompts:
        for host in ("cli", "claude-code"):
            d = decide(cp, prompt, host=host, budgets=budgets, configured=("openai", "gemini"))
            as_dict = json.loads(json.dumps(d.to_dict()))
            assert json.loads(d.to_json()) == as_dict, prompt
            assert json.loads(Decision.from_dict(as_dict).to_json()) == as_dict, prompt


def test_decision_json_is_the_text_json_writes_for_its_dict_whatever_its_parts_reuse(load: Load) -> None:
    cp = load("")

    def text(d: Decision) -> str:
        return json.dumps(d.to_dict(), ensure_ascii=False, separators=(",", ":"), default=str)

    seen = []
    for knobs in ({}, {"policy": "quality", "mode": "zero_claude"}, {"profile": "budget", "enforce": "off"}):
        for configured in (("openai",), ("openai", "gemini", "anthropic"), ()):
            for prompt in [*PROMPTS[:12], "claude: hi", "ünïcødé ✓ " * 30]:
                d = decide(cp, prompt, configured=configured, knobs=knobs)
                seen += [d, d._replace(threshold=4), d._replace(second_stage={"ran": False})]
    assert [d.to_json() for d in seen] == [text(d) for d in seen]


@pytest.mark.parametrize("mode", ["normal", "zero_claude"])
def test_one_evaluator_decides_many_prompts_as_a_fresh_evaluation_would(load: Load, mode: str) -> None:
    from llm_router.decision import RequestFeatures
    from llm_router.policy.evaluate import Evaluator

    cp = load("rules:\n  - {id: boom, when: 'tokens / (tokens - 40) > 1', then: {route: complex}}\n")
    state = (frozenset({"openai"}), {}, frozenset({"openai/gpt-5-mini"}))
    knobs = {"mode": mode}
    shared = Evaluator(cp, NOW, *state, knobs)
    events = ["route", "image", "fs_edit", "code", "pipeline:x", "research"]
    hosts = ["cli", "claude-code", "gateway"]
    for i, prompt in enumerate(PROMPTS + ["claude: fix it", "   claude: explain"]):
        features = RequestFeatures(thinking=True, context_tokens=200_000) if i % 5 == 0 else RequestFeatures()
        request = Request(prompt, hosts[i % 3], events[i % 6], session=f"s{i % 2}", features=features)
        ctx = Context(request, cp.classifier.classify(prompt), NOW, *state, knobs)
        alone, together = evaluate(cp, ctx), shared(request, ctx.features)
        assert together.to_json(full_trace=True) == alone.to_json(full_trace=True)
        assert together.to_json() == alone.to_json() and together == alone


def test_unusable_reasons_are_told_apart_by_their_own_predicates() -> None:
    from llm_router.decision import budget_exhausted, is_budget_exhausted
    from llm_router.providers.table import is_not_configured, not_configured

    assert is_budget_exhausted(budget_exhausted(["day", "month"]))
    assert is_not_configured(not_configured("openai")) and is_not_configured(not_configured("budget"))
    # a provider named like a budget, or a budget named like a provider, is not taken for the other
    assert not is_budget_exhausted(not_configured("budget"))
    assert not is_not_configured(budget_exhausted(["x is not configured (set X)"]))
    assert not is_budget_exhausted("circuit breaker open") and not is_not_configured("circuit breaker open")
