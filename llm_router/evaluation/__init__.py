"""Routing quality measured offline: per-model score datasets, the router's decisions, RouteLLM metrics."""

from llm_router.evaluation.dataset import Record, convert_routellm, load, write
from llm_router.evaluation.metrics import Pair, Point, apgr, baselines, cpt, curve, summary
from llm_router.evaluation.run import is_strong, map_report, pair_report, route_all

__all__ = [
    "Pair",
    "Point",
    "Record",
    "apgr",
    "baselines",
    "convert_routellm",
    "cpt",
    "curve",
    "is_strong",
    "load",
    "map_report",
    "pair_report",
    "route_all",
    "summary",
    "write",
]
