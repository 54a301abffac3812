"""`llm-router eval`: the router's real decisions over a dataset, measured RouteLLM style (no model calls)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

PRESETS = ("aggressive", "balanced", "conservative")


def _parse_map(value: str | None) -> dict[str, str] | None:
    if not value:
        return None
    out = {}
    for part in value.split(","):
        tier, sep, model = part.partition("=")
        if not sep or not tier.strip() or not model.strip():
            raise click.BadParameter(f"expected tier=model, got {part!r}", param_hint="--map")
        out[tier.strip()] = model.strip()
    return out


@click.command("eval")
@click.option(
    "--dataset",
    "dataset_path",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="JSON lines (schemas/eval-dataset.schema.json), or a RouteLLM CSV file or folder.",
)
@click.option(
    "--policy",
    type=click.Choice(PRESETS),
    default=None,
    help="Preset whose decisions are the operating point (default: the policy's own).",
)
@click.option(
    "--config",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Evaluate this policy file on top of the usual layers.",
)
@click.option("--strong", default=None, help="Dataset model that answers strong calls.")
@click.option("--weak", default=None, help="Dataset model that answers every other call.")
@click.option(
    "--map", "tier_map", default=None, help="tier=model,... (and passthrough=model) for a multi-tier run."
)
@click.option("--host", default="cli", show_default=True, help="Host the prompts are taken to come from.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the quality/cost curve as a PNG (needs the [plot] extra: matplotlib).",
)
@click.option(
    "--write-dataset",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the (converted) dataset as JSON lines.",
)
def eval_cmd(
    dataset_path: Path,
    policy: str | None,
    config: Path | None,
    strong: str | None,
    weak: str | None,
    tier_map: str | None,
    host: str,
    as_json: bool,
    plot: Path | None,
    write_dataset: Path | None,
) -> None:
    """Measure routing quality and cost over a dataset of prompts with per-model scores or labelled tiers.

    With --strong/--weak, a decision is a strong call when it routes to tier complex or deep_reasoning, or
    leaves the prompt to the host's own model (passthrough, suggest); everything else goes to the weak
    model. The curve sweeps the difficulty threshold; APGR is the area under its PGR curve (random = 0.5).

    Rows with `expected_tier` (or `complexity`) and no scores: the AUC of difficulty for each pair of
    labelled levels, each preset's tier agreement, a confusion matrix and the prompts two or more tiers off.
    """
    from llm_router.cli.common import emit_json
    from llm_router.evaluation import dataset, run
    from llm_router.router import Settings, load

    records = dataset.load(dataset_path)
    if write_dataset is not None:
        dataset.write(records, write_dataset)
    mapping = _parse_map(tier_map)
    labelled = _labelled_only(records)
    if labelled:
        for flag, value in (("--strong", strong), ("--weak", weak), ("--map", tier_map), ("--plot", plot)):
            if value is not None:
                raise click.UsageError(f"{flag} needs per-model scores; this dataset has labelled tiers only")
    elif mapping is None:
        strong, weak = _pick_pair(records, strong, weak)
        run.pair_of(records, strong, weak)  # fail before routing when a model is missing
    cp = load(Settings(config=config))
    operating = policy or (cp.policy if cp.policy in PRESETS else "balanced")
    presets = [p for p in PRESETS if p in cp.presets]
    if sys.stderr.isatty() and len(records) >= 500:
        with click.progressbar(length=len(records), label="routing", file=sys.stderr, show_pos=True) as bar:
            routed = run.route_all(cp, records, presets, host=host, tick=bar.update)
    else:
        routed = run.route_all(cp, records, presets, host=host)
    if labelled:
        from llm_router.evaluation import tiers

        report = {
            "dataset": str(dataset_path),
            "policy_revision": cp.revision,
            **tiers.tier_report(cp, records, routed, operating, host),
        }
        if as_json:
            emit_json(report)
        else:
            click.echo(tiers.render(report))
        return
    if mapping is not None:
        report = run.map_report(records, routed, mapping, operating)
    else:
        assert strong is not None and weak is not None
        report = run.pair_report(records, routed, strong, weak, operating)
        report["notes"] = _notes(report, sum(r.scores[weak] > r.scores[strong] for r in records))
    report = {"dataset": str(dataset_path), "policy_revision": cp.revision, **report}
    if plot is not None:
        if mapping is not None:
            raise click.UsageError("--plot needs --strong/--weak (a curve is drawn for a pair of models)")
        from llm_router.evaluation.plot import draw

        draw(report, plot)
    if as_json:
        emit_json(report)
    else:
        click.echo(_text(report))


def _labelled_only(records: list[Any]) -> bool:
    """True when the rows carry labelled tiers and not every one has scores (the tier report applies).

    A dataset where some rows have scores and the others only a tier cannot be measured either way.
    """
    if all(r.scores for r in records):
        return False
    if all(r.tier for r in records):
        return True
    from llm_router.evaluation.dataset import DatasetError

    row = next(r for r in records if not r.scores)
    where = f"line {row.line}: " if row.line else ""
    raise DatasetError(
        f"{where}no `models` while other rows have no `expected_tier`: every row needs per-model scores, "
        "or every row a labelled tier"
    )


def _pick_pair(records: list[Any], strong: str | None, weak: str | None) -> tuple[str, str]:
    if strong and weak:
        return strong, weak
    models = sorted({m for r in records for m in r.scores})
    if (strong or weak) or len(models) != 2:
        raise click.UsageError(
            f"give --strong and --weak (or --map); the dataset has models: {', '.join(models)}"
        )
    mean = {m: sum(r.scores.get(m, 0.0) for r in records) for m in models}
    ranked = sorted(models, key=lambda m: -mean[m])
    return ranked[0], ranked[1]


def _notes(report: dict[str, Any], weak_better: int) -> list[str]:
    """What a reader may find surprising in a pair report, explained."""
    apgr = report["baselines"]["oracle"]["apgr"]
    if apgr <= 1:
        return []
    return [
        f"oracle APGR {apgr:.3f} is above 1: on {weak_better} of {report['prompts']} prompts the weak model "
        "scores higher than the strong one, so an oracle picking per prompt beats always-strong and its PGR "
        "curve rises above 1 (PGR 1 = the strong model's quality, not the best possible)"
    ]


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _text(report: dict[str, Any]) -> str:
    if "map" in report:
        lines = [f"{report['prompts']} prompts, tiers mapped: {report['map']}"]
        for name, p in report["presets"].items():
            cost = "" if p["cost"] is None else f"  cost ${p['cost']:.4f}"
            lines.append(f"  {name:<13} quality {p['quality']:.4f}{cost}  calls {p['calls']}")
        return "\n".join(lines)
    r, b = report["router"], report["baselines"]
    lines = [
        f"{report['prompts']} prompts   strong: {report['strong']}   weak: {report['weak']}",
        "",
        f"{'':<22}{'strong calls':>13}{'quality':>9}{'PGR':>7}{'cost':>12}",
    ]

    def row(name: str, p: dict[str, Any], pgr: float | None = None) -> str:
        cost = "-" if p.get("cost") is None else f"${p['cost']:.4f}"
        pgr_s = "-" if pgr is None else f"{pgr:.3f}"
        return f"{name:<22}{_pct(p['strong_share']):>13}{p['quality']:>9.4f}{pgr_s:>7}{cost:>12}"

    for name, p in report["presets"].items():
        mark = " *" if name == report["operating_point"]["policy"] else ""
        lines.append(row(f"policy {name}{mark}", p, p["pgr"]))
    for name in ("all-weak", "all-strong", "random", "oracle"):
        lines.append(row(name, b[name]["point"]))
    lines += [
        "",
        f"{'':<22}{'APGR':>8}{'CPT(50%)':>10}{'CPT(80%)':>10}{'95% of strong':>15}{'cost for 95%':>14}",
    ]
    for name, s in (("router (difficulty)", r), ("random", b["random"]), ("oracle", b["oracle"])):
        lines.append(
            f"{name:<22}{s['apgr']:>8.3f}{_pct(s['cpt50']):>10}{_pct(s['cpt80']):>10}"
            f"{_pct(s['share_for_95pct_strong']):>15}{_pct(s['cost_share_for_95pct_strong']):>14}"
        )
    lines.append("")
    lines.append("* the operating point. Strong call: tier complex/deep_reasoning, or passthrough/suggest.")
    lines += [f"Note: {note}" for note in report.get("notes", [])]
    return "\n".join(lines)
