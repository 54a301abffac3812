"""Policy test suites: YAML cases of a prompt, a context and the expected decision, run against a policy."""

from __future__ import annotations

import difflib
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llm_router import fileio, paths
from llm_router.decision import Context, Decision, Request, RequestFeatures
from llm_router.errors import PolicyError
from llm_router.policy.problems import Problem
from llm_router.policy.yamlsource import Positions, parse, pointer_join

if TYPE_CHECKING:
    from llm_router.policy.compiled import CompiledPolicy
    from llm_router.router import Settings

__all__ = ["CaseResult", "Mismatch", "SuiteReport", "run_suites", "DEFAULT_NOW"]

DEFAULT_NOW = "2026-01-05T12:00:00"  # a Monday noon, local time: `hour` and `weekday` agree on every machine
_MERGED = (
    "budgets",
    "env",
    "knobs",
    "features",
    "request",
)  # context keys a case merges into the suite's, key by key
_BOUNDS = {
    "_min": (lambda got, want: got >= want, "at least"),
    "_max": (lambda got, want: got <= want, "at most"),
}


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One expected field the decision did not have."""

    field: str
    expected: Any
    got: Any
    hint: str = ""

    def __str__(self) -> str:
        bound = _BOUNDS.get(self.field[-4:])
        want = f"{bound[1]} {_show(self.expected)}" if bound else _show(self.expected)
        text = f"{self.field}: expected {want}, got {_show(self.got)}"
        return f"{text} ({self.hint})" if self.hint else text


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one case: where it is written, the decision, and what differed."""

    file: str
    line: int
    name: str
    decision: Decision
    mismatches: tuple[Mismatch, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def to_dict(self) -> dict[str, Any]:
        d = self.decision
        return {
            "file": self.file,
            "line": self.line,
            "name": self.name,
            "passed": self.passed,
            "mismatches": [{"field": m.field, "expected": m.expected, "got": m.got} for m in self.mismatches],
            "decision": {
                "action": d.action,
                "tier": d.tier,
                "chain": list(d.chain),
                "rule": d.rule,
                "rule_location": d.rule_location,
            },
        }


@dataclass
class SuiteReport:
    """Every case's result, and the rules of the policies under test that no case reached."""

    cases: list[CaseResult] = field(default_factory=list)
    rules: dict[tuple[str, str], bool] = field(default_factory=dict)  # (rule id, location) -> reached

    @property
    def total(self) -> int:
        return len(self.cases)

    @property
    def failed(self) -> int:
        return sum(not c.passed for c in self.cases)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    @property
    def coverage(self) -> list[str]:
        """Ids of the rules no case matched, in policy order."""
        return [rule for (rule, _), reached in self.rules.items() if not reached]

    def to_dict(self) -> dict[str, Any]:
        unreached = [{"rule": r, "location": loc} for (r, loc), reached in self.rules.items() if not reached]
        return {
            "ok": self.ok,
            "total": self.total,
            "passed": self.total - self.failed,
            "failed": self.failed,
            "cases": [c.to_dict() for c in self.cases],
            "coverage": {"rules": len(self.rules), "unreached": unreached},
        }

    def render(self, coverage: bool = False) -> str:
        """The report as text: a line per case, a diff under each failure, a summary, and the coverage."""
        out: list[str] = []
        for c in self.cases:
            out.append(f"{'PASS' if c.passed else 'FAIL'}  {c.name}  ({c.file}:{c.line})")
            if c.passed:
                continue
            out += [f"        {m}" for m in c.mismatches]
            d = c.decision
            out.append(
                f"        decided by rule {d.rule!r} ({d.rule_location or '-'}): action {d.action}, "
                f"task {d.task}, complexity {d.complexity}, difficulty {d.difficulty:.2f}, "
                f"confidence {d.confidence:.1f}"
            )
        out.append(f"{self.total} case(s): {self.total - self.failed} passed, {self.failed} failed")
        if coverage:
            unreached = [(r, loc) for (r, loc), reached in self.rules.items() if not reached]
            out.append(f"coverage: {len(self.rules) - len(unreached)} of {len(self.rules)} rule(s) reached")
            out += [f"  not reached: {r}  ({loc})" for r, loc in unreached]
        return "\n".join(out)


@dataclass
class _Suite:
    path: Path
    data: dict[str, Any]
    positions: Positions
    policy: Path | None


def run_suites(paths: list[Path], *, settings: Settings) -> SuiteReport:
    """Run every case of every suite; raise PolicyError (every problem located) when a suite is invalid."""
    problems: list[Problem] = []
    suites = [s for s in (_read(p, problems) for p in paths) if s is not None]
    if problems:
        raise PolicyError(problems)
    report = SuiteReport()
    with tempfile.TemporaryDirectory(prefix="llm-router-policy-test-") as tmp:
        runner = _Runner(settings, Path(tmp), report, problems)
        for suite in suites:
            runner.run(suite)
    if problems:
        raise PolicyError(list(dict.fromkeys(problems)))  # a shared context's problem is found once per case
    return report


def _read(path: Path, problems: list[Problem]) -> _Suite | None:
    """A suite file parsed, schema-checked and with its policy path resolved; None when invalid."""
    name = str(path)
    try:
        text = fileio.read_bounded(path, limit=fileio.SUITE_LIMIT, what="policy test suite").decode("utf-8")
    except fileio.RefusedFile as exc:
        problems.append(Problem(name, 0, 0, "unreadable", "", f"cannot read the suite: it {exc.reason}"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(name, 0, 0, "unreadable", "", f"cannot read the suite: {exc}"))
        return None
    data, positions, found = parse(text, name)
    found += _validate(data, positions, name)
    if not found:
        found += _check_times(data, positions, name)
    policy = None
    if not found and "policy" in data:
        policy = (path.parent / data["policy"]).resolve()
        if policy.is_dir():
            policy = policy / "routing.yaml"
        if not policy.is_file():
            found.append(_problem(name, positions, "/policy", "missing-file", f"no policy file at {policy}"))
    problems += found
    return None if found else _Suite(path, data, positions, policy)


def _validate(data: Any, positions: Positions, filename: str) -> list[Problem]:
    """Every way `data` breaks schemas/policy-test.schema.json, each located."""
    import jsonschema  # only `policy test` needs it; the hook path never imports this module

    schema = json.loads((paths.schemas_dir() / "policy-test.schema.json").read_text(encoding="utf-8"))
    problems = []
    for error in jsonschema.Draft202012Validator(schema).iter_errors(data):
        ptr = "".join(pointer_join("", part) for part in error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = list(error.schema.get("properties", {}))
            for key in (k for k in error.instance if k not in known):
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(known)
                child = pointer_join(ptr, key)
                problems.append(
                    _problem(
                        filename, positions, child, "unknown-key", f"unknown key '{key}'", hint, at_key=True
                    )
                )
            continue
        message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
        problems.append(_problem(filename, positions, ptr, "schema", message))
    return sorted(problems, key=lambda p: (p.line, p.col))


def _check_times(data: dict[str, Any], positions: Positions, filename: str) -> list[Problem]:
    contexts = [("/context", data.get("context") or {})]
    contexts += [(f"/cases/{i}/context", c.get("context") or {}) for i, c in enumerate(data["cases"])]
    problems = []
    for ptr, ctx in contexts:
        try:
            _now(ctx.get("now", DEFAULT_NOW))
        except (ValueError, OverflowError, OSError):  # not ISO 8601, or out of the platform's range
            message = f"{ctx['now']!r} is not a date-time"
            hint = "write epoch seconds or e.g. 2026-01-05T09:30"
            problems.append(_problem(filename, positions, f"{ptr}/now", "bad-time", message, hint))
    return problems


def _problem(
    filename: str,
    positions: Positions,
    ptr: str,
    code: str,
    message: str,
    hint: str = "",
    at_key: bool = False,
) -> Problem:
    probe = ptr
    while probe and probe not in positions:
        probe = probe.rsplit("/", 1)[0]
    pos = positions.get(probe)
    if pos is None:
        return Problem(filename, 1, 1, code, ptr, message, hint)
    line, col = (pos.key_line, pos.key_col) if at_key and probe == ptr else (pos.line, pos.col)
    return Problem(filename, line, col, code, ptr, message, hint)


def _now(value: float | str) -> float:
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(value).timestamp()  # no zone: local time, so `hour` reads as written


class _Runner:
    """Runs cases, loading each policy variant (policy file x env) once."""

    def __init__(self, settings: Settings, tmp: Path, report: SuiteReport, problems: list[Problem]):
        self.settings = settings
        self.tmp = tmp
        self.homes: dict[Path, Path] = {}
        self.report = report
        self.problems = problems
        self.policies: dict[tuple[Any, ...], CompiledPolicy] = {}

    def run(self, suite: _Suite) -> None:
        from llm_router.policy.evaluate import evaluate

        shared = suite.data.get("context") or {}
        for i, case in enumerate(suite.data["cases"]):
            ptr = f"/cases/{i}"
            ctx_data = _merge(shared, case.get("context") or {})
            cp = self.policy(suite.policy, ctx_data.get("env") or {})
            unknown = sorted(set(ctx_data.get("budgets") or {}) - {b.id for b in cp.budgets})
            for budget in unknown:
                own = (case.get("context") or {}).get("budgets") or {}
                where = f"{ptr}/context" if budget in own else "/context"
                self.problems.append(
                    _problem(
                        str(suite.path),
                        suite.positions,
                        f"{where}/budgets/{budget}",
                        "unknown-budget",
                        f"the policy has no budget {budget!r}",
                        "budgets: " + ", ".join(b.id for b in cp.budgets),
                        at_key=True,
                    )
                )
            if unknown:
                continue
            decision = evaluate(cp, _context(cp, case["prompt"], ctx_data))
            for rule in cp.rules:
                self.report.rules.setdefault((rule.id, rule.location), False)
            for step in decision.trace:
                if step.matched:
                    self.report.rules[(step.rule, step.location)] = True
            line = suite.positions[ptr].line if ptr in suite.positions else 0
            mismatches = tuple(_compare(case["expect"], decision, cp))
            self.report.cases.append(CaseResult(str(suite.path), line, case["name"], decision, mismatches))

    def policy(self, policy: Path | None, case_env: Mapping[str, str]) -> CompiledPolicy:
        """The compiled policy a case runs against: the normally layered one, or the suite's own file."""
        from llm_router.router import Settings, load

        key = (policy, tuple(sorted(case_env.items())))
        if key not in self.policies:
            s = self.settings
            if policy is None:
                settings = Settings(env={**s.env, **case_env}, cwd=s.cwd, config=s.config)
            else:  # as a user extending it would have it, minus their own file and the shell's LLM_ROUTER_*
                home = self.home_extending(policy)
                env = {k: v for k, v in s.env.items() if not k.startswith("LLM_ROUTER_")}
                env.update(case_env, LLM_ROUTER_HOME=str(home))
                settings = Settings(env=env, cwd=home, config=None)
            self.policies[key] = load(settings)
        return self.policies[key]

    def home_extending(self, policy: Path) -> Path:
        """A private home whose user file only extends `policy`."""
        if policy not in self.homes:
            home = self.tmp / f"home-{len(self.homes)}"
            home.mkdir()
            (home / "routing.yaml").write_text(json.dumps({"extends": [str(policy)]}), encoding="utf-8")
            self.homes[policy] = home
        return self.homes[policy]


def _merge(shared: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**shared, **own}
    for key in _MERGED:
        if key in shared and key in own:
            merged[key] = {**shared[key], **own[key]}
    return merged


def _context(cp: CompiledPolicy, prompt: str, c: Mapping[str, Any]) -> Context:
    """The Context of one case: its request, the classifier's features (or the case's), and its state."""
    request = Request(
        prompt,
        c.get("host", "cli"),
        c.get("event", "route"),
        c.get("session", ""),
        features=RequestFeatures(**(c.get("request") or {})),
    )
    features = cp.classifier.classify(prompt)
    overrides = dict(c.get("features") or {})
    if "signals" in overrides:
        overrides["signals"] = tuple(overrides["signals"])
    if overrides:
        features = features._replace(**overrides)
    spent = c.get("budgets") or {}
    budgets = {}
    for b in cp.budgets:
        state = spent.get(b.id, {})
        limit = b.limit if b.kind == "subscription" else b.limit_usd
        key = "used" if b.kind == "subscription" else "spent_usd"
        spent_now = state[key] if key in state else state.get("used_pct", 0) * limit / 100
        budgets[b.id] = b.state(float(spent_now))
    return Context(
        request=request,
        features=features,
        now=_now(c.get("now", DEFAULT_NOW)),
        configured=frozenset(c.get("configured") or ()),
        budgets=budgets,
        open_breakers=frozenset(c.get("open_breakers") or ()),
        knobs=dict(c.get("knobs") or {}),
    )


def _compare(expect: Mapping[str, Any], d: Decision, cp: CompiledPolicy) -> list[Mismatch]:
    out = []
    for name, want in expect.items():
        bound = _BOUNDS.get(name[-4:])
        if bound:
            got = getattr(d, name[:-4])
            if not bound[0](got, want):
                out.append(Mismatch(name, want, round(got, 4)))
            continue
        if name == "chain_head":
            got = d.chain[0] if d.chain else None
        elif name in ("chain", "usable"):
            got = list(getattr(d, name))
        else:
            got = getattr(d, name)
        if got != want:
            hint = ""
            if name == "rule" and want not in {r.id for r in cp.rules}:
                hint = "the policy has no rule with this id"
            out.append(Mismatch(name, want, got, hint))
    return out


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
