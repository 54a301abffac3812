"""The hook handlers: one function per kind of host event, applying the enforcement mode to a Decision.

Enforcement (the policy's `enforce`, and `mode`):
- off: nothing at all.
- soft: context naming the routed tool and the chain; never blocks or holds.
- smart: a confident route gets context pointing at the query tool with the decision's id; question-type
  prompts hold heavy tools until that tool was used (giving up after a few denials); unsure prompts pass.
- hard: every route gets that context and holds every tool until routed.
- zero_claude: the prompt hook executes the decision itself and blocks with the answer.
With no usable provider nothing is ever blocked or held.
"""

from __future__ import annotations

import os
import time
from _thread import _local

from llm_router.hosts import session as sessions
from llm_router.hosts.protocol import QUERY_TOOL, Outcome

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from llm_router.decision import Decision, Request
    from llm_router.router import Settings

# Tasks that want an answer rather than work in the repository: smart mode holds heavy tools for these.
QUESTION_TASKS = frozenset({"query", "explain", "research", "math", "reasoning", "chat", "creative"})
# Tools that change things (Claude Code, Codex and Gemini names).
HEAVY_TOOLS = frozenset(
    {
        "Edit",
        "Write",
        "MultiEdit",
        "NotebookEdit",
        "Bash",
        "Task",
        "shell",
        "local_shell",
        "exec_command",
        "apply_patch",
        "write_file",
        "replace",
        "run_shell_command",
    }
)
MAX_DENIALS = {"smart": 3, "hard": 6}  # after this many denials in a turn, stop holding
SUBAGENT_TOOLS = ("Task", "Agent")  # Claude Code's subagent tool, by its old and new names


def settings_for(payload: dict[str, Any]) -> Settings:
    """Settings for the hook: this process's environment and the host's working directory."""
    from llm_router.router import Settings

    cwd = payload.get("cwd")
    folder = cwd if isinstance(cwd, str) and os.path.isdir(cwd) else os.getcwd()
    return Settings(env=os.environ, cwd=folder)  # a hook process never changes its environment: no copy


def _session(payload: dict[str, Any]) -> str:
    return str(payload.get("session_id") or "default")


# Set (`served.warm = True`) by the warm server around a hook event it handles for a hook process
# (/internal/hook): there the second-stage classifier (`classifier.llm`, which imports LiteLLM) may run, as it
# does for the server's other callers. A hook process is cold and never runs it. `served.warnings`, a list
# while the server handles such an event, collects the warnings the hook process prints on its stderr. Per
# thread: the server handles each event in a worker thread of its own.
served = _local()


def decide_prompt(
    host: str, event: str, payload: dict[str, Any], prompt: str
) -> tuple[Decision, Request, Settings]:
    """The one pipeline's decision for a prompt of this event."""
    from llm_router.decision import Request
    from llm_router.router import decide

    settings = settings_for(payload)
    request = Request(prompt, host, event, _session(payload), settings.cwd_dir)
    second_stage = getattr(served, "warm", False)
    return decide(request, settings=settings, second_stage=second_stage), request, settings


def _summary(decision: Decision) -> dict[str, Any]:
    return {
        "id": decision.id,
        "action": decision.action,
        "tier": decision.tier,
        "chain": list(decision.chain),
        "executable": decision.executable,
        "task": decision.task,
        "confidence": decision.confidence,
        "threshold": decision.threshold,
        "enforce": decision.enforce,
        "mode": decision.mode,
    }


def save_decision(decision: Decision, settings: Settings) -> bool:
    """Keep the decision so the query tool executes exactly it (without the prompt's text unless config.yaml
    says `store_prompts: true`): as a file in the home's decisions/ (no SQLite on the hook path), or in
    usage.db when the folder is full (moving the kept files in with it) or a file cannot be written. False
    (with a warning) when neither can take it."""
    from llm_router.providers.catalogue import store_prompts
    from llm_router.store import decision_files
    from llm_router.store.decisions import row_of

    home = settings.home_dir
    row = row_of(decision, keep_prompts=store_prompts(home))
    try:
        if decision_files.save(home, row):
            return True
    except OSError:
        pass  # usage.db may still take it
    from llm_router.store.db import Error, shared, write
    from llm_router.store.decisions import COLUMNS, INSERT

    path = os.path.join(home, "usage.db")
    try:
        # This process's connection (live_state may have opened it), left open on purpose: the hook process
        # ends without closing it, which spares a WAL checkpoint.
        conn = shared(path)
        decision_files.ingest_quietly(conn, home)
        with write(conn):
            conn.execute(INSERT, [row[c] for c in COLUMNS])
    except (Error, OSError) as exc:
        from pathlib import Path

        from llm_router.store.repair import warning

        warn(decision.host, "", warning(Path(path), exc, "the prompt was let through without routing"))
        return False
    return True


