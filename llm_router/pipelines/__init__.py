"""Multi-step pipelines as data (`pipelines/*.yaml`): a step's prompt is a small safe template over the
run's inputs and earlier steps' outputs, optionally fanning out over a list; the last step synthesises.
Each call is decided and executed through the one pipeline, so the policy routes it and usage is recorded
per step. Built-ins: research, code-review, doc-draft."""

from llm_router.pipelines.run import InputError, Run, run
from llm_router.pipelines.spec import Pipeline, Step, available, ignored, load, load_file

__all__ = ["InputError", "Pipeline", "Run", "Step", "available", "ignored", "load", "load_file", "run"]
