"""The `classifier.llm` section compiled: which models the second-stage classifier asks, with which versioned
instructions, and within which time and cost bounds. Pure apart from reading the instructions file, bounded,
once when the policy is compiled (as the classifier's lexicon is)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from llm_router import fileio, paths
from llm_router.policy.problems import Issue

ROOT = "/classifier/llm"
PLACEHOLDER = "{prompt}"
TEMPLATE_LIMIT = 64 << 10  # the instructions file
DEFAULT_PROMPT = "builtin:classifier-llm-v1"
_KEYS = {
    "enabled",
    "models",
    "prompt",
    "below_confidence",
    "timeout_s",
    "max_cost_usd",
    "max_tokens",
    "max_prompt_chars",
}


class LlmClassifier(NamedTuple):
    """The second stage as the policy asks for it (compiled only when `enabled: true`)."""

    models: tuple[str, ...]
    prompt_name: str  # what the policy named, e.g. builtin:classifier-llm-v1
    template: str  # the instructions, with PLACEHOLDER where the prompt goes
    below_confidence: float = 5.0
    timeout_s: float = 5.0
    max_cost_usd: float = 0.001
    max_tokens: int = 100
    max_prompt_chars: int = 6000

    @property
    def version(self) -> str:
        """The instructions' name and content hash: a cached answer is reused only for the same ones."""
        digest = hashlib.sha256(self.template.encode("utf-8")).hexdigest()[:12]
        return f"{self.prompt_name}@{digest}"

    def message(self, prompt: str) -> str:
        """The text sent to the model: the instructions with the (cut) prompt in place."""
        return self.template.replace(PLACEHOLDER, prompt[: self.max_prompt_chars], 1)


def compile_llm(section: Any) -> tuple[LlmClassifier | None, list[Issue]]:
    """The compiled second stage (None when the section is absent or not enabled), with every problem."""
    issues: list[Issue] = []
    if section is None:
        return None, issues
    if not isinstance(section, Mapping):
        return None, [Issue(ROOT, "bad-type", "expected a mapping")]
    for key in section:
        if key not in _KEYS:
            issues.append(
                Issue(
                    f"{ROOT}/{key}",
                    "unknown-key",
                    f"unknown key {key!r}",
                    "known: " + ", ".join(sorted(_KEYS)),
                )
            )
    enabled = section.get("enabled", False)
    if not isinstance(enabled, bool):
        issues.append(Issue(f"{ROOT}/enabled", "bad-type", f"expected true or false, got {enabled!r}"))
    models = _models(section.get("models"), issues)
    numbers = {
        "below_confidence": _number(section, "below_confidence", 5.0, 0.0, 11.0, issues),
        "timeout_s": _number(section, "timeout_s", 5.0, 0.001, 60.0, issues),
        "max_cost_usd": _number(section, "max_cost_usd", 0.001, 0.0, 1000.0, issues),
        "max_tokens": int(_number(section, "max_tokens", 100, 16, 2000, issues)),
        "max_prompt_chars": int(_number(section, "max_prompt_chars", 6000, 100, 200_000, issues)),
    }
    ref = section.get("prompt", DEFAULT_PROMPT)
    if enabled is not True:
        return None, issues
    if not models and "models" not in section:
        issues.append(
            Issue(
                f"{ROOT}/models",
                "missing",
                "an enabled second stage needs `models`",
                "e.g. [ollama/qwen3:8b]",
            )
        )
    template = _template(ref, issues)
    if issues or template is None:
        return None, issues
    return LlmClassifier(models, str(ref), template, **numbers), issues  # type: ignore[arg-type]


def _models(value: Any, issues: list[Issue]) -> tuple[str, ...]:
    from llm_router.providers.table import PROVIDERS, provider_of

    if value is None:
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(m, str) and "/" in m for m in value):
        issues.append(
            Issue(
                f"{ROOT}/models",
                "bad-type",
                "expected a non-empty list of model ids",
                "e.g. [ollama/qwen3:8b]",
            )
        )
        return ()
    for i, model in enumerate(value):
        provider = PROVIDERS.get(provider_of(model))
        if provider is None:
            issues.append(
                Issue(f"{ROOT}/models/{i}", "unknown-provider", f"no provider is known for {model!r}")
            )
        elif provider.kind == "command":
            issues.append(
                Issue(
                    f"{ROOT}/models/{i}",
                    "bad-model",
                    f"{model!r} runs a command; the second stage calls an API",
                )
            )
    return tuple(value)


def _number(
    m: Mapping[str, Any], key: str, default: float, low: float, high: float, issues: list[Issue]
) -> float:
    value = m.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        issues.append(Issue(f"{ROOT}/{key}", "bad-type", f"expected a number, got {value!r}"))
        return default
    if not low <= value <= high:
        issues.append(Issue(f"{ROOT}/{key}", "out-of-range", f"{value} is outside {low}..{high}"))
        return default
    return float(value)


_BUILTIN_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")  # a file of policies/, never a path


def _template(ref: Any, issues: list[Issue]) -> str | None:
    """The instructions named by `prompt`: builtin:NAME (policies/NAME.txt) or an absolute path."""
    at = f"{ROOT}/prompt"
    if not isinstance(ref, str) or not ref:
        issues.append(Issue(at, "bad-type", "expected builtin:NAME or an absolute path"))
        return None
    if ref.startswith("builtin:"):
        name = ref[len("builtin:") :]
        if not _BUILTIN_NAME.fullmatch(name):
            issues.append(
                Issue(at, "bad-prompt", f"{ref!r}: a built-in name is letters, digits, '.', '-' and '_' only")
            )
            return None
        path = paths.policies_dir() / (name if name.endswith(".txt") else f"{name}.txt")
    else:
        path = Path(ref).expanduser()
        if not path.is_absolute():
            issues.append(
                Issue(at, "relative-path", f"{ref!r} is relative", "use builtin:NAME or an absolute path")
            )
            return None
    try:
        text = fileio.read_bounded(path, limit=TEMPLATE_LIMIT, what="classifier prompt").decode("utf-8")
    except fileio.RefusedFile as exc:
        issues.append(Issue(at, "bad-prompt", f"cannot read {path}: it {exc.reason}"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        issues.append(Issue(at, "bad-prompt", f"cannot read {path}: {exc}"))
        return None
    if text.count(PLACEHOLDER) != 1:
        issues.append(
            Issue(at, "bad-prompt", f"{path} must hold {PLACEHOLDER} exactly once (where the prompt goes)")
        )
        return None
    return text


def template_file(ref: str) -> Path:
    """The file `prompt` names: builtin:NAME is policies/NAME.txt, anything else a path (~ expanded)."""
    if ref.startswith("builtin:"):
        name = ref[len("builtin:") :]
        return paths.policies_dir() / (name if name.endswith(".txt") else f"{name}.txt")
    return Path(ref).expanduser()
