"""The starter policy `llm-router policy init` writes, opening with the line that tells editors (VS Code's
YAML extension and any yaml-language-server client) which JSON Schema completes and checks it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from llm_router import paths
from llm_router.errors import RouterError

SCHEMAS = {"routing": "routing.schema.json", "policy-test": "policy-test.schema.json"}
MODELINE = "# yaml-language-server: $schema="

STARTER = """\
# Your layer of the llm-router policy, on top of the built-in one: hold only what you change.
# See the result:   llm-router policy show
# Check it:         llm-router policy validate
# Try a prompt:     llm-router policy explain "fix this flaky test"
version: 1

# profile: balanced      # budget | balanced | premium: which list of each chain is used
# policy: balanced       # aggressive | balanced | conservative: how readily prompts go to cheap tiers
# enforce: smart         # smart | hard | soft | off: how hooks in your coding tool apply decisions
# mode: normal           # zero_claude: the host's Claude answers only prompts starting with "claude:"

# Replace one chain (cheapest first) for every profile:
# chains:
#   simple: [ollama/llama3.1, gemini/gemini-2.5-flash-lite, openai/gpt-4o-mini]

# Spend limits, from the local usage log:
# budgets:
#   - {id: openai-month, provider: openai, period: month, limit_usd: 20}

# Your rules go before the built-in ones; `{id: X, disabled: true}` removes built-in rule X:
# rules:
#   - id: sql-to-moderate
#     when: "matches(prompt, r'\\\\bsql\\\\b') and tier == 'simple'"
#     then: {route: moderate, reason: SQL goes at least to the moderate tier}
"""


def schema_path(name: str = "routing") -> Path:
    """The installed JSON Schema `name` (routing or policy-test)."""
    return paths.schemas_dir() / SCHEMAS[name]


def schema_id(name: str = "routing") -> str:
    """The `$id` of JSON Schema `name`: the address it is published at."""
    return str(json.loads(schema_path(name).read_text(encoding="utf-8"))["$id"])


def modeline(shared: bool) -> str:
    """The editor's schema line: the published `$id` for a file others share (a project's file is
    committed), else this installation's own schema file (it matches the installed version, offline)."""
    return MODELINE + (schema_id() if shared else str(schema_path()))


def starter(shared: bool) -> str:
    """The whole starter policy."""
    return modeline(shared) + "\n" + STARTER


def write_new(path: Path, text: str, private: bool) -> None:
    """Create `path` holding `text`; never replaces a file. `private`: mode 0600 in a 0700 folder (the
    files under ~/.llm-router are the user's alone)."""
    if private:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    except FileExistsError:
        raise RouterError(
            f"{path} already exists; it was left as it is (edit it, or remove it first)"
        ) from None
    except OSError as exc:
        raise RouterError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
