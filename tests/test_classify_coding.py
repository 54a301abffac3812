"""What coding tools send, by kind of work: the built-in classifier's tiers, tasks and workspace needs.

Specifications of the vocabulary in policies/classifier.yaml, written for these tests (not lines of the
development sets): a lookup or the explanation of one thing is simple; an implementation, fix, refactor or
test request about named code, or a text about the work, is moderate; architecture and trade-offs,
debugging across components, security reviews and large migrations are complex; proofs are
deep_reasoning. The order holds in `difficulty` itself, so every preset's cutoffs keep it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from llm_router.classify import Classifier, compile_classifier

BUILTIN = Path(__file__).resolve().parents[1] / "policies" / "classifier.yaml"

LOOKUPS = [
    "what does `git rebase -i` do",
    "what port does redis listen on by default",
    "difference between a mutex and a semaphore in go?",
    "how do I list docker volumes",
    "whats the difference between useEffect and useLayoutEffect, short answer",
    "kubectl: show logs of the previous container of a pod",
    "what does this error mean?\n```\nTypeError: 'NoneType' object is not subscriptable\n  at line 12\n```",
]
CHANGES_TO_NAMED_CODE = [
    "refactor this endpoint to use dependency injection",
    "add a --verbose flag to the cli in cmd/sync/main.go",
    "convert the callbacks in storage.js to async/await",
    "write unit tests for parse_invoice in billing/parser.py, cover empty and malformed input",
    "add pagination to the GET /orders endpoint, same cursor style as /users",
    "write a migration that adds an index on orders.created_at",
    "fix the null pointer in auth.py when the session cookie is missing",
]
TEXTS_ABOUT_THE_WORK = [
    "write release notes for v3.2: faster sync, fixed the login redirect bug, dropped node 16",
    "draft a standup update: finished the caching PR yesterday, starting on the search index today, "
    "blocked on staging creds",
]
COMPLEX_WORK = [
    "evaluate whether we should move our 20 internal services from REST to gRPC. We run everything on EKS, "
    "two teams own most of the services, a few calls cross regions, and the Python services still use "
    "requests with hand-written clients; what would we gain, what breaks, and how would we roll it out?",
    "our checkout service and the payments service disagree on order state after retries: intermittent "
    "502s between the api gateway and payments, only in prod, about 1 in 2000 requests since last week's "
    "deploy. Retries happen in the gateway and in the client library. Where would you look first?",
    "security review of our JWT auth middleware and the refresh token flow across the api and the worker "
    "services: token validation gaps, alg confusion, how refresh tokens are rotated and revoked, and what "
    "an attacker with one leaked token could reach",
    "plan the migration of our monorepo from python 3.8 to 3.12 across ~300 files, including the C "
    "extensions and the pinned dependencies that do not support 3.12 yet; order of steps and how we keep "
    "main releasable while it happens",
]
PROOFS = [
    "prove that our lock-free queue's enqueue and dequeue are linearizable, and state the invariants",
    "Our scheduler runs jobs in order of deadline on one worker. Prove, with an exchange argument, that "
    "this minimises the maximum lateness.",
]


@pytest.fixture(scope="module")
def clf() -> Classifier:
    section: dict[str, Any] = yaml.safe_load(BUILTIN.read_text())["classifier"]
    classifier, issues = compile_classifier(section)
    assert issues == []
    return classifier


@pytest.mark.parametrize("prompt", LOOKUPS)
def test_a_lookup_or_the_explanation_of_one_thing_is_simple(clf: Classifier, prompt: str) -> None:
    assert clf.classify(prompt).complexity == "simple"


@pytest.mark.parametrize("prompt", CHANGES_TO_NAMED_CODE)
def test_a_change_to_named_code_is_moderate(clf: Classifier, prompt: str) -> None:
    assert clf.classify(prompt).complexity == "moderate"


@pytest.mark.parametrize("prompt", TEXTS_ABOUT_THE_WORK)
def test_a_text_about_the_work_is_moderate_writing(clf: Classifier, prompt: str) -> None:
    f = clf.classify(prompt)
    assert (f.complexity, f.task) == ("moderate", "generate")


@pytest.mark.parametrize("prompt", COMPLEX_WORK)
def test_architecture_cross_component_debugging_security_and_migrations_are_complex(
    clf: Classifier, prompt: str
) -> None:
    assert clf.classify(prompt).complexity == "complex"


@pytest.mark.parametrize("prompt", PROOFS)
def test_a_proof_is_deep_reasoning(clf: Classifier, prompt: str) -> None:
    assert clf.classify(prompt).complexity == "deep_reasoning"


def test_the_kinds_of_work_are_ordered_in_difficulty_itself(clf: Classifier) -> None:
    levels = [LOOKUPS, CHANGES_TO_NAMED_CODE + TEXTS_ABOUT_THE_WORK, COMPLEX_WORK, PROOFS]
    scores = [[clf.classify(p).difficulty for p in level] for level in levels]
    for lower, higher in zip(scores, scores[1:], strict=False):
        assert max(lower) < min(higher)


def test_a_small_self_contained_program_is_not_complex(clf: Classifier) -> None:
    assert clf.classify("write fizzbuzz in python").complexity in ("simple", "moderate")


@pytest.mark.parametrize(
    "prompt",
    [
        "what's the latest stable version of terraform?",
        "is python 3.9 end of life yet?",
        "any recent CVEs in nginx we should patch?",
        "is create-react-app still the recommended way to start a react project in 2026?",
        "current pricing for GitHub Actions larger runners",
        "has anything changed in the last 3 months in how npm handles provenance?",
    ],
)
def test_a_question_about_current_facts_is_research(clf: Classifier, prompt: str) -> None:
    assert clf.classify(prompt).task == "research"


@pytest.mark.parametrize(
    "prompt",
    [
        "The bus leaves at 8:30 and the walk takes 25 minutes. What's the latest I could have left?",
        "write an incremental model that keeps the row with the latest updated_at per id",
        "Which part of the brain is the newest in evolutionary terms?\nA. pons\nB. cerebral cortex",
    ],
)
def test_latest_and_newest_alone_are_not_research(clf: Classifier, prompt: str) -> None:
    assert clf.classify(prompt).task != "research"


@pytest.mark.parametrize(
    "prompt",
    [
        "is Spring Boot 2.7 still getting security patches?",
        "did PyTorch drop support for Python 3.8?",
        "has Hibernate 7 shipped yet",
        "any new CVEs for log4j this year?",
        "pricing of GitHub Copilot for business now",
        "where does Project Valhalla stand for Java value classes?",
        "Did Oracle change the licensing of the JDK again recently?",
    ],
)
def test_an_implicit_question_about_current_facts_is_research(clf: Classifier, prompt: str) -> None:
    assert clf.classify(prompt).task == "research"


@pytest.mark.parametrize(
    "prompt",
    [
        "bump log4j to 2.17.1 in pom.xml",
        "upgrade the project from Java 11 to Java 21 and fix what breaks",
        "the export job currently retries forever; make it give up after 5 attempts",
        "how do i see which jdk maven is using right now",
        "Tom is 3 times as old as his son. In 10 years he will be twice as old. How old is the son now?",
        "Why did the Beethoven quartets baffle listeners then, and why are they revered now?",
    ],
)
def test_a_prompt_that_mentions_versions_years_or_now_is_not_research(clf: Classifier, prompt: str) -> None:
    assert clf.classify(prompt).task != "research"


@pytest.mark.parametrize(
    "prompt",
    [
        "convert OrderService to constructor injection, no behaviour change",
        "rename getCustomer to findCustomer across the module and update the callers",
        "extract the retry logic in HttpClientWrapper into a helper, keep the public API identical",
    ],
)
def test_a_change_that_keeps_behaviour_is_a_refactor(clf: Classifier, prompt: str) -> None:
    f = clf.classify(prompt)
    assert (f.task, f.complexity) == ("refactor", "moderate")


@pytest.mark.parametrize(
    "prompt",
    [
        "our Spring Boot app's p99 doubled after moving to virtual threads. where do I look?",
        "training loss goes NaN after ~2k steps with bf16 on 8 GPUs, only with FSDP. fp32 is fine.",
        "kafka consumer vs staying on the polling job for the next two years, team of 3. what would you do?",
        "poke holes in our JWT setup: one HS256 secret shared by 6 services",
    ],
)
def test_terse_complex_work_in_other_stacks_is_complex(clf: Classifier, prompt: str) -> None:
    assert clf.classify(prompt).difficulty >= 0.5


def test_an_exam_question_about_software_gets_no_coding_tool_cue(clf: Classifier) -> None:
    f = clf.classify(
        "Which of these prevents SQL injection?\nA. Escaping queries\nB. Merging tables\nAnswer:"
    )
    assert not [s for s in f.signals if s == "software" or s.startswith("sw-")]


@pytest.mark.parametrize(
    "prompt",
    [
        "make this sound less passive aggressive: as I mentioned in my previous three emails",
        "Put these meeting notes into JSON with keys decisions, action_items (owner, task, due)",
        "For this review, give a sentiment (positive/negative/mixed) for each aspect",
    ],
)
def test_everyday_text_is_not_about_software(clf: Classifier, prompt: str) -> None:
    assert not {"software", "code-names"} & set(clf.classify(prompt).signals)


@pytest.mark.parametrize(
    ("prompt", "workspace", "tools"),
    [
        ("fix the failing test in auth.py", True, True),
        ("rename get_user to fetch_user everywhere in the repo", True, True),
        ("what does `make bootstrap` do in this repo", True, False),
        ("run the tests and tell me which ones fail", True, True),
        ("fetch https://example.com/changelog and summarise what changed", False, True),
        ("what does git stash do", False, False),
        ("write a function that reverses a string", False, False),
        (
            'what does this mean\n```\nFile "/srv/app/main.py", line 3\nImportError: no module named x\n```',
            False,
            False,
        ),
    ],
)
def test_workspace_and_tool_needs(clf: Classifier, prompt: str, workspace: bool, tools: bool) -> None:
    f = clf.classify(prompt)
    assert (f.needs_workspace, f.needs_tools) == (workspace, tools)


def test_an_absolute_path_or_a_url_is_not_a_file_of_the_workspace(clf: Classifier) -> None:
    prompt = "bash script that gzips everything in /var/log/myapp older than 7 days"
    assert not clf.classify(prompt).needs_workspace
