"""Feature extraction driven by the classifier section of the policy: pure, no I/O.

`compile_classifier` (which imports `re`) is loaded on first use: a process that reads a compiled policy from
the cache only ever needs `Classifier`.
"""

from __future__ import annotations

from llm_router.classify._classifier import Classifier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from llm_router.classify._compile import compile_classifier

__all__ = ["Classifier", "compile_classifier"]


def __getattr__(name: str) -> object:
    if name == "compile_classifier":
        from llm_router.classify._compile import compile_classifier

        return compile_classifier
    raise AttributeError(f"module 'llm_router.classify' has no attribute {name!r}")