def pointer_text(host: str, decision: Decision, holding: str) -> str:
    """The context that points the host's model at the query tool for this decision."""
    chain = " -> ".join(decision.usable or decision.chain)
    tool = QUERY_TOOL.get(host, "llm_query")
    text = (
        f"llm-router routed this prompt (task {decision.task}, confidence {decision.confidence:.1f}/10) "
        f"to the {decision.tier} chain: {chain}. The tool {tool} answers it on that chain when called with "
        f'decision_id="{decision.id}"; its answer can be given to the user as the reply.'
    )
    if holding == "heavy":
        text += " Edit and shell tools stay unavailable for this prompt until that tool has been used."
    elif holding == "all":
        text += " Other tools stay unavailable for this prompt until that tool has been used."
    return text


def execute(decision: Decision, request: Request, settings: Settings) -> tuple[str | None, str, Any]:
    """Run the decision through its chain: (answer, model, result), or (None, error message, None)."""
    import gc

    gc.enable()  # off while a hook process decides (`hook.run`); LiteLLM's import and a model call want it
    from llm_router.errors import ProviderError
    from llm_router.router import run

    try:
        result = run(decision, request, settings=settings)
    except ProviderError as exc:
        return None, f"every provider of the {decision.tier} chain failed: {exc}", None
    for warning in result.warnings:  # the answer stands; the user finds this in hooks.log and `doctor`
        warn(request.host, request.event, warning)
    return str(result.text), str(getattr(result, "model", "") or ""), result


def warn(host: str, event: str, message: str) -> None:
    """A problem the hook survived: one line on stderr and an entry in hooks.log."""
    import sys

    from llm_router.hosts.hook import log_error

    pending = getattr(served, "warnings", None)
    if pending is not None:  # handled on the warm server for a hook process: that process prints it
        pending.append(message)
    else:
        sys.stderr.write(f"llm-router hook: warning: {message}\n")
    log_error(host, event, f"warning: {message}")


def claude_prefixed(prompt: str, settings: Settings) -> bool:
    """True when the prompt asks for the host's own model (the policy's claude_prefix)."""
    from llm_router.policy.meter import starts_with
    from llm_router.router import load

    prefix = str(load(settings).claude_prefix or "")
    return bool(prefix) and starts_with(prompt, prefix)


def on_prompt(host: str, event: str, payload: dict[str, Any]) -> Outcome | None:
    """UserPromptSubmit (Claude Code, Codex) and BeforeAgent (Gemini): decide, then apply the enforcement."""
    prompt = payload.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return None
    decision, request, settings = decide_prompt(host, event, payload, prompt)
    sid = _session(payload)
    turn: dict[str, Any] = {
        "decision": _summary(decision),
        "prompt_chars": len(prompt),
        "prompt_hash": sessions.prompt_hash(prompt, host, sid),
    }
    counts: dict[str, int] = {"prompts": 1}
    outcome = _apply(host, decision, request, settings, turn, counts)  # may call a model: outside the lock
    try:
        with sessions.update(host, sid) as state:
            started = sessions.new_turn(state, turn)
            state.clear()
            state.update(started)
            for key, n in counts.items():
                sessions.count(state, key, n)
    except OSError as exc:  # a full or read-only disk: the outcome (maybe a paid answer) still goes out
        warn(host, event, f"session state not saved ({exc})")
        answer = turn.get("answer")
        if answer:  # Gemini would have taken it from the session at BeforeModel: give it now instead
            return Outcome(block=f"[answered by {answer['model']} via llm-router]\n\n{answer['text']}")
    return outcome


def on_prompt_via_gateway(host: str, event: str, payload: dict[str, Any]) -> Outcome | None:
    """The prompt hook of a host installed with --gateway: the gateway routes every request, so no llm_query
    advice, no tool holds and no zero_claude answer here (nothing is routed twice); a policy's block or
    suggestion still reaches the user before the turn starts."""
    prompt = payload.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return None
    decision, _request, _settings = decide_prompt(host, event, payload, prompt)
    if decision.enforce == "off":
        return None
    return _block_or_suggest(decision)


