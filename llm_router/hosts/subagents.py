"""Claude Code's subagent tool (`Task`; `Agent` in newer builds): run the subagent on the Claude model its
prompt needs, by the policy's decision on that prompt.

The PreToolUse hook rewrites the tool's `model` (haiku, sonnet or opus) through `updatedInput`, which replaces
the tool's whole input, so the rest of it is passed on unchanged. The tier or chain the one pipeline routes
the prompt to picks the model from `hosts.claude-code.subagent_models`. A model the caller named, or one the
agent's `.claude/agents/<subagent_type>.md` front matter pins, is respected. It never blocks: any error lets
the tool run as asked (the hook entry point logs it).
"""

from __future__ import annotations

import os
from _collections_abc import Mapping  # collections.abc without importing collections

from llm_router import fileio
from llm_router.hosts.protocol import Outcome

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TOOLS = frozenset({"Task", "Agent"})
MODELS = frozenset({"haiku", "sonnet", "opus"})  # what the tool's `model` accepts
FRONT_MATTER_BYTES = 8192  # the front matter sits at the top of the agent file; never read more
AGENT_FILE_LIMIT = 1 << 20  # an agent file larger than this is not one
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_QUOTES = "'\""


def _agent_name(agent: str) -> bool:
    """An agent name that can be a file name: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}."""
    return 0 < len(agent) <= 128 and agent[0] not in "_.-" and _NAME_CHARS.issuperset(agent)


def _model_line(front_matter: str) -> str:
    """The value of the first line that starts with `model:` (quotes around it dropped; up to a quote, a
    `#` or a space), "" when there is none."""
    for line in front_matter.split("\n"):
        if line.startswith("model:"):
            value = line[len("model:") :].lstrip(" \t")
            value = value[1:] if value[:1] in _QUOTES else value
            end = next(
                (i for i, c in enumerate(value) if c in _QUOTES or c == "#" or c.isspace()), len(value)
            )
            return value[:end]
    return ""


def agent_model(agent: str, folders: list[str]) -> str | None:
    """The `model:` of the first `<folder>/<agent>.md` found (project agents before the user's), or None."""
    if not _agent_name(agent):
        return None  # plugin agents (`plugin:name`) and anything odd: no file to read
    for folder in folders:
        try:  # a repository's agent file may be a fifo: refused unopened rather than waited on
            path = os.path.join(folder, f"{agent}.md")
            with fileio.open_bounded(path, limit=AGENT_FILE_LIMIT, what="agent file") as handle:
                head = handle.read(FRONT_MATTER_BYTES).decode("utf-8", "replace")
        except OSError:
            continue
        if not head.startswith("---"):
            return None
        end = head.find("\n---", 3)
        return _model_line(head[: end if end > 0 else len(head)]) or None
    return None


def pinned(tool_input: dict[str, Any], cwd: str, home: str) -> bool:
    """True when the subagent's model was chosen by someone: the caller, or the agent's own file."""
    explicit = tool_input.get("model")
    if isinstance(explicit, str) and explicit.strip():
        return True
    agent = tool_input.get("subagent_type")
    if not isinstance(agent, str):
        return False
    model = agent_model(
        agent, [os.path.join(cwd, ".claude", "agents"), os.path.join(home, ".claude", "agents")]
    )
    return model not in (None, "", "inherit")


def subagent_models(data: Any) -> dict[str, str]:
    """`hosts.claude-code.subagent_models` of the merged policy document."""
    for key in ("hosts", "claude-code", "subagent_models"):
        data = data.get(key) if isinstance(data, Mapping) else None
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, Mapping) else {}


def on_subagent(host: str, event: str, payload: dict[str, Any]) -> Outcome | None:
    """PreToolUse of Task/Agent: the subagent's model from the decision on its prompt, or None (leave it)."""
    tool_input = payload.get("tool_input")
    if not isinstance(tool_input, dict):
        return None
    prompt = tool_input.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return None
    cwd = payload.get("cwd")
    folder = cwd if isinstance(cwd, str) and os.path.isdir(cwd) else os.getcwd()
    if pinned(tool_input, folder, os.environ.get("HOME") or os.path.expanduser("~")):
        return None  # decided before the policy is even loaded

    from llm_router.hosts.handlers import decide_prompt
    from llm_router.router import load

    # The event is `subagent`, not PreToolUse: a subagent is an agent with the workspace and tools, so rules
    # that keep workspace prompts with the host's agent (workspace-in-host) do not apply to it.
    decision, _request, settings = decide_prompt(host, "subagent", payload, prompt)
    if decision.enforce == "off" or decision.action != "route" or decision.tier is None:
        return None
    if decision.enforce == "smart" and decision.confidence < decision.threshold:
        return None  # an unsure decision leaves the subagent as it was, as the prompt hook does
    model = subagent_models(load(settings).data).get(decision.tier)
    if model not in MODELS:
        return None  # `inherit`, or a tier the policy does not map
    why = (
        f"llm-router: subagent task routed to the {decision.tier} tier (rule {decision.rule}, "
        f"confidence {decision.confidence:.1f}/10): runs on {model}"
    )
    return Outcome(updated_input={**tool_input, "model": model}, why=why)
