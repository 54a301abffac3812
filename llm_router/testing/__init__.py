"""Test helpers for llm-router and for team policy repos (see `provider` and `helpers`).

`FakeProvider` is a model provider on 127.0.0.1 with scripted faults; `make_decision` and `route` build and
take decisions. New stand-ins (media endpoints, queues) go in their own modules of this package.
"""

from llm_router.testing.helpers import make_decision, route
from llm_router.testing.provider import STEPS, FakeProvider, Seen

__all__ = ["STEPS", "FakeProvider", "Seen", "make_decision", "route"]
