"""`policy lint`: what is valid but probably wrong: rules that can never decide, chains nothing routes to,
models with no known price (media models with no price per unit), budgets that can never apply, and regexes
with nested quantifiers (which `policy validate` warns about too)."""

from __future__ import annotations

import os
from collections.abc import Callable

from llm_router.policy.compiled import CompiledPolicy
from llm_router.policy.expr import Expr, ExprRuntimeError
from llm_router.policy.patterns import nested_quantifiers
from llm_router.policy.problems import Issue
from llm_router.providers.table import provider_of


def lint_policy(
    cp: CompiledPolicy,
    known_model: Callable[[str], bool] | None = None,
    builtin: Callable[[str], bool] | None = None,
) -> list[Issue]:
    """Every finding for a compiled policy, as unlocated Issues (pointers into the merged document).

    `builtin(location)` says whether a rule written at `file:line` is one of the built-in policies (which a
    user cannot edit, only disable); by default, whether the file is in the built-in policies folder."""
    if known_model is None:
        from llm_router.providers.prices import price

        def known_model(model: str) -> bool:
            return model in cp.models or price(model) is not None

    if builtin is None:
        builtin = _in_builtin_policies
    return [
        *_rules(cp, builtin),
        *_chains(cp),
        *_models(cp, known_model),
        *_media(cp),
        *_budgets(cp),
        *pattern_warnings(cp),
    ]


def _in_builtin_policies(location: str) -> bool:
    from llm_router import paths

    return location.startswith(str(paths.policies_dir()) + os.sep)


def _disable(rule_id: str) -> str:
    return (
        f"a built-in rule cannot be moved; to drop it, add `{{id: {rule_id}, disabled: true}}` to your rules"
    )


def _rules(cp: CompiledPolicy, builtin: Callable[[str], bool]) -> list[Issue]:
    findings: list[Issue] = []
    decided_by: str | None = None  # the first rule that always decides
    seen: dict[str, str] = {}  # condition text -> first rule that decides on it
    for i, rule in enumerate(cp.rules):
        pointer = f"/rules/{i}"
        if decided_by is not None:
            findings.append(
                Issue(
                    pointer,
                    "unreachable-rule",
                    f"rule {rule.id!r} is never reached: rule {decided_by!r} before it always decides",
                    _disable(rule.id)
                    if builtin(rule.location)
                    else f"move this rule above it (`before: {decided_by}`), or narrow {decided_by!r}",
                )
            )
            continue
        condition = " ".join(rule.when.source.split())
        if condition in seen and not rule.cont:
            findings.append(
                Issue(
                    pointer,
                    "shadowed-rule",
                    f"rule {rule.id!r} has the same condition as {seen[condition]!r}, which decides first",
                    _disable(rule.id) if builtin(rule.location) else "merge them or change one condition",
                )
            )
        if rule.cont:
            continue
        seen.setdefault(condition, rule.id)
        if not rule.when.names and _always(rule.when):
            decided_by = rule.id
    return findings


def _always(when: Expr) -> bool:
    try:
        return bool(when.evaluate({}))
    except ExprRuntimeError:
        return False


_BACKTRACK_HINT = (
    "make the inner quantifier possessive (a++) or the group atomic (?>...), or the alternatives distinct; "
    "as it is, matching gives up after its CPU-time limit"
)


def pattern_warnings(cp: CompiledPolicy) -> list[Issue]:
    """A `nested-quantifier` finding for each regex (in `matches()` of a rule, or a classifier `match`)
    that can backtrack catastrophically, pointing at the group that repeats."""
    found: list[Issue] = []
    for i, rule in enumerate(cp.rules):
        for offset, pattern, exact in rule.when.patterns:
            for pos, why in nested_quantifiers(pattern):
                at = offset + pos if exact else offset
                found.append(
                    Issue(f"/rules/{i}/when", "nested-quantifier", f"{pattern!r}: {why}", _BACKTRACK_HINT, at)
                )
    classifier = cp.data.get("classifier")
    for key in ("signals", "rules"):
        items = classifier.get(key) if isinstance(classifier, dict) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            text = item.get("match") if isinstance(item, dict) and not item.get("disabled") else None
            for pos, why in nested_quantifiers(text) if isinstance(text, str) else []:
                pointer = f"/classifier/{key}/{i}/match"
                found.append(Issue(pointer, "nested-quantifier", f"{text!r}: {why}", _BACKTRACK_HINT, pos))
    return found


def _chains(cp: CompiledPolicy) -> list[Issue]:
    routed = {r.then.route for r in cp.rules if r.then.route}
    reachable = set(cp.tiers) if "auto" in routed else set()
    reachable |= routed
    return [
        Issue(
            f"/chains/{name}",
            "unused-chain",
            f"no rule routes to chain {name!r}",
            "route to it from a rule, name it in `tiers`, or remove it",
        )
        for name in cp.chains
        if name not in reachable
    ]


def _models(cp: CompiledPolicy, known_model: Callable[[str], bool]) -> list[Issue]:
    findings = []
    for name, by_profile in cp.chains.items():
        for profile, models in by_profile.items():
            base = f"/chains/{name}" + ("" if profile == "*" else f"/{profile}")
            for i, model in enumerate(models):
                if not known_model(model):
                    findings.append(
                        Issue(
                            f"{base}/{i}",
                            "unknown-model",
                            f"{model!r} is not in LiteLLM's price table",
                            f"declare its prices under `models: {{{model}: ...}}`, or check the spelling",
                        )
                    )
    return findings


def _media(cp: CompiledPolicy) -> list[Issue]:
    """Media models with no price per unit: their results would be recorded at $0."""
    from llm_router.providers.prices import MEDIA_PRICE_KEYS, unit_price

    findings = []
    for kind, by_profile in cp.media.items():
        for profile, models in by_profile.items():
            base = f"/media/{kind}" + ("" if profile == "*" else f"/{profile}")
            for i, model in enumerate(models):
                if unit_price(model, kind, cp.models, size="1024x1024") is None:
                    key = MEDIA_PRICE_KEYS[kind][0]
                    findings.append(
                        Issue(
                            f"{base}/{i}",
                            "unpriced-media",
                            f"no price per unit is known for {model!r}: its {kind} results would cost $0",
                            f"declare one under `models: {{{model}: {{{key}: ...}}}}`",
                        )
                    )
    return findings


def _budgets(cp: CompiledPolicy) -> list[Issue]:
    models = cp.all_models()
    providers = {provider_of(m) for m in models}
    findings = []
    for i, b in enumerate(cp.budgets):
        if b.kind == "subscription":  # meters the host's own Claude, not the chains
            continue
        if b.model is not None and b.model not in models:
            findings.append(
                Issue(
                    f"/budgets/{i}/model",
                    "budget-never-applies",
                    f"no chain uses model {b.model!r}",
                    "budgets count only calls to models the chains name",
                )
            )
        elif b.model is None and b.provider is not None and b.provider not in providers:
            findings.append(
                Issue(
                    f"/budgets/{i}/provider",
                    "budget-never-applies",
                    f"no chain uses a model of provider {b.provider!r}",
                    "budgets count only calls to models the chains name",
                )
            )
    return findings