def _block_or_suggest(decision: Decision) -> Outcome | None:
    """What a block or suggest decision shows; None for any other action."""
    if decision.action == "suggest":
        return Outcome(context=decision.message or decision.reason)
    if decision.action == "block":
        text = decision.message or decision.reason or "blocked by the routing policy"
        if decision.enforce in ("smart", "hard"):
            return Outcome(block=f"llm-router: {text}")
        return Outcome(context=text)
    return None


def _add(counts: dict[str, int], key: str, n: int = 1) -> None:
    counts[key] = counts.get(key, 0) + n


def _apply(
    host: str,
    decision: Decision,
    request: Request,
    settings: Settings,
    turn: dict[str, Any],
    counts: dict[str, int],
) -> Outcome | None:
    """The outcome of a decision under its enforcement; what the new turn holds goes into `turn`, what the
    session's counters gain into `counts`."""
    enforce = decision.enforce
    if enforce == "off" or decision.action == "passthrough":
        return None
    if decision.action in ("suggest", "block"):
        return _block_or_suggest(decision)
    if decision.action != "route" or not decision.executable:
        return None  # no usable provider: never block, never hold
    if decision.mode == "zero_claude" and not claude_prefixed(request.prompt, settings):
        answer, model, result = execute(decision, request, settings)
        _add(counts, "answered" if answer is not None else "failed")
        if result is not None:
            _add(counts, "spent_micro_usd", round(result.cost_usd * 1e6))
            _add(counts, "saved_micro_usd", round(result.saved_usd * 1e6))
        if answer is None:
            return Outcome(
                block=f"llm-router (zero_claude): {model}. Start the prompt with "
                f"{load_prefix(settings)!r} to have the host's own model answer it."
            )
        if host == "gemini-cli":  # BeforeModel hands the answer over in place of Gemini's own response
            turn["answer"] = {"text": answer, "model": model, "usage": _usage(result)}
            return None
        return Outcome(block=f"[answered by {model} via llm-router]\n\n{answer}")
    confident = decision.confidence >= decision.threshold
    if enforce == "smart" and not confident:
        return None
    holding = "none"
    if host != "gemini-cli" and enforce == "hard":
        holding = "all"
    elif host != "gemini-cli" and enforce == "smart" and decision.task in QUESTION_TASKS:
        holding = "heavy"
    if not save_decision(decision, settings):
        return None  # the query tool could not find this decision: leave the prompt to the host
    _add(counts, "routed")
    turn["hold"] = None if holding == "none" else holding
    turn["max_denials"] = MAX_DENIALS.get(enforce, 0)
    return Outcome(context=pointer_text(host, decision, holding))


def _usage(result: Any) -> dict[str, int]:
    return {"input_tokens": int(result.tokens_in or 0), "output_tokens": int(result.tokens_out or 0)}


def load_prefix(settings: Settings) -> str:
    """The policy's claude_prefix."""
    from llm_router.router import load

    return str(load(settings).claude_prefix or "claude:")


def is_router_tool(tool: str) -> bool:
    """True for llm-router's own MCP tools, under any host's naming."""
    return tool.startswith(("mcp__llm-router__", "mcp_llmrouter_", "llm-router__", "llm-router."))


def on_pre_tool(host: str, event: str, payload: dict[str, Any]) -> Outcome | None:
    """PreToolUse: hold tools back until the routed tool was used, when the turn asked for it; for Claude
    Code's subagent tool, pick the subagent's model. Every other tool costs one small state read."""
    held = _hold(host, payload)
    if held is not None:
        return held
    if host == "claude-code" and payload.get("tool_name") in SUBAGENT_TOOLS:
        from llm_router.hosts.subagents import on_subagent

        return on_subagent(host, event, payload)
    return None


