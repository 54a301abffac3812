"""Eval datasets: JSON lines of prompts with per-model scores (and costs) or labelled tiers, and the RouteLLM
CSV converter."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from llm_router import fileio
from llm_router.decision import COMPLEXITIES, TASKS
from llm_router.errors import RouterError

# Output price in USD per token, used to turn a response's length into a cost where the data has none.
# Published list prices at the time of the RouteLLM runs: GPT-4 Turbo $30/M output tokens, Mixtral 8x7B
# about $0.60/M (Together, Anyscale). Tokens are estimated as characters / 4.
OUTPUT_PRICE = {
    "gpt-4-1106-preview": 30e-6,
    "mistralai/Mixtral-8x7B-Instruct-v0.1": 0.6e-6,
}
CHARS_PER_TOKEN = 4.0


class DatasetError(RouterError):
    """An eval dataset that cannot be read."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Record:
    """One prompt with what each model scored on it (0..1) and, optionally, what it cost (USD); or with the
    tier a person labelled it (and, optionally, its task and whether it needs the workspace)."""

    prompt: str
    scores: Mapping[str, float] = field(default_factory=dict)
    costs: Mapping[str, float] = field(default_factory=dict)
    category: str = ""
    tier: str | None = None  # expected_tier (or complexity): simple, moderate, complex, deep_reasoning
    task: str | None = None  # the expected task
    needs_workspace: bool | None = None  # the expected feature
    author: str = ""  # who wrote or labelled the prompt
    line: int = field(default=0, compare=False)  # its line in the file it was read from (0: none)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"prompt": self.prompt}
        if self.scores:
            models: dict[str, dict[str, float]] = {}
            for name, score in self.scores.items():
                models[name] = {"score": score}
                if name in self.costs:
                    models[name]["cost"] = self.costs[name]
            out["models"] = models
        for key in ("category", "author"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.tier is not None:
            out["expected_tier"] = self.tier
        if self.task is not None:
            out["task"] = self.task
        if self.needs_workspace is not None:
            out["needs_workspace"] = self.needs_workspace
        return out


def normalise(prompt: str) -> str:
    """The form under which two prompts count as duplicates."""
    return re.sub(r"\s+", " ", prompt).strip().lower()


def load(path: Path) -> list[Record]:
    """Read a dataset: a JSON-lines file, or a RouteLLM CSV file or folder (converted on the fly)."""
    if path.is_dir() or path.suffix == ".csv":
        return convert_routellm(path)
    records = []
    for number, line in _lines(path):
        if not line.strip():
            continue
        try:
            records.append(_record(json.loads(line), number))
        except (ValueError, TypeError, KeyError) as exc:
            raise DatasetError(f"{path}:{number}: not a dataset record: {exc}") from exc
    if not records:
        raise DatasetError(f"{path}: no records")
    return records


def _open(path: Path) -> BinaryIO:
    """A dataset file opened for reading: a regular file under the size limit, else a DatasetError."""
    try:
        return fileio.open_bounded(path, limit=fileio.DATASET_LIMIT, what="dataset")
    except fileio.RefusedFile as exc:
        raise DatasetError(f"cannot read {exc}") from exc
    except OSError as exc:
        raise DatasetError(f"cannot read dataset {path}: {exc.strerror}") from exc


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(number, text) of each line of a JSON-lines file; a line over the limit is a located DatasetError."""
    with _open(path) as handle:
        for number, raw in enumerate(iter(lambda: handle.readline(fileio.DATASET_LINE_LIMIT + 1), b""), 1):
            if len(raw) > fileio.DATASET_LINE_LIMIT:
                limit = fileio.DATASET_LINE_LIMIT
                raise DatasetError(f"{path}:{number}: the line is longer than the limit of {limit:,} bytes")
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DatasetError(f"{path}:{number}: not UTF-8 ({exc.reason})") from exc


def _record(data: Any, line: int = 0) -> Record:
    if not isinstance(data, dict) or not isinstance(data.get("prompt"), str):
        raise ValueError("expected an object with a string `prompt`")
    tier = _tier(data)
    models = data.get("models")
    if models is None and tier is None:
        raise ValueError("expected `models` ({name: {score, cost?}}) or `expected_tier`")
    scores, costs = {}, {}
    if models is not None:
        if not isinstance(models, dict) or not models:
            raise ValueError("expected `models`: {name: {score, cost?}}")
        for name, m in models.items():
            score = float(m["score"])
            if not 0.0 <= score <= 1.0:
                raise ValueError(f"score of {name} is {score}, outside 0..1")
            scores[name] = score
            if m.get("cost") is not None:
                costs[name] = float(m["cost"])
    task = data.get("task")
    if task is not None and task not in TASKS:
        raise ValueError(f"`task` is {task!r}, expected one of {', '.join(TASKS)}")
    needs = data.get("needs_workspace")
    if needs is not None and not isinstance(needs, bool):
        raise ValueError(f"`needs_workspace` is {needs!r}, expected true or false")
    return Record(
        data["prompt"],
        scores,
        costs,
        str(data.get("category") or ""),
        tier,
        task,
        needs,
        str(data.get("author") or ""),
        line,
    )


def _tier(data: Mapping[str, Any]) -> str | None:
    """The labelled tier of a row: `expected_tier`, or `complexity` as a synonym (they must agree)."""
    given = {key: data[key] for key in ("expected_tier", "complexity") if data.get(key) is not None}
    for key, value in given.items():
        if value not in COMPLEXITIES:
            raise ValueError(f"`{key}` is {value!r}, expected one of {', '.join(COMPLEXITIES)}")
    if len(set(given.values())) > 1:
        raise ValueError(
            f"`expected_tier` {given['expected_tier']!r} and `complexity` {given['complexity']!r} differ"
        )
    return next(iter(given.values()), None)


def write(records: Iterable[Record], path: Path) -> int:
    """Write records as JSON lines; returns how many."""
    count = 0
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count


def convert_routellm(path: Path) -> list[Record]:
    """Records from RouteLLM's layout (a CSV file, or a folder of them), minus contaminated prompts.

    Correctness columns (True/False) become scores 1/0; a `<model>_response` column gives a cost estimate.
    """
    files = sorted(path.rglob("*.csv")) if path.is_dir() else [path]
    if not files:
        raise DatasetError(f"{path}: no CSV files")
    contaminated: set[str] = set()
    for jsonl in (
        [*path.rglob("contaminated_prompts.jsonl")]
        if path.is_dir()
        else [path.parent / "contaminated_prompts.jsonl"]
    ):
        if jsonl.exists():
            for _, line in _lines(jsonl):
                if line.strip():
                    contaminated.add(normalise(json.loads(line)["eval_prompt"]))
    csv.field_size_limit(fileio.DATASET_LINE_LIMIT)
    records = []
    for file in files:
        category = re.sub(r"^mmlu_", "", file.stem).removesuffix("_responses")
        with _open(file) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as f:
            try:
                for row in csv.DictReader(f):
                    if normalise(row["prompt"]) in contaminated:
                        continue
                    records.append(_from_row(row, category))
            except (csv.Error, UnicodeDecodeError) as exc:
                raise DatasetError(f"{file}: not a RouteLLM CSV file: {exc}") from exc
    return records


def _from_row(row: Mapping[str, str], category: str) -> Record:
    scores, costs = {}, {}
    for column, value in row.items():
        if column == "prompt" or column.endswith("_response") or value not in ("True", "False"):
            continue
        scores[column] = 1.0 if value == "True" else 0.0
        response = row.get(f"{column}_response")
        if response is not None and column in OUTPUT_PRICE:
            costs[column] = round(len(response) / CHARS_PER_TOKEN * OUTPUT_PRICE[column], 8)
    return Record(row["prompt"], scores, costs, category)
