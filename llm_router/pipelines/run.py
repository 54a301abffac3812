"""Run a pipeline: each step (each item of a fan-out) is decided and executed through the one pipeline
(`router.decide` / `router.run`, event `pipeline:NAME/STEP`, the step's route named through the `tier` knob,
as a gateway client names a tier or chain), so rules see it, budgets and breakers apply, a failing model
falls back along its chain, and usage is recorded per step. When a step still fails, the run stops and keeps
what finished."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llm_router.decision import Decision, Request
from llm_router.errors import PolicyError, RouterError
from llm_router.pipelines.spec import Pipeline, Step
from llm_router.pipelines.template import cut

if TYPE_CHECKING:
    from llm_router.policy.compiled import CompiledPolicy
    from llm_router.router import Settings

INPUT_LIMIT = 100_000  # characters of one input value
_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)]|\(\d+\))\s+")  # a list marker in front of a fan-out item


class InputError(RouterError):
    """Inputs that do not fit the pipeline (missing, unknown, too long): a usage error, exit 2."""

    exit_code = 2
    code = "usage"


@dataclass
class Run:
    """What a run produced: one entry per call (a fan-out gives one per item), and the final output."""

    pipeline: str
    run_id: str
    inputs: dict[str, str]
    steps: list[dict[str, Any]] = field(default_factory=list)
    output: str | None = None
    error: RouterError | None = None
    failed_step: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pipeline": self.pipeline,
            "run_id": self.run_id,
            "status": "ok" if self.error is None else "failed",
            "inputs": self.inputs,
            "steps": self.steps,
            "output": self.output,
            "cost_usd": round(sum(s.get("cost_usd", 0.0) for s in self.steps), 8),
        }
        if self.error is not None:
            out["error"] = {
                "code": self.error.code,
                "message": str(self.error),
                "exit_code": self.error.exit_code,
                "step": self.failed_step,
            }
        return out


def check_inputs(p: Pipeline, given: Mapping[str, str]) -> dict[str, str]:
    """The run's inputs: those given, defaults for the rest; InputError for unknown, missing or huge ones."""
    unknown = sorted(set(given) - set(p.inputs))
    if unknown:
        accepted = ", ".join(p.inputs) or "none"
        raise InputError(f"pipeline {p.name} has no input {', '.join(unknown)} (its inputs: {accepted})")
    values: dict[str, str] = {}
    for name, spec in p.inputs.items():
        if name in given:
            values[name] = str(given[name])
        elif "default" in spec:
            values[name] = str(spec["default"])
        elif spec.get("required", True):
            raise InputError(f"pipeline {p.name} needs --input {name}=... ({spec.get('description', name)})")
        else:
            values[name] = ""
        if len(values[name]) > INPUT_LIMIT:
            raise InputError(f"input {name} is longer than {INPUT_LIMIT:,} characters")
    return values


def check_routes(p: Pipeline, cp: CompiledPolicy) -> None:
    """Every route a step names is a tier or chain of the policy; PolicyError located in the pipeline."""
    problems = [
        p.locate(
            f"{s.pointer}/route",
            "unknown-chain",
            f"the policy has no tier or chain {r!r}",
            "chains: " + ", ".join(sorted(cp.chains)),
        )
        for s in p.steps
        for r in s.routes
        if r not in cp.chains
    ]
    if problems:
        raise PolicyError(problems)


def items_of(text: str, limit: int) -> list[str]:
    """The items a fan-out goes over: the non-empty lines of `text`, list markers removed, at most `limit`."""
    items = [_MARKER.sub("", line).strip() for line in text.splitlines()]
    return [i for i in items if i][:limit]


