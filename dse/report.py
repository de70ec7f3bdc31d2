"""Reports of a study: every trial as CSV and JSON, the Pareto front as PNG (matplotlib)
and interactive HTML (plotly, self-contained), the Verilog of the top designs, and a short
Markdown summary with the RTL / synthesis checks. The storage itself is untouched, so
``optuna-dashboard`` reads it as well.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from dse.exhaustive import ATTR_EXHAUSTIVE
from dse.records import ATTR_PREFIX, ATTR_REPEAT_OF, ATTR_WORKER, DesignCheck, Evaluation
from dse.spec import Spec


def trial_records(study: Any) -> list[dict[str, Any]]:
    """One flat record per trial: state, params, objectives, metrics, constraint violations,
    feasibility, Pareto membership (the first trial of each front design), failure reason
    and, for a proposal of a design the study held (PRUNED), the trial that evaluated it."""
    from dse.fidelity import pareto_trials

    front = {t.number for t in pareto_trials(study)}
    records = []
    for trial in study.get_trials(deepcopy=False):
        constraints = {k.split(":", 1)[1]: v for k, v in trial.system_attrs.items()
                       if k.startswith("constraints:")}
        records.append({
            "number": trial.number, "state": trial.state.name,
            "params": dict(trial.params), "values": trial.values,
            "metrics": Evaluation.of(trial).metrics or {},
            "constraints": constraints,
            "feasible": all(v <= 0 for v in constraints.values()) if constraints else None,
            "pareto": trial.number in front,
            "failure": Evaluation.of(trial).failure,
            "repeat_of": trial.user_attrs.get(ATTR_REPEAT_OF, ""),
            "worker": trial.user_attrs.get(ATTR_WORKER, ""),
            "duration_s": (trial.duration.total_seconds() if trial.duration else None),
        })
    return records


def write_report(spec: Spec, study: Any, out: Path, *, top: int = 5) -> list[Path]:
    """Write the report folder ``out``. Returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    records = trial_records(study)
    written = [_write_json(out / "trials.json", records), _write_csv(out / "trials.csv",
                                                                     records)]
    complete = [r for r in records if r["state"] == "COMPLETE"]
    if complete:
        written.append(_plot_png(spec, complete, out / "pareto.png"))
        written.append(_plot_html(spec, complete, out / "pareto.html", study))
    written += _top_verilog(spec, study, out / "designs", top)
    written.append(_summary(spec, study, records, out / "summary.md"))
    return written


def _write_json(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"schema": "hwdse.trials/1", "trials": records}, indent=1))
    return path


def _write_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    params = sorted({k for r in records for k in r["params"]})
    metrics = sorted({k for r in records for k in r["metrics"]})
    constraints = sorted({k for r in records for k in r["constraints"]})
    header = (["number", "state", "feasible", "pareto"] + params + metrics
              + [f"violation_{c}" for c in constraints]
              + ["failure", "repeat_of", "worker", "duration_s"])
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for r in records:
            writer.writerow([r["number"], r["state"], r["feasible"], r["pareto"]]
                            + [r["params"].get(k, "") for k in params]
                            + [r["metrics"].get(k, "") for k in metrics]
                            + [r["constraints"].get(k, "") for k in constraints]
                            + [r["failure"], r["repeat_of"], r["worker"], r["duration_s"]])
    return path


def _pairs(spec: Spec) -> list[tuple[int, int]]:
    n = len(spec.objectives)
    if n == 1:
        return [(0, 0)]
    return [(i, j) for i in range(n) for j in range(i + 1, n)]


