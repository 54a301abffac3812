"""Merge policy layers into one document, every value keeping the origin (file, line, column) it came from.

Mappings merge key by key; scalars and lists replace; the lists of `ID_LISTS` merge by each item's `id`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llm_router.policy.problems import Problem
from llm_router.policy.yamlsource import Pos, Positions, pointer_join

__all__ = ["ID_LISTS", "ORDER_KEYS", "Node", "annotate", "merge", "flatten"]

ID_LISTS = frozenset({"/rules", "/classifier/rules", "/classifier/signals"})
ORDER_KEYS = ("before", "after", "disabled")  # layering instructions, never part of the merged result


class Node:
    """A value of one layer with its origin; containers hold Nodes."""

    __slots__ = ("value", "origin", "ptr")

    def __init__(self, value: Any, origin: Any, ptr: str):
        self.value = value
        self.origin = origin  # whatever `annotate` was told to make of a Pos (load.Origin)
        self.ptr = ptr  # the pointer inside its own file, for problems


def annotate(
    data: Any, positions: Positions, origin_of: Callable[[Pos], Any], ptr: str = "", parent: Any = None
) -> Node:
    """Wrap a layer's data in Nodes carrying each value's origin."""
    pos = positions.get(ptr)
    origin = origin_of(pos) if pos is not None else parent
    if isinstance(data, dict):
        value: Any = {
            k: annotate(v, positions, origin_of, pointer_join(ptr, k), origin) for k, v in data.items()
        }
    elif isinstance(data, list):
        value = [annotate(v, positions, origin_of, pointer_join(ptr, i), origin) for i, v in enumerate(data)]
    else:
        value = data
    return Node(value, origin, ptr)


def merge(base: Node | None, over: Node, problems: list[Problem], ptr: str = "") -> Node:
    """`over` layered on `base`."""
    if isinstance(over.value, dict) and base is not None and isinstance(base.value, dict):
        merged = dict(base.value)
        for key, node in over.value.items():
            child = pointer_join(ptr, key)
            merged[key] = merge(merged.get(key), node, problems, child)
        return Node(merged, base.origin, base.ptr)  # a mapping stays where it was first written
    if ptr in ID_LISTS and isinstance(over.value, list):
        below = base.value if base is not None and isinstance(base.value, list) else []
        return Node(_merge_by_id(below, over.value, problems), over.origin, over.ptr)
    if isinstance(over.value, dict):  # nothing below to merge with; still normalise nested id lists
        return merge(Node({}, over.origin, over.ptr), over, problems, ptr)
    return over


def flatten(node: Node, origins: dict[str, Any], ptr: str = "") -> Any:
    """Plain data from Nodes, filling `origins` with the origin of every pointer."""
    origins[ptr] = node.origin
    if isinstance(node.value, dict):
        return {k: flatten(v, origins, pointer_join(ptr, k)) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [flatten(v, origins, pointer_join(ptr, i)) for i, v in enumerate(node.value)]
    return node.value


def _field(item: Node, key: str) -> Any:
    if isinstance(item.value, dict) and key in item.value:
        return item.value[key].value
    return None


def _problem(item: Node, key: str, code: str, message: str, hint: str = "") -> Problem:
    node = item.value.get(key, item) if isinstance(item.value, dict) else item
    o = node.origin
    return Problem(o.file, o.line, o.col, code, node.ptr, message, hint)


def _strip(item: Node) -> Node:
    if not isinstance(item.value, dict):
        return item
    return Node({k: v for k, v in item.value.items() if k not in ORDER_KEYS}, item.origin, item.ptr)


def _merge_by_id(below: list[Node], over: list[Node], problems: list[Problem]) -> list[Node]:
    """Later items replace same-id items in place; new ones go on top, or `before`/`after` an id."""
    items = list(below)
    state = {"top": 0}  # new items without before/after go on top, keeping their own order

    def index(rid: Any) -> int | None:
        return next((i for i, it in enumerate(items) if _field(it, "id") == rid), None)

    def remove(at: int) -> None:
        del items[at]
        if at < state["top"]:
            state["top"] -= 1

    def insert(at: int, item: Node) -> None:
        items.insert(at, item)
        if at <= state["top"]:
            state["top"] += 1

    def place(item: Node, rid: Any) -> None:
        before, after = _field(item, "before"), _field(item, "after")
        if isinstance(before, str) and isinstance(after, str):
            problems.append(_problem(item, "after", "rule-order", "give `before` or `after`, not both"))
            after = None
        is_after = not isinstance(before, str) and isinstance(after, str)
        anchor = after if is_after else before if isinstance(before, str) else None
        at = index(rid) if rid is not None else None
        if anchor is not None and anchor != rid and index(anchor) is not None:
            if at is not None:
                remove(at)
            target = index(anchor)
            assert target is not None
            insert(target + (1 if is_after else 0), _strip(item))
        elif at is not None:
            items[at] = _strip(item)
        else:
            insert(state["top"], _strip(item))

    seen: set[str] = set()
    pending: list[tuple[Node, Any]] = []
    for item in over:
        rid = _field(item, "id")
        if not isinstance(rid, str):
            place(item, None)  # the schema reports the missing id
            continue
        if rid in seen:
            problems.append(
                _problem(
                    item,
                    "id",
                    "duplicate-id",
                    f"id '{rid}' appears twice in this list",
                    "give each item its own id",
                )
            )
            continue
        seen.add(rid)
        if _field(item, "disabled") is True:
            at = index(rid)
            if at is not None:
                remove(at)
            elif set(item.value) <= {"id", "disabled", "description"}:
                problems.append(
                    _problem(item, "id", "unknown-rule", f"no earlier item has id '{rid}' to disable")
                )
            continue
        anchor = _field(item, "before") or _field(item, "after")
        if isinstance(anchor, str) and index(anchor) is None:
            pending.append((item, rid))  # its anchor may come later in this same list
            continue
        place(item, rid)
    for item, rid in pending:
        key = "before" if isinstance(_field(item, "before"), str) else "after"
        anchor = _field(item, key)
        if index(anchor) is None:
            known = ", ".join(str(_field(it, "id")) for it in items) or "none"
            problems.append(
                _problem(item, key, "unknown-rule", f"no item has id '{anchor}'", f"known ids: {known}")
            )
        place(item, rid)
    return items
