"""Feature extraction driven by the classifier section of the policy: pure, no I/O."""

from llm_router.classify._classifier import Classifier
from llm_router.classify._compile import compile_classifier

__all__ = ["Classifier", "compile_classifier"]
