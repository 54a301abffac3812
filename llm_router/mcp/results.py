"""The structured results of the MCP tools, as TypedDicts so that each tool advertises an output schema."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict  # pydantic needs it for nested TypedDicts before Python 3.12


class Classification(TypedDict):
    """What the classifier computed from a prompt."""

    tokens: int
    task: str
    complexity: str
    difficulty: float
    confidence: float
    needs_workspace: bool
    needs_tools: bool
    signals: list[str]


class Route(TypedDict):
    """A routing decision: which chain and tier, why, and the id to execute it by."""

    id: str
    action: str
    tier: str | None
    chain: list[str]
    usable: list[str]
    unusable: dict[str, str]
    executable: bool
    rule: str
    reason: str
    message: str
    task: str
    complexity: str
    confidence: float
    needs_workspace: bool
    needs_tools: bool
    profile: str
    policy: str
    enforce: str
    mode: str


class Answer(TypedDict):
    """The text a model produced, which model, and what it cost against the baseline. `restarts` lists the
    streamed answers that broke off (llm_stream), `warnings` what went wrong besides (usage not recorded)."""

    text: str
    model: str
    decision_id: str
    tier: str | None
    rule: str
    attempts: int
    cost_usd: float
    baseline_cost_usd: float
    restarts: list[dict[str, Any]]
    warnings: list[str]


class MediaAnswer(TypedDict, total=False):
    """Where a media result was saved, what it cost and which decision made it; or, for a job still
    running, `pending` with the `job_id` to resume it by."""

    path: str
    sidecar: str
    kind: str
    mime: str
    model: str
    cost_usd: float
    priced: bool
    decision_id: str
    attempts: int
    provider_job_id: str | None
    pending: bool
    job_id: str
    resume: str


class Report(TypedDict):
    """A report from the usage store or a health check, as the store or the check returned it."""

    report: dict[str, Any]


class ProviderInfo(TypedDict):
    """One provider llm-router knows and whether it is configured here."""

    name: str
    configured: bool
    kind: str
    free: bool
    how_to_configure: str


class Providers(TypedDict):
    """Every known provider, configured first."""

    providers: list[ProviderInfo]


class PolicyReport(TypedDict, total=False):
    """A summary or one section of the merged policy (show), a decision with its trace (explain), or
    validation problems (validate)."""

    action: str
    section: str
    revision: str
    sources: list[str]
    valid: bool
    problems: list[str]
    policy: dict[str, Any]
    provenance: dict[str, Any]
    decision: dict[str, Any]


class Mode(TypedDict):
    """The knobs this MCP session overrides and the values now in effect."""

    overrides: dict[str, str]
    effective: dict[str, str]
