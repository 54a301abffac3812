"""Draw an eval report's quality/strong-share curve as a PNG, with the policy presets and baselines marked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llm_router.errors import RouterError

COLOURS = {"aggressive": "#d62728", "balanced": "#1f77b4", "conservative": "#2ca02c"}


def draw(report: dict[str, Any], path: Path) -> None:
    """Write the picture; matplotlib is an optional extra (`pip install 'llm-routing[plot]'`)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise RouterError("--plot needs matplotlib: pip install 'llm-routing[plot]'") from exc
    curve = report["curve"]
    base = report["baselines"]
    weak_q, strong_q = base["all-weak"]["point"]["quality"], base["all-strong"]["point"]["quality"]
    fig, ax = plt.subplots(figsize=(8, 5.2), dpi=110)
    xs = [100 * p["strong_share"] for p in curve]
    ax.plot(
        xs,
        [p["quality"] for p in curve],
        color="#333333",
        lw=2,
        label=f"router, by difficulty (APGR {report['router']['apgr']:.2f})",
    )
    ax.plot([0, 100], [weak_q, strong_q], color="#999999", ls="--", lw=1.2, label="random (APGR 0.50)")
    ax.axhline(strong_q, color="#999999", lw=0.8, ls=":")
    ax.axhline(0.95 * strong_q, color="#bbbbbb", lw=0.8, ls=":")
    ax.text(1, strong_q, f" strong only: {report['strong']}", va="bottom", fontsize=8, color="#555555")
    ax.text(1, 0.95 * strong_q, " 95% of strong", va="bottom", fontsize=8, color="#777777")
    ax.text(1, weak_q, f" weak only: {report['weak']}", va="top", fontsize=8, color="#555555")
    for name, p in report["presets"].items():
        x, y = 100 * p["strong_share"], p["quality"]
        ax.scatter([x], [y], s=90, color=COLOURS.get(name, "black"), zorder=5, edgecolor="white")
        ax.annotate(
            f"{name}\n{x:.0f}% strong, PGR {p['pgr']:.2f}",
            (x, y),
            textcoords="offset points",
            xytext=(8, -26),
            fontsize=8,
            color=COLOURS.get(name, "black"),
        )
    ax.set_xlim(0, 100)
    ax.set_xlabel("calls sent to the strong model (%)")
    ax.set_ylabel("quality (mean score)")
    ax.set_title(f"Routing quality vs strong calls — {report['prompts']} prompts", fontsize=11)
    ax.grid(alpha=0.25)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
