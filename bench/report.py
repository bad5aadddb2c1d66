"""The markdown table: rows/s per operation and model, geometric means, ratios to raw asyncpg."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bench import workload as w

BASELINE = "asyncpg"


def geometric_mean(values: Iterable[float]) -> float:
    values = list(values)
    if not values or any(v <= 0 for v in values):
        return math.nan
    return math.exp(sum(math.log(v) for v in values) / len(values))


def rate(result: Mapping[str, Any], model: str, op: str) -> float | None:
    cell = result.get("models", {}).get(model, {}).get(op)
    return None if cell is None else float(cell["rate"])


def _fmt(value: float | None, base: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    text = f"{value:,.0f}"
    if base and not math.isnan(base):
        text += f" ({value / base:.2f}×)"
    return text


def markdown(results: Sequence[Mapping[str, Any]], models: Sequence[str] = w.MODELS) -> str:
    """One table per model: an operation per row, a peer per column, then the geometric mean.

    Cells are rows per second, with the ratio to raw asyncpg in brackets when it ran.
    """
    by_name = {r["peer"]: r for r in results}
    baseline = by_name.get(BASELINE)
    lines: list[str] = []
    for model in models:
        if not any(model in r.get("models", {}) for r in results):
            continue
        lines.append(f"### {model}")
        lines.append("")
        lines.append("| operation | " + " | ".join(r["label"] for r in results) + " |")
        lines.append("|---|" + "---:|" * len(results))
        for op in w.OPS:
            base = rate(baseline, model, op) if baseline else None
            cells = [_fmt(rate(r, model, op), base) for r in results]
            lines.append(f"| {op} {w.OP_NAMES[op]} | " + " | ".join(cells) + " |")
        base_mean = None
        if baseline:
            base_mean = geometric_mean(rate(baseline, model, op) or 0.0 for op in w.OPS)
        means = []
        for r in results:
            if model not in r.get("models", {}):
                means.append("—")
                continue
            means.append(_fmt(geometric_mean(rate(r, model, op) or 0.0 for op in w.OPS), base_mean))
        lines.append("| **geometric mean** | " + " | ".join(f"**{m}**" for m in means) + " |")
        lines.append("")
    return "\n".join(lines)


def best(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Merge repeated runs of one peer: per model and operation, the run with the best rate."""
    merged: dict[str, Any] = {k: v for k, v in runs[0].items() if k != "models"}
    merged["models"] = {}
    merged["runs"] = len(runs)
    merged["load_before"] = [r.get("load_before") for r in runs]
    for run in runs:
        for model, ops in run.get("models", {}).items():
            target = merged["models"].setdefault(model, {})
            for op, cell in ops.items():
                if op not in target or cell["rate"] > target[op]["rate"]:
                    target[op] = cell
    return merged


def paired(
    runs: Sequence[Mapping[str, Any]],
    base_runs: Sequence[Mapping[str, Any]],
    models: Sequence[str] = w.MODELS,
) -> str:
    """For peers that took turns round by round (``run.py --paired``): per operation, the
    median over every round of the peer's rate divided by the baseline's in the same turn."""
    lines = ["| model | " + " | ".join(w.OPS) + " | geometric mean |", "|---|" + "---:|" * 12]
    for model in models:
        cells, ratios = [], []
        for op in w.OPS:
            pairs = [
                (mine, theirs)
                for run, base in zip(runs, base_runs, strict=False)
                if model in run.get("models", {}) and model in base.get("models", {})
                for mine, theirs in zip(
                    run["models"][model][op]["rounds"],
                    base["models"][model][op]["rounds"],
                    strict=False,
                )
            ]
            if not pairs:
                cells.append("—")
                continue
            ratio = statistics.median(mine / theirs for mine, theirs in pairs)
            ratios.append(ratio)
            cells.append(f"{ratio:.2f}×")
        if ratios:
            mean = f"**{geometric_mean(ratios):.2f}×**" if len(ratios) == len(w.OPS) else "—"
            lines.append(f"| {model} | " + " | ".join(cells) + f" | {mean} |")
    return "\n".join(lines)


def footnote(results: Sequence[Mapping[str, Any]]) -> str:
    """Versions and conditions under the table."""
    parts = []
    for r in results:
        versions = ", ".join(f"{k} {v}" for k, v in r.get("versions", {}).items())
        load = r.get("load_before")
        loads = ", ".join(
            f"{x:.2f}" for x in (load if isinstance(load, list) else [load]) if x is not None
        )
        parts.append(f"- {r['label']}: {versions}; load average before: {loads}")
        for model, reason in r.get("skipped", {}).items():
            parts.append(f"  - {model} skipped: {reason}")
    return "\n".join(parts)
