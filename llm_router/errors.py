"""The exception tree. Each error knows the exit code the CLI gives for it, and the `code` its JSON error has.

RouterError                  exit 1: anything the router reports as a plain failure
├── PolicyError              exit 3: an invalid policy; carries every located Problem
├── PolicyTestFailed         exit 4: `policy test` ran and some case failed
├── ProviderError            exit 5: every model of a chain failed, or none could be tried
│   └── BudgetExceeded       exit 6: a budget rules out every model that could answer
├── HostConfigError          exit 7: a host's own settings file cannot be read or written safely
└── StoreError               exit 1: usage.db cannot be read (a report needs it); the message says the fix
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from llm_router.policy.problems import Problem


class RouterError(Exception):
    """Root of every error llm-router reports on purpose."""

    exit_code = 1
    code = "failed"


class PolicyError(RouterError):
    """A policy that cannot be loaded: every problem found, each with file, line, column and pointer."""

    exit_code = 3
    code = "invalid-policy"

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid policy")


class PolicyTestFailed(RouterError):
    """Some case of a policy test suite did not get what it expected."""

    exit_code = 4
    code = "policy-tests-failed"


class ProviderError(RouterError):
    """No model of the chain produced an answer."""

    exit_code = 5
    code = "providers-failed"


class BudgetExceeded(ProviderError):
    """Budgets rule out every model that could have answered."""

    exit_code = 6
    code = "budget-exhausted"


class HostConfigError(RouterError):
    """A host's settings file is unreadable, or writing it would lose the user's content."""

    exit_code = 7
    code = "host-settings-unreadable"


class StoreError(RouterError):
    """usage.db cannot be read or written; the message names the file and how to repair it."""

    exit_code = 1
    code = "store-unusable"
