"""Turn a loaded, schema-valid policy document into a CompiledPolicy, checking what a schema cannot: that
expressions are safe and use only names the context offers, that rules route to chains that exist, that
budgets and providers named in expressions exist. Every problem is reported, located, in one PolicyError."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from llm_router import paths
from llm_router.classify import compile_classifier
from llm_router.errors import PolicyError
from llm_router.llmclassify.spec import compile_llm
from llm_router.policy.compiled import (
    MEDIA_KINDS,
    Action,
    BudgetSpec,
    CompiledPolicy,
    CompiledRule,
    Preset,
)
from llm_router.policy.expr import ExprError, compile_expr
from llm_router.policy.namespace import CONTEXT_NAMES
from llm_router.policy.problems import Issue
from llm_router.providers.table import MEDIA_SUPPORT, PROVIDERS, provider_of

if TYPE_CHECKING:
    from llm_router.policy.load import LoadedPolicy

DEFAULT_TIERS = ("simple", "moderate", "complex", "deep_reasoning")
DEFAULT_PRESETS = {
    "aggressive": {"threshold": 2, "cutoffs": {"moderate": 0.45, "complex": 0.70, "deep_reasoning": 0.88}},
    "balanced": {"threshold": 4, "cutoffs": {"moderate": 0.35, "complex": 0.60, "deep_reasoning": 0.82}},
    "conservative": {"threshold": 6, "cutoffs": {"moderate": 0.25, "complex": 0.50, "deep_reasoning": 0.75}},
}


def compile_policy(loaded: LoadedPolicy) -> CompiledPolicy:
    """Compile the merged document; raise PolicyError with every located problem."""
    issues: list[Issue] = []
    data: Mapping[str, Any] = loaded.data
    tiers = tuple(data.get("tiers") or DEFAULT_TIERS)
    chains = _chains(data.get("chains") or {}, issues)
    media_section = data.get("media") or {}
    media = _chains({k: v for k, v in media_section.items() if k in MEDIA_KINDS}, issues, "/media")
    _media_support(media, issues)
    presets = _presets(data.get("policies") or DEFAULT_PRESETS, tiers, issues)
    budgets = _budgets(data.get("budgets") or [], issues)
    classifier, classifier_issues = compile_classifier(data.get("classifier") or {}, _builtin(loaded))
    issues.extend(classifier_issues)
    classifier_llm, llm_issues = compile_llm((data.get("classifier") or {}).get("llm"))
    issues.extend(llm_issues)
    rules = _rules(loaded, data.get("rules") or [], tiers, chains, budgets, issues)
    _subagent_models(data.get("hosts") or {}, tiers, chains, issues)
    policy = str(data.get("policy", "balanced"))
    if policy not in presets:
        issues.append(Issue("/policy", "unknown-policy", f"no preset named {policy!r} in `policies`"))
    if issues:
        raise PolicyError([loaded.locate(i) for i in issues])
    from llm_router.policy.exprcheck import fuse

    scan = fuse([(r.when, r.cont) for r in rules])
    for rule in rules:
        rule.when.tree = None  # in the scan now; a long-running process need not keep the syntax trees
    return CompiledPolicy(
        revision=loaded.revision,
        profile=str(data.get("profile", "balanced")),
        policy=policy,
        enforce=str(data.get("enforce", "smart")),
        mode=str(data.get("mode", "normal")),
        claude_prefix=str(data.get("claude_prefix", "claude:")),
        presets=presets,
        tiers=tiers,
        chains=chains,
        classifier=classifier,
        rules=tuple(rules),
        budgets=tuple(budgets),
        models=dict(data.get("models") or {}),
        fallback=dict(data.get("fallback") or {}),
        baseline_model=data.get("baseline_model"),
        data=data,
        names_used=frozenset().union(*(r.names for r in rules)),
        gateway=dict(data.get("gateway") or {}),
        media=media,
        classifier_llm=classifier_llm,
        scan=scan,
        metered=any(r.when.metered for r in rules),
    )


def _subagent_models(
    hosts: Mapping[str, Any], tiers: tuple[str, ...], chains: Mapping[str, Any], issues: list[Issue]
) -> None:
    """`hosts.claude-code.subagent_models` names only tiers and chains that exist."""
    models = (hosts.get("claude-code") or {}).get("subagent_models") or {}
    for name in models:
        if name not in tiers and name not in chains:
            issues.append(
                Issue(
                    f"/hosts/claude-code/subagent_models/{name}",
                    "unknown-tier",
                    f"no tier or chain named {name!r}",
                    f"use one of {', '.join(dict.fromkeys([*tiers, *chains]))}",
                )
            )


def _builtin(loaded: LoadedPolicy) -> Callable[[str], bool]:
    """Whether the value at a pointer was written in one of the built-in policy files."""
    folder = os.path.join(paths.policies_folder(), "")

    def builtin(pointer: str) -> bool:
        origin = loaded.origin(pointer)
        return origin is not None and origin.file.startswith(folder)

    return builtin


def _chains(
    raw: Mapping[str, Any], issues: list[Issue], section: str = "/chains"
) -> dict[str, dict[str, tuple[str, ...]]]:
    chains: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, value in raw.items():
        by_profile = {"*": value} if isinstance(value, list) else dict(value)
        for profile, models in by_profile.items():
            pointer = f"{section}/{name}" + ("" if profile == "*" else f"/{profile}")
            for i, model in enumerate(models):
                provider = provider_of(model)
                if "/" not in model or provider not in PROVIDERS:
                    issues.append(
                        Issue(
                            f"{pointer}/{i}",
                            "unknown-provider",
                            f"model {model!r} does not start with a known provider",
                            "write it as provider/model, provider one of " + ", ".join(sorted(PROVIDERS)),
                        )
                    )
        chains[name] = {profile: tuple(models) for profile, models in by_profile.items()}
    return chains


def _media_support(media: Mapping[str, Mapping[str, tuple[str, ...]]], issues: list[Issue]) -> None:
    """A media chain names only models whose provider llm-router sends that kind of request to."""
    for kind, by_profile in media.items():
        for profile, models in by_profile.items():
            for i, model in enumerate(models):
                provider = provider_of(model)
                if provider in PROVIDERS and kind not in MEDIA_SUPPORT.get(provider, frozenset()):
                    able = sorted(p for p, kinds in MEDIA_SUPPORT.items() if kind in kinds)
                    issues.append(
                        Issue(
                            f"/media/{kind}" + ("" if profile == "*" else f"/{profile}") + f"/{i}",
                            "unsupported-media",
                            f"llm-router does not send {kind} requests to {provider}",
                            f"{kind} providers: " + ", ".join(able),
                        )
                    )


def _presets(raw: Mapping[str, Any], tiers: tuple[str, ...], issues: list[Issue]) -> dict[str, Preset]:
    presets = {}
    for name, spec in raw.items():
        cutoffs = dict(spec.get("cutoffs") or {})
        for tier in cutoffs:
            if tier not in tiers[1:]:
                issues.append(
                    Issue(
                        f"/policies/{name}/cutoffs/{tier}",
                        "unknown-tier",
                        f"{tier!r} is not a tier above the first",
                        "tiers are " + ", ".join(tiers),
                    )
                )
        ordered = [(t, float(cutoffs[t])) for t in tiers[1:] if t in cutoffs]
        for (a, x), (b, y) in zip(ordered, ordered[1:], strict=False):
            if y < x:
                issues.append(
                    Issue(
                        f"/policies/{name}/cutoffs/{b}",
                        "cutoff-order",
                        f"cutoff of {b} ({y}) is below that of {a} ({x})",
                        "cutoffs must rise with the tiers",
                    )
                )
        presets[name] = Preset(name, float(spec.get("threshold", 4)), tuple(ordered))
    return presets


def _budgets(raw: list[Mapping[str, Any]], issues: list[Issue]) -> list[BudgetSpec]:
    budgets, seen = [], set()
    for i, b in enumerate(raw):
        if b["id"] in seen:
            issues.append(Issue(f"/budgets/{i}/id", "duplicate-id", f"budget {b['id']!r} is defined twice"))
        seen.add(b["id"])
        provider = b.get("provider")
        if provider is not None and provider not in PROVIDERS:
            issues.append(
                Issue(
                    f"/budgets/{i}/provider",
                    "unknown-provider",
                    f"no provider named {provider!r}",
                    "one of " + ", ".join(sorted(PROVIDERS)),
                )
            )
        if b.get("kind") == "subscription":
            budgets.append(_subscription(b))
        else:
            budgets.append(BudgetSpec(b["id"], b["period"], float(b["limit_usd"]), provider, b.get("model")))
    return budgets


def _subscription(b: Mapping[str, Any]) -> BudgetSpec:
    """A `kind: subscription` budget (the schema has checked its keys)."""
    unit = "tokens" if "limit_tokens" in b else "messages"
    return BudgetSpec(
        b["id"],
        b["window"],
        0.0,
        None,
        b.get("model"),
        kind="subscription",
        unit=unit,
        limit=float(b["limit_tokens"] if unit == "tokens" else b["limit_messages"]),
        token_kinds=tuple(b.get("token_kinds") or ("input", "output")),
        refresh_s=60.0 * float(b.get("refresh_minutes", 5)),
    )


def _rules(
    loaded: LoadedPolicy,
    raw: list[Mapping[str, Any]],
    tiers: tuple[str, ...],
    chains: Mapping[str, Any],
    budgets: list[BudgetSpec],
    issues: list[Issue],
) -> list[CompiledRule]:
    rules = []
    budget_ids = {b.id for b in budgets}
    for i, r in enumerate(raw):
        pointer = f"/rules/{i}"
        try:
            when = compile_expr(r.get("when", True), CONTEXT_NAMES)
        except ExprError as exc:
            issues.append(Issue(f"{pointer}/when", exc.code, exc.message, exc.hint, exc.offset))
            continue
        # budget['id'] and health['provider'] must name a budget / a provider that exists.
        for name, known, code, what in (
            ("budget", budget_ids, "unknown-budget", "budget with id"),
            ("health", set(PROVIDERS), "unknown-provider", "provider named"),
        ):
            for key in sorted(set(when.constant_keys.get(name, ())) - known):
                issues.append(
                    Issue(
                        f"{pointer}/when",
                        code,
                        f"no {what} {key!r}",
                        f"{name} names: " + (", ".join(sorted(known)) or "none defined"),
                        max(0, when.source.find(key) - 1),
                    )
                )
        then = r.get("then") or {}
        route = then.get("route")
        action = then.get("action") or ("route" if route else None)
        if action == "route" and route is None:
            route = "auto"
        if route is not None and route not in ("auto", "media") and route not in chains:
            issues.append(
                Issue(
                    f"{pointer}/then/route",
                    "unknown-chain",
                    f"no chain named {route!r}",
                    "chains: " + ", ".join(sorted(chains)) + ", auto, or media (the media chain of the kind)",
                )
            )
        if action in ("suggest",) and route is None:
            route = "auto"
        act = Action(
            action=action,
            route=route,
            downgrade=int(then.get("downgrade", 0)),
            upgrade=int(then.get("upgrade", 0)),
            reason=str(then.get("reason", "")),
            message=str(then.get("message", "")),
        )
        if act.action is None and not (act.downgrade or act.upgrade):
            issues.append(
                Issue(
                    f"{pointer}/then",
                    "empty-action",
                    "this rule does nothing when it matches",
                    "give it an action, a route, or a downgrade/upgrade",
                )
            )
        origin = loaded.locate(Issue(pointer, "", ""))
        rules.append(
            CompiledRule(
                id=str(r["id"]),
                when=when,
                then=act,
                cont=bool(r.get("continue", False)),
                location=f"{origin.file}:{origin.line}",
                description=str(r.get("description", "")),
                names=tuple(sorted(when.names)),
            )
        )
    return rules