def run(
    p: Pipeline,
    given: Mapping[str, str],
    *,
    settings: Settings,
    host: str = "cli",
    knobs: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Run:
    """Run `p` with inputs `given`. Never raises for a step that fails: the Run carries the error (its
    `exit_code` is the one a CLI gives) and every entry that finished. Raises InputError and PolicyError
    before anything runs."""
    from llm_router import router

    values = check_inputs(p, given)
    cp = router.load(settings)
    check_routes(p, cp)
    result = Run(p.name, uuid.uuid4().hex[:12], values)
    table: dict[str, str] = dict(values) | {f"inputs.{k}": v for k, v in values.items()}
    say = progress or (lambda _line: None)
    for n, step in enumerate(p.steps, 1):
        items: Sequence[str | None] = [None]
        if step.for_each:
            source = table[step.for_each + ".output" if step.for_each.startswith("steps.") else step.for_each]
            items = items_of(source, p.max_items)
            if not items:
                result.error = RouterError(f"step {step.id}: {step.for_each} gave nothing to fan out over")
                result.failed_step = step.id
                return result
        outputs: list[str] = []
        for i, item in enumerate(items, 1):
            label = f"{step.id}" + (f" [{i}/{len(items)}]" if item is not None else "")
            say(f"[{n}/{len(p.steps)}] {label} ...")
            scope = table | ({step.as_name: item, "index": str(i)} if item is not None else {})
            prompt = step.prompt.render(scope, p.max_output_chars, p.max_prompt_chars)
            started = time.monotonic()
            try:
                entry = _call(p, step, prompt, item, i, settings, host, knobs, cp, result.run_id)
            except RouterError as exc:
                result.error, result.failed_step = exc, step.id
                say(f"[{n}/{len(p.steps)}] {label} failed: {str(exc).splitlines()[0]}")
                return result
            result.steps.append(entry)
            outputs.append(entry["output"])
            spent = time.monotonic() - started
            say(f"[{n}/{len(p.steps)}] {label} -> {entry['model']} ({entry['tier']}, {spent:.1f} s)")
        joined = outputs[0] if items == [None] else _join(items, outputs)
        table[f"steps.{step.id}.output"] = cut(joined, p.max_output_chars * max(1, len(outputs)))
    result.output = result.steps[-1]["output"] if result.steps else None
    return result


def _join(items: Sequence[str | None], outputs: list[str]) -> str:
    return "\n\n".join(
        f"### {i}. {item}\n{out}" for i, (item, out) in enumerate(zip(items, outputs, strict=True), 1)
    )


def _call(
    p: Pipeline,
    step: Step,
    prompt: str,
    item: str | None,
    index: int,
    settings: Settings,
    host: str,
    knobs: Mapping[str, str] | None,
    cp: CompiledPolicy,
    run_id: str,
) -> dict[str, Any]:
    """Decide and execute one call of a step; RouterError (ProviderError, BudgetExceeded...) when it fails."""
    from llm_router import router

    event = f"pipeline:{p.name}/{step.id}"
    decision, request = decide(prompt, event, step.routes, settings, host, knobs, cp, run_id)
    if decision.action == "passthrough":
        raise RouterError(
            f"step {step.id}: policy rule {decision.rule} leaves this prompt to the host's own model "
            f"({decision.reason})"
        )
    result = router.run(decision, request, settings=settings, policy=cp)
    entry: dict[str, Any] = {
        "name": step.id,
        "decision_id": decision.id,
        "model": result.model,
        "tier": decision.tier,
        "rule": decision.rule,
        "output": cut(result.text, p.max_output_chars),
        "attempts": len(result.attempts),
        "tokens_in": result.tokens_in,
        "tokens_out": result.tokens_out,
        "cost_usd": round(result.cost_usd, 8),
    }
    if item is not None:
        entry |= {"item": item, "index": index}
    return entry


def decide(
    prompt: str,
    event: str,
    routes: Sequence[str],
    settings: Settings,
    host: str,
    knobs: Mapping[str, str] | None,
    cp: CompiledPolicy,
    run_id: str,
) -> tuple[Decision, Request]:
    """The decision for one call: the policy's, with the step's routes named in turn (the `tier` knob: a
    named tier or chain stands where the tier the difficulty picks would) until one has a usable model (the
    first decision when none has), all against the same live state."""
    from llm_router import router

    now = time.time()
    state = router.live_state(cp, settings, now)
    request = Request(prompt, host=host, event=event, session=run_id, cwd=str(settings.cwd))
    first: Decision | None = None
    for route in routes or (None,):
        named = dict(knobs or {}) | ({"tier": route} if route else {})
        decision = router.decide(request, settings=settings, knobs=named, policy=cp, now=now, state=state)
        if decision.action != "route" or decision.usable:
            return decision, request
        first = first or decision
    assert first is not None
    return first, request
