"""`policy diff`: route one prompt set under two policies and say what a change moves: how many prompts
each tier, chain head and action gets on each side, and every prompt whose action, tier or chain head
differs, with the rule that decided it on each side.

Prompt files hold JSON lines `{"prompt": ...}` (as `route --batch` reads them; `host` and `session` are
used when present) or plain text, one prompt per line: a file whose first non-blank line is a JSON object
is read as JSON lines, any other as text.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from llm_router.decision import HOSTS, Decision, Request

__all__ = ["MAX_PROMPTS", "PromptFileError", "Side", "Moved", "PolicyDiff", "read_prompts", "diff_policies"]

MAX_PROMPTS = 100_000
MAX_BYTES = 64 * 1024 * 1024


class PromptFileError(ValueError):
    """A prompt file that cannot be read, with the line at fault."""


class Side(NamedTuple):
    """What one policy decided for one prompt."""

    action: str
    tier: str | None
    chain_head: str | None
    rule: str
    rule_location: str

    @classmethod
    def of(cls, d: Decision) -> Side:
        routed = d.action in ("route", "suggest")
        head = d.chain[0] if routed and d.chain else None
        return cls(d.action, d.tier if routed else None, head, d.rule, d.rule_location)

    def where(self) -> tuple[str, str | None, str | None]:
        """What counts as moving: the action, the tier and the chain head."""
        return (self.action, self.tier, self.chain_head)

    def short(self) -> str:
        if self.action in ("route", "suggest"):
            return f"{self.tier} ({self.chain_head or 'empty chain'})"
        return self.action


class Moved(NamedTuple):
    """A prompt the two policies send to different places."""

    line: int
    prompt: str
    a: Side
    b: Side

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "prompt": self.prompt, "a": self.a._asdict(), "b": self.b._asdict()}


class PolicyDiff(NamedTuple):
    a: str  # what each side is, as given
    b: str
    revisions: tuple[str, str]
    total: int
    sides: tuple[list[Side], list[Side]]
    moved: list[Moved]
    tiers: tuple[str, ...] = ()  # the order tiers are listed in (the policies' own, then by name)

    def counts(self) -> dict[str, Any]:
        """Per tier, chain head and action: how many prompts each side sends there."""
        out: dict[str, Any] = {"prompts": self.total, "moved": len(self.moved)}
        for key in ("tier", "chain_head", "action"):
            a = Counter(getattr(s, key) for s in self.sides[0])
            b = Counter(getattr(s, key) for s in self.sides[1])
            names = sorted((n for n in dict.fromkeys([*a, *b]) if n is not None), key=self._order)
            out[key] = {n: {"a": a[n], "b": b[n]} for n in names}
        return out

    def _order(self, name: str) -> tuple[int, str]:
        return (self.tiers.index(name) if name in self.tiers else len(self.tiers), name)

    def to_dict(self) -> dict[str, Any]:
        return {"moved": [m.to_dict() for m in self.moved], "counts": self.counts()}

    def render(self) -> str:
        """The counts as tables and the moved prompts, for a person (or a pull request's log)."""
        counts = self.counts()
        lines = [
            f"A: {self.a} (revision {self.revisions[0]})",
            f"B: {self.b} (revision {self.revisions[1]})",
            f"{self.total} prompt(s), {len(self.moved)} moved",
        ]
        for key, title in (("action", "action"), ("tier", "tier"), ("chain_head", "chain head")):
            rows = counts[key]
            if not rows:
                continue
            width = max(len(title), *(len(n) for n in rows))
            lines.append("")
            lines.append(f"{title:<{width}}  {'A':>6}  {'B':>6}  {'B-A':>6}")
            for name, n in rows.items():
                lines.append(f"{name:<{width}}  {n['a']:>6}  {n['b']:>6}  {n['b'] - n['a']:>+6}")
        if self.moved:
            lines.append("")
            lines.append("moved:")
        for m in self.moved:
            text = m.prompt if len(m.prompt) <= 70 else m.prompt[:69] + "…"
            lines.append(f"  {m.line}: {json.dumps(text, ensure_ascii=False)}")
            lines.append(f"      A: {m.a.short()}  by {m.a.rule} ({m.a.rule_location or '-'})")
            lines.append(f"      B: {m.b.short()}  by {m.b.rule} ({m.b.rule_location or '-'})")
        return "\n".join(lines)


class PromptLine(NamedTuple):
    line: int
    request: Request


def read_prompts(path: Path) -> list[PromptLine]:
    """The prompts of a file (see the module's docstring); PromptFileError names the line at fault."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise PromptFileError(f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MB")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptFileError(f"{path}: cannot read: {exc}") from exc
    numbered = [(i, line) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]
    as_json = bool(numbered) and numbered[0][1].lstrip().startswith("{")
    prompts = [_json_line(path, i, line) if as_json else PromptLine(i, Request(line)) for i, line in numbered]
    if len(prompts) > MAX_PROMPTS:
        raise PromptFileError(f"{path}: more than {MAX_PROMPTS} prompts")
    if not prompts:
        raise PromptFileError(f"{path}: no prompts")
    return prompts


def _json_line(path: Path, number: int, line: str) -> PromptLine:
    try:
        item = json.loads(line)
    except ValueError as exc:
        raise PromptFileError(f"{path}:{number}: not JSON ({exc}); the file is read as JSON lines") from exc
    if not isinstance(item, dict) or not isinstance(item.get("prompt"), str):
        raise PromptFileError(f'{path}:{number}: expected an object with a string "prompt"')
    host = str(item["host"]) if item.get("host") in HOSTS else "cli"
    return PromptLine(number, Request(item["prompt"], host=host, session=str(item.get("session", ""))))


def diff_policies(a: Path, b: Path, prompts: Sequence[PromptLine], settings: Any) -> PolicyDiff:
    """Decide every prompt under `a` and under `b`, each layered as `--config` is on `settings`; the live
    state (providers, budgets, breakers) and the time are read once, so only the policies differ."""
    from llm_router import router

    now = time.time()
    sides: list[list[Side]] = []
    revisions = []
    tiers: dict[str, None] = {}
    for path in (a, b):
        s = router.Settings(env=settings.env, cwd=settings.cwd, config=path)
        cp = router.load(s)
        state = router.live_state(cp, s, now)
        revisions.append(cp.revision)
        tiers.update(dict.fromkeys(cp.tiers))
        sides.append(_decide(prompts, s, cp, now, state))
    moved = [
        Moved(p.line, p.request.prompt, x, y)
        for p, x, y in zip(prompts, sides[0], sides[1], strict=True)
        if x.where() != y.where()
    ]
    return PolicyDiff(
        str(a), str(b), (revisions[0], revisions[1]), len(prompts), (sides[0], sides[1]), moved, tuple(tiers)
    )


def _decide(prompts: Iterable[PromptLine], settings: Any, cp: Any, now: float, state: Any) -> list[Side]:
    from llm_router import router

    return [
        Side.of(router.decide(p.request, settings=settings, policy=cp, now=now, state=state)) for p in prompts
    ]