def _hold(host: str, payload: dict[str, Any]) -> Outcome | None:
    sid = _session(payload)
    turn = sessions.holding(sessions.load(host, sid))  # most tool calls end here, without a lock
    tool = str(payload.get("tool_name") or "")
    router_tool = is_router_tool(tool)
    if turn is None or (turn["hold"] == "heavy" and tool not in HEAVY_TOOLS and not router_tool):
        return None
    with sessions.update(host, sid) as state:  # parallel tool hooks each count their own denial
        turn = sessions.holding(state)
        if turn is None:
            return None
        if router_tool:
            turn["routed"] = True
            sessions.count(state, "queried")
            return None
        if int(turn.get("denials", 0)) >= int(turn.get("max_denials", 3)):
            return None  # gave up holding for this turn
        turn["denials"] = int(turn.get("denials", 0)) + 1
        denials, most = turn["denials"], turn.get("max_denials")
        decision = turn.get("decision") or {}
    return Outcome(
        deny=f"llm-router holds {tool} for this prompt: it was routed to the {decision.get('tier')} chain. "
        f'Call {QUERY_TOOL.get(host, "llm_query")} with decision_id="{decision.get("id")}" first '
        f"(hold {denials} of {most} this turn)."
    )


def on_session_start(host: str, event: str, payload: dict[str, Any]) -> Outcome | None:
    """SessionStart: one status line (mode, enforcement, usable providers)."""
    from llm_router.providers.catalogue import configured, how_to_configure, provider_of
    from llm_router.router import load

    settings = settings_for(payload)
    cp = load(settings)
    sessions.prune()
    if cp.enforce == "off":
        return None
    in_chains = {
        provider_of(m) for profiles in cp.chains.values() for models in profiles.values() for m in models
    }
    usable = sorted(configured(settings.env, cwd=settings.cwd_dir, home=settings.home_dir) & in_chains)
    head = f"llm-router: enforce {cp.enforce}, mode {cp.mode}, profile {cp.profile}, policy {cp.policy}"
    if usable:
        line = f"{head}; providers usable: {', '.join(usable)}."
    else:
        hints = "; ".join(how_to_configure(p) for p in ("openai", "gemini", "ollama"))
        line = f"{head}; no provider configured ({hints}), so every prompt stays with this tool's own model."
    return Outcome(context=line, notice=line)


def on_session_start_via_gateway(host: str, event: str, payload: dict[str, Any]) -> Outcome | None:
    """SessionStart of a host installed with --gateway: one status line, and a warning when the gateway does
    not answer (every request of the host fails until it runs)."""
    from llm_router.hosts import gateway_link
    from llm_router.router import load

    settings = settings_for(payload)
    cp = load(settings)
    sessions.prune()
    serving = gateway_link.read_serve_file(settings.home) or {}
    url = str(settings.env.get("ANTHROPIC_BASE_URL") if host == "claude-code" else "") or str(
        serving.get("url") or gateway_link.DEFAULT_URL
    )
    up, detail = gateway_link.probe(url, token=gateway_link.probe_token(url, serving))
    if not up:
        line = (
            f"llm-router: the gateway is not answering ({detail}), so this tool's requests will fail; "
            f"start it with `{gateway_link.start_hint(url)}`."
        )
        return Outcome(context=line, notice=line)
    if cp.enforce == "off":
        return None
    line = (
        f"llm-router: requests go through the gateway at {url}, which routes each one; enforce {cp.enforce}, "
        f"mode {cp.mode}, profile {cp.profile}, policy {cp.policy}."
    )
    return Outcome(context=line, notice=line)


def on_session_end(host: str, event: str, payload: dict[str, Any]) -> Outcome | None:
    """SessionEnd / Stop: a short report of the session from its state file (no policy load)."""
    sid = _session(payload)
    state = sessions.load(host, sid)
    turn = state.get("turn")
    if isinstance(turn, dict) and turn.get("hold"):
        with sessions.update(host, sid) as current:
            turn = current.get("turn")
            if isinstance(turn, dict):
                turn["hold"] = None  # the turn is over: release any hold
            state = dict(current)
    if event == "Stop":
        return None
    counts = state.get("counts") or {}
    if not counts.get("prompts"):
        return None
    report = (
        f"llm-router session: {counts.get('prompts', 0)} prompts, {counts.get('routed', 0)} routed, "
        f"{counts.get('queried', 0)} sent to llm_query, {counts.get('answered', 0)} answered directly"
    )
    if counts.get("failed"):
        report += f", {counts['failed']} failed"
    if counts.get("answered"):
        spent, saved = counts.get("spent_micro_usd", 0) / 1e6, counts.get("saved_micro_usd", 0) / 1e6
        report += f"; ${spent:.4f} spent, ${saved:.4f} saved against the baseline"
    report += "."
    try:
        with sessions.update(host, sid) as current:
            current["report"] = {"text": report, "at": time.time()}
    except OSError as exc:  # the report is shown all the same
        warn(host, event, f"session state not saved ({exc})")
    return Outcome(notice=report)
