"""What the llm_policy tool answers (a summary or one section of the merged policy, a prompt explained, or
validation problems) and which files it agrees to read: the policy files of the known layers, and routing
policies inside the working tree. Nothing of any other file reaches the model, not even in an error."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal, get_args

from mcp.server.mcpserver.exceptions import ToolError

from llm_router.mcp.results import PolicyReport
from llm_router.mcp.session import McpSession

Section = Literal[
    "summary", "knobs", "policies", "tiers", "chains", "models", "classifier", "budgets", "fallback", "rules"
]
KNOB_KEYS = ("version", "profile", "policy", "enforce", "mode", "claude_prefix", "baseline_model")
MAX_POLICY_BYTES = 1 << 20  # a routing policy is a few KB; anything bigger is not one
SUMMARY_RULES = 60  # rules listed in the summary (every one is in section `rules`)


def policy_report(
    session: McpSession, action: str, prompt: str | None, path: str | None, section: str | None
) -> PolicyReport:
    """Show a summary or a section of the merged policy, explain a prompt against it, or validate it."""
    from llm_router import router
    from llm_router.errors import PolicyError

    if section is not None and action != "show":
        raise ToolError(f"section applies to action show only, not {action}")
    settings = session.settings
    if path is not None:
        settings = router.Settings(env=settings.env, cwd=settings.cwd, config=readable_policy(session, path))
    if action == "show":
        from llm_router.policy.load import load_policy

        loaded = load_policy(env=settings.env, cwd=settings.cwd, config=settings.config, home=settings.home)
        return show(loaded, section or "summary")
    if action == "explain":
        if prompt is None:
            raise ToolError("explain needs a prompt")
        decision = router.decide(session.request(prompt), settings=settings, knobs=session.knobs)
        return PolicyReport(action=action, decision=decision.to_dict(full_trace=True))
    try:
        router.load(settings)
    except PolicyError as exc:
        return PolicyReport(action=action, valid=False, problems=[str(p) for p in exc.problems])
    return PolicyReport(action=action, valid=True, problems=[])


def show(loaded: Any, section: str) -> PolicyReport:
    """The summary (what decides, without the classifier's word lists) or one section, with where each of
    its values was written."""
    data, provenance = loaded.data, loaded.provenance()
    head = PolicyReport(
        action="show", section=section, revision=loaded.revision, sources=[s.name for s in loaded.sources]
    )
    if section == "knobs":
        part = {k: data[k] for k in KNOB_KEYS if k in data}
        where = {f"/{k}": provenance[f"/{k}"] for k in part if f"/{k}" in provenance}
        return head | PolicyReport(policy=part, provenance=where)
    if section != "summary":
        part = {section: data.get(section)}
        where = {p: w for p, w in provenance.items() if _under(p, f"/{section}", depth=2)}
        return head | PolicyReport(policy=part, provenance=where)
    return head | PolicyReport(policy=summary(data, provenance), provenance=_top_level(provenance))


def summary(data: dict[str, Any], provenance: dict[str, str]) -> dict[str, Any]:
    """The merged policy without the classifier's word lists; rules as id, condition, effect and place."""
    out = {k: v for k, v in data.items() if k not in ("classifier", "rules")}
    rules = data.get("rules") or []
    out["rules"] = [
        {
            "id": r.get("id"),
            "when": r.get("when"),
            "then": r.get("then"),
            **({"continue": True} if r.get("continue") else {}),
            "at": provenance.get(f"/rules/{i}", ""),
        }
        for i, r in enumerate(rules[:SUMMARY_RULES])
    ]
    if len(rules) > SUMMARY_RULES:
        out["rules_not_listed"] = len(rules) - SUMMARY_RULES
    classifier = data.get("classifier") or {}
    out["classifier"] = {
        "signals": len(classifier.get("signals") or []),
        "rules": len(classifier.get("rules") or []),
        "default_task": classifier.get("default_task"),
        "keys": sorted(classifier),
    }
    out["sections"] = list(get_args(Section))
    out["note"] = "this is a summary: ask for section=classifier, rules, chains, ... for a whole section"
    return out


def _under(pointer: str, root: str, depth: int) -> bool:
    if pointer != root and not pointer.startswith(root + "/"):
        return False
    return pointer[len(root) :].count("/") <= depth


def _top_level(provenance: dict[str, str]) -> dict[str, str]:
    return {p: w for p, w in provenance.items() if p.count("/") == 1 and not p.startswith("/classifier")}


def readable_policy(session: McpSession, path: str) -> Path:
    """The file `path` names, when llm_policy may read it: a policy file of a known layer, or a routing
    policy inside the working tree (symlinks resolved). A ToolError otherwise, naming no content."""
    given = Path(path).expanduser()
    real = (given if given.is_absolute() else session.cwd / given).resolve()
    if real in known_policy_files(session):
        return real
    tree = working_tree(session)
    refused = (
        f"llm_policy reads only the policy files of the known layers and routing policies (*.yaml) in the "
        f"working tree ({tree or 'none: the server runs in the root or home folder'}); {path!r} is neither"
    )
    if tree is None or not real.is_relative_to(tree) or real.suffix.lower() not in (".yaml", ".yml"):
        raise ToolError(refused)
    if not real.exists():
        raise ToolError(f"no file {path!r} in the working tree")
    if not real.is_file():
        raise ToolError(f"{path!r} is not a regular file")
    why_not = not_a_policy(real)
    if why_not:
        raise ToolError(f"{path!r} is not a routing policy: {why_not}")
    return real


def known_policy_files(session: McpSession) -> set[Path]:
    """The files of every layer the policy is read from now (extends included), resolved."""
    from llm_router import paths
    from llm_router.errors import RouterError
    from llm_router.policy.load import USER_FILE, find_project_file, load_policy

    settings = session.settings
    names = [settings.home / USER_FILE, find_project_file(settings.cwd), settings.config]
    names += sorted(paths.policies_dir().glob("*.yaml"))
    try:
        loaded = load_policy(env=settings.env, cwd=settings.cwd, config=settings.config, home=settings.home)
        names += [Path(s.name) for s in loaded.sources if not s.name.startswith("env:")]
    except (RouterError, OSError):
        pass  # an unreadable layer: the fixed places still count
    out = set()
    for name in names:
        if name is not None:
            p = Path(name).expanduser()
            out.add((p if p.is_absolute() else settings.cwd / p).resolve())
    return out


def working_tree(session: McpSession) -> Path | None:
    """The server's working folder, unless it is the root or the home folder (or above it): those hold far
    more than a project."""
    tree = session.cwd.resolve()
    home = Path(session.env.get("HOME") or os.path.expanduser("~")).resolve()
    if tree == Path(tree.anchor) or tree == home or tree in home.parents:
        return None
    return tree


def not_a_policy(path: Path) -> str:
    """Why the file is not a routing policy ('' when it is shaped like one), without quoting any of it:
    too big, not UTF-8 YAML, or a top level that is not a mapping of routing policy keys."""
    import yaml

    from llm_router import paths

    with path.open("rb") as f:
        raw = f.read(MAX_POLICY_BYTES + 1)
    if len(raw) > MAX_POLICY_BYTES:
        return f"larger than {MAX_POLICY_BYTES // 1024} KB"
    try:
        node = yaml.compose(raw.decode("utf-8"), Loader=yaml.SafeLoader)
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except RecursionError:
        return "nested too deeply"
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        return f"not valid YAML{where} (`llm-router policy validate` shows why)"
    if node is None:
        return ""
    schema = json.loads((paths.schemas_dir() / "routing.schema.json").read_text(encoding="utf-8"))
    keys = set(schema["properties"])
    if not isinstance(node, yaml.MappingNode) or not all(
        isinstance(k, yaml.ScalarNode) and k.value in keys for k, _ in node.value
    ):
        return "its top level is not a mapping of routing policy keys (see `llm-router policy schema`)"
    return ""