def _plot_png(spec: Spec, records: list[dict[str, Any]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = spec.objective_names
    pairs = _pairs(spec)
    figure, axes = plt.subplots(1, len(pairs), figsize=(5 * len(pairs), 4.2), squeeze=False)
    groups = [("infeasible", "#d62728", "x", [r for r in records if r["feasible"] is False]),
              ("feasible", "#9e9e9e", "o",
               [r for r in records if r["feasible"] is not False and not r["pareto"]]),
              ("Pareto front", "#1f77b4", "o", [r for r in records if r["pareto"]])]
    for axis, (i, j) in zip(axes[0], pairs, strict=True):
        for label, color, marker, group in groups:
            if not group:
                continue
            xs = [r["values"][i] for r in group] if i != j else [r["number"] for r in group]
            ys = [r["values"][j] for r in group]
            axis.scatter(xs, ys, s=18, c=color, marker=marker, label=label, alpha=0.8)
        axis.set_xlabel(names[i] if i != j else "trial")
        axis.set_ylabel(names[j])
        axis.set_xscale("log" if i != j and _positive(records, i) else "linear")
        axis.set_yscale("log" if _positive(records, j) else "linear")
        axis.grid(True, alpha=0.3)
    axes[0][0].legend(loc="best", fontsize=8)
    figure.suptitle(f"{spec.name}: {len(records)} complete trials")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def _positive(records: list[dict[str, Any]], index: int) -> bool:
    values = [r["values"][index] for r in records]
    return min(values) > 0 and max(values) / min(values) > 10  # spans more than a decade


def _hover(record: dict[str, Any], names: tuple[str, ...], check: str) -> str:
    """A design's hover text: trial, objectives, parameters, RTL-check status."""
    lines = [f"trial {record['number']}"]
    lines += [f"{name} = {value:.4g}" for name, value in zip(names, record["values"],
                                                           strict=True)]
    lines += [f"{k} = {v}" for k, v in record["params"].items()]
    lines.append(f"RTL check: {check}")
    return "<br>".join(lines)


def _x(record: dict[str, Any], i: int, j: int) -> float:
    """The x value of a record in the plot of objectives ``i``, ``j`` (its trial number when
    ``i == j``: one objective, plotted over the trials)."""
    return float(record["values"][i] if i != j else record["number"])


def _check_status(study: Any, number: int) -> str:
    stored = study.user_attrs.get(f"{ATTR_PREFIX}{number}")
    if stored is None:
        return "not run"
    check = DesignCheck.from_json(stored)
    return ("DISAGREES" if check.disagrees else "agrees") + check.range_note


def _plot_html(spec: Spec, records: list[dict[str, Any]], path: Path,
               study: Any = None) -> Path:
    """One scatter plot per pair of objectives (trial order for one objective): feasible
    designs grey, infeasible red, and the Pareto front blue, drawn last (on top) and joined
    in the order of the x axis; log axes where a metric spans more than a decade;
    hover text with the design's objectives, parameters and RTL-check status."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = tuple(spec.objective_names)
    checks = {r["number"]: _check_status(study, r["number"]) if study is not None
              else "not run" for r in records}
    pairs = _pairs(spec)
    figure = make_subplots(rows=1, cols=len(pairs), horizontal_spacing=0.08)
    groups = [("feasible", "#9e9e9e", "circle",
               [r for r in records if r["feasible"] is not False and not r["pareto"]]),
              ("infeasible", "#d62728", "x", [r for r in records if r["feasible"] is False]),
              ("Pareto front", "#1f77b4", "circle", [r for r in records if r["pareto"]])]
    for column, (i, j) in enumerate(pairs, start=1):
        for label, color, symbol, group in groups:
            if not group:
                continue
            points = [(_x(r, i, j), r["values"][j], r) for r in group]
            if label == "Pareto front":
                points.sort(key=lambda point: point[:2])
            group = [r for _, _, r in points]
            figure.add_trace(go.Scatter(
                x=[x for x, _, _ in points], y=[y for _, y, _ in points],
                mode="lines+markers" if label == "Pareto front" else "markers", name=label,
                legendgroup=label, showlegend=column == 1,
                marker={"color": color, "symbol": symbol,
                        "size": 8 if label == "Pareto front" else 6,
                        "opacity": 1.0 if label == "Pareto front" else 0.6},
                line={"color": color, "width": 1.5},
                text=[_hover(r, names, checks[r["number"]]) for r in group],
                hoverinfo="text"), row=1, col=column)
        figure.update_xaxes(title_text=names[i] if i != j else "trial", row=1, col=column,
                            type="log" if i != j and _positive(records, i) else "linear")
        figure.update_yaxes(title_text=names[j], row=1, col=column,
                            type="log" if _positive(records, j) else "linear")
    figure.update_layout(title=f"{spec.name}: {len(records)} complete trials, Pareto front "
                               f"(blue, joined), feasible (grey), infeasible (red)",
                         height=600, width=max(700, 520 * len(pairs)), hovermode="closest")
    figure.write_html(path, include_plotlyjs=True, full_html=True)
    return path


def _top_verilog(spec: Spec, study: Any, folder: Path, top: int) -> list[Path]:
    from dse.fidelity import pareto_trials, pick_spread
    from flows.verilog import emit

    maximize = [direction == "maximize" for direction in spec.directions]
    written = []
    for rank, trial in enumerate(pick_spread(pareto_trials(study), top, maximize)):
        for name, params in spec.designs(spec.space.params(trial.params)).items():
            where = folder / f"{rank:02d}_trial{trial.number}" / name
            verilog, manifest = emit(params).write(where)
            written += [verilog, manifest]
    return written


def _exhaustive_line(study: Any) -> list[str]:
    """What ``--sampler exhaustive`` stored, if it ran: the front above is then exact."""
    summary = study.user_attrs.get(ATTR_EXHAUSTIVE)
    if not summary:
        return []
    return [f"Exhaustive search: all {summary['points']} designs of the space evaluated "
            f"({summary['feasible']} feasible); the front above is the exact front "
            f"({summary['front']} designs); every design is in {summary['table']} in the run "
            f"folder.", ""]


def _mapping_lines(spec: Spec, front: list[dict[str, Any]]) -> list[str]:
    """The per-layer mappings of the Pareto designs, for a family with run-time mappings
    (the mapper's choice, recomputed: it is a pure function of the design)."""
    if not isinstance(spec, Spec) or spec.dram is None or not front:
        return []
    lines = ["", f"## Per-layer mappings of the Pareto designs (mapper objective: "
                 f"{spec.dram.map_objective})", ""]
    for r in sorted(front, key=lambda r: r["values"]):
        mapped = spec.mapped(spec.space.params(r["params"]))
        lines += [f"Trial {r['number']} ({mapped.bandwidth} B/cycle, latency "
                  f"{mapped.latency} cycles):", "",
                  "| layer | GEMM | x | tiles | order | cycles | DRAM bytes | / compulsory "
                  "| energy pJ | legal mappings |", "|---" * 10 + "|"]
        for layer, m in mapped.layers:
            lines.append(f"| {layer.name} | {m.gemm} | {layer.repeat} | {m.tiles} | {m.order} "
                         f"| {m.cycles} | {m.dram_bytes} | {m.bound_ratio:.3f} "
                         f"| {m.energy_pj:.4g} | {m.legal_mappings} |")
        lines.append("")
    return lines


def _summary(spec: Spec, study: Any, records: list[dict[str, Any]], path: Path) -> Path:
    states: dict[str, int] = {}
    for r in records:
        states[r["state"]] = states.get(r["state"], 0) + 1
    front = [r for r in records if r["pareto"]]
    lines = [f"# {spec.name}", "",
             spec.describe() + "; objectives: "
             + ", ".join(f"{m} ({d})" for m, d in spec.objectives)
             + "; constraints: " + (", ".join(str(c) for c in spec.constraints) or "none")
             + ".", "",
             "Trials: " + ", ".join(f"{n} {s.lower()}" for s, n in sorted(states.items()))
             + f"; {len(front)} on the feasible Pareto front.", "",
             *_exhaustive_line(study),
             "| trial | " + " | ".join(spec.objective_names) + " | params | RTL check |",
             "|---" * (len(spec.objectives) + 3) + "|"]
    for r in sorted(front, key=lambda r: r["values"]):
        check = study.user_attrs.get(f"{ATTR_PREFIX}{r['number']}")
        verdict = "not run"
        if check is not None:
            verified = DesignCheck.from_json(check)
            verdict = ("**disagrees**" if verified.disagrees else "agrees") + verified.range_note
        lines.append(f"| {r['number']} | " + " | ".join(f"{v:.4g}" for v in r["values"])
                     + " | " + ", ".join(f"{k}={v}" for k, v in r["params"].items())
                     + f" | {verdict} |")
    lines += _mapping_lines(spec, front)
    failures = [r for r in records if r["failure"]]
    if failures:
        lines += ["", "Failed trials (reason):", ""]
        lines += [f"- #{r['number']}: {r['failure']}" for r in failures[:20]]
    path.write_text("\n".join(lines) + "\n")
    return path
