"""A new team policy repository (`llm-router policy init-team DIR`): a routing.yaml every member and every
LiteLLM Proxy replica layers on the built-in policy, its test suite, a prompt set for `policy diff`, and a CI
workflow that validates, tests and lints each change and shows which prompts it moves."""

from __future__ import annotations

import os
from pathlib import Path

from llm_router import __version__
from llm_router.policy.starter import schema_id

__all__ = ["FILES", "scaffold", "existing"]

ROUTING = r"""# yaml-language-server: $schema={routing_schema}
# The team's routing policy, layered on llm-router's built-in one. Each member adds
#   extends: [path/to/{name}]
# to ~/.llm-router/routing.yaml or to a project's .llm-router.yaml; LiteLLM Proxy replicas read it with
# LLM_ROUTER_CONFIG=path/to/{name}. CI (.github/workflows/policy.yml) validates, tests and lints each change
# and shows which prompts it moves. `llm-router policy show --config routing.yaml` prints the merged result.
version: 1

profile: balanced   # budget | balanced | premium: which list of each chain is used
policy: balanced    # aggressive | balanced | conservative: how readily prompts go to cheaper tiers

# Inside LiteLLM Proxy there is no host model to pass a prompt through to; passthrough decisions go here.
# gateway:
#   default_model: openai/gpt-4o-mini

# When any budget is 80% used, the built-in rule budget-pressure sends everything one tier cheaper.
budgets:
  - {id: team-openai-month, provider: openai, period: month, limit_usd: 200}

rules:
  - id: no-credentials
    description: Prompts that look like they carry a credential never reach a provider.
    when: "matches(prompt, r'(api[_-]?key|secret|password)\\s*[:=]\\s*\\S{6,}')"
    then:
      action: block
      message: "This prompt looks like it contains a credential; remove it and try again."
"""

SUITE = """\
# yaml-language-server: $schema={test_schema}
# The policy's own test suite: llm-router policy test tests --coverage
policy: ../routing.yaml
cases:
  - name: a trivial question goes to the simple tier
    prompt: "what is 2+2?"
    expect: {action: route, tier: simple, rule: by-difficulty}

  - name: a hard design question goes to the complex tier
    prompt: "design a distributed tracing strategy for 40 services"
    expect: {action: route, tier: complex, rule: by-difficulty}

  - name: a credential in the prompt is refused
    prompt: "why does this fail? api_key = sk-live-1234567890"
    expect: {action: block, rule: no-credentials}

  - name: 80% of the month's budget sends a hard prompt one tier down
    prompt: "design a distributed tracing strategy for 40 services"
    context: {budgets: {team-openai-month: {used_pct: 85}}}
    expect: {action: route, tier: moderate}

  - name: the claude prefix still reaches Claude in a coding tool
    prompt: "claude: review this design"
    context: {host: claude-code}
    expect: {action: passthrough, rule: explicit-claude}
"""

PROMPTS = """\
what is 2+2?
explain what a race condition is
rename the variable x to count in this function
write a unit test for a function that parses ISO dates
summarise this error: ModuleNotFoundError: No module named 'yaml'
refactor this class to use dependency injection
why does my recursive fibonacci take so long for n=40?
design a distributed tracing strategy for 40 services
prove that the square root of 2 is irrational
compare event sourcing and CRUD for an order service, with trade-offs
write a SQL query that finds duplicate email addresses
what changed in the latest Python release?
"""

WORKFLOW = """\
# Every change to the routing policy is validated, tested and linted; a pull request also shows which
# prompts of tests/prompts.txt it moves to another tier, chain or rule.
name: routing policy
on:
  push:
    branches: [main]
  pull_request:

jobs:
  policy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: install llm-router
        run: python -m pip install "llm-routing=={version}"
      - name: validate
        run: llm-router policy validate routing.yaml
      - name: test
        run: llm-router policy test tests --coverage
      - name: lint
        run: llm-router policy lint --config routing.yaml
      - name: what this change moves
        if: github.event_name == 'pull_request'
        run: |
          git worktree add "$RUNNER_TEMP/base" "origin/${{ github.base_ref }}"
          if [ -f "$RUNNER_TEMP/base/routing.yaml" ]; then
            llm-router policy diff "$RUNNER_TEMP/base" . --prompts tests/prompts.txt
          fi
"""

README = """\
# {name}: our team's routing policy

- `routing.yaml`: the policy, layered on llm-router's built-in one. Use it from your own
  `~/.llm-router/routing.yaml` (or a project's `.llm-router.yaml`) with `extends: [path/to/{name}]`;
  LiteLLM Proxy replicas read it with `LLM_ROUTER_CONFIG=path/to/{name}`.
- `tests/`: its test suite (`llm-router policy test tests --coverage`) and `prompts.txt`, the prompt set
  `llm-router policy diff OLD NEW --prompts tests/prompts.txt` routes under two versions of the policy.
- `.github/workflows/policy.yml`: CI runs `policy validate`, `policy test --coverage` and `policy lint` on
  every change, and `policy diff` against the base branch on every pull request.
"""

FILES = {
    "routing.yaml": ROUTING,
    "tests/routing.test.yaml": SUITE,
    "tests/prompts.txt": PROMPTS,
    ".github/workflows/policy.yml": WORKFLOW,
    "README.md": README,
}


def existing(folder: Path) -> list[Path]:
    """The files of a scaffold that already exist in `folder` (nothing is ever overwritten)."""
    return [folder / name for name in FILES if os.path.lexists(folder / name)]


def scaffold(folder: Path) -> list[Path]:
    """Write the scaffold into `folder` (created if missing) and return the files written. The caller checks
    `existing(folder)` first; a file that appeared meanwhile is still not overwritten (FileExistsError)."""
    values = {
        "name": folder.resolve().name,
        "version": __version__,
        "routing_schema": schema_id("routing"),  # the published address: the repository is shared
        "test_schema": schema_id("policy-test"),
    }
    written = []
    for name, template in FILES.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = template
        for key, value in values.items():
            text = text.replace("{" + key + "}", value)
        with open(target, "x", encoding="utf-8") as fh:  # "x": never overwrite
            fh.write(text)
        written.append(target)
    return written
