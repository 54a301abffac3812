"""The second-stage classifier (`classifier.llm`): when the heuristic is unsure, a cheap or local model is
asked for task, complexity and needs_workspace as strict JSON. `spec` and `answer` are pure; `stage` is the
I/O step `router.decide` runs between the heuristic and the policy evaluator (cache in usage.db, the model
call through LiteLLM, the usage row of its cost)."""

from llm_router.llmclassify.answer import BadAnswer, Verdict, parse, take_in
from llm_router.llmclassify.spec import LlmClassifier, compile_llm

__all__ = ["BadAnswer", "LlmClassifier", "Verdict", "compile_llm", "parse", "take_in"]
