"""Benchmark: where a trial's time goes in ``hwdse explore``, against a bare Optuna study.

Run: ``python bench/study_speed.py [--random 10000] [--tpe 2000] [--label after]
[--out bench/results]``

For each sampler (random on a journal file, multi-objective TPE on a journal file), in one
process and one run:

1. bare: a bare Optuna study (``study.optimize``) with the same sampler
   (``make_searcher(...).sampler()``), the same storage (``open_storage``: the journal file
   with its flock) and the same parameters, suggested as hwdse suggests them (a conditional
   one only where it applies), on a trivial objective (the sum of the parameter indices);
2. hwdse: ``hwdse explore`` in-process (the command line, its progress display included,
   ``--verify 0``) on the same spec, under cProfile. The profile's own time is split by
   where the code lives: sampler (``optuna/samplers``), storage (``optuna/storages``, the
   journal file), locking (``flock``), file writes and fsync, model (``dse/models``,
   ``dse/workload``, params validation), progress display (``rich``, the CLI's callback),
   study bookkeeping (``dse/study.py``), other.

The spec (``SPEC``) is one GEMM and four searched knobs on a systolic array: 98,304
points, so no budget here runs out of new designs. Throughputs are trials per second of
wall time; the hwdse number is measured a second time without the profiler.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import machine

SPEC = """
name = "speed"
generator = "systolic"
target = "ecp5-85k"
[space]
rows = { low = 1, high = 64 }
cols = { low = 1, high = 64 }
input_width = [4, 8, 16]
acc_width = 32
dataflow = ["os", "ws"]
acc_depth = { values = [16, 32, 64, 128, 256, 512, 1024], when = { dataflow = "ws" } }
[[workload]]
gemm = "64x64x64"
[objectives]
latency_cycles = "minimize"
lut = "minimize"
[constraints]
lut = { max = 40000 }
"""

CATEGORIES = (
    ("locking", ("fcntl.flock",)),
    ("sampler: constraints", ("optuna/study/_constrained_optimization",
                              "optuna/trial/_frozen.py:constraints")),
    ("file writes and fsync", ("posix.fsync", "method 'write' of '_io",
                               "built-in method io.open", "built-in method posix.open")),
    ("sampler", ("optuna/samplers",)),
    ("storage", ("optuna/storages", "dse/study.py:JournalFile", "json/")),
    ("model", ("dse/models", "dse/workload", "hw/", "dse/spec")),
    ("progress display", ("rich/", "flows/cli.py")),
    ("study bookkeeping", ("dse/study.py", "dse/records.py", "optuna/study", "optuna/trial",
                           "dse/fidelity.py")),
)


def _category(key: tuple[str, int, str]) -> str:
    filename, _, function = key
    where = f"{filename}:{function}"
    for name, needles in CATEGORIES:
        if any(needle in where for needle in needles):
            return name
    return "other"


def profile_split(profile: cProfile.Profile) -> dict[str, float]:
    """Seconds of own time (tottime) per category."""
    stats = pstats.Stats(profile)
    split: dict[str, float] = {}
    for key, (_, _, tottime, _, callers) in stats.stats.items():  # type: ignore[attr-defined]
        category = _category(key)
        if category == "other" and key[0] == "~" and callers:
            # a built-in: its time goes to its callers' categories, by calls
            calls = {caller: value[0] for caller, value in callers.items()}
            total = sum(calls.values()) or 1
            for caller, count in calls.items():
                name = _category(caller)
                split[name] = split.get(name, 0.0) + tottime * count / total
            continue
        split[category] = split.get(category, 0.0) + tottime
    return dict(sorted(split.items(), key=lambda item: -item[1]))


def bare(spec: Any, sampler: str, trials: int, run: Path, constrained: bool = False) -> float:
    """Trials per second of a bare Optuna study: same sampler, storage and parameters;
    ``constrained``: the objective also sets the spec's constraints (a constant, feasible
    value), which the samplers then handle on every proposal."""
    import optuna

    from dse.space import suggest_point
    from dse.study import make_searcher, open_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    distributions = spec.space.distributions()
    study = optuna.create_study(study_name="bare", storage=open_storage(run),
                                directions=spec.directions,
                                sampler=make_searcher(sampler, 0).sampler())

    def objective(trial: Any) -> tuple[float, ...]:
        # the same parameters, suggested as hwdse does (acc_depth only where it applies)
        point = suggest_point(spec.space, trial)
        total = sum(distributions[k].to_internal_repr(v) for k, v in point.items())
        if constrained:
            for constraint in spec.constraints:
                trial.set_constraint(constraint.metric, -1.0)
        return tuple(float(total) for _ in spec.directions)

    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    return trials / (time.perf_counter() - start)


def hwdse(spec_path: Path, sampler: str, trials: int, run: Path,
          profile: cProfile.Profile | None) -> tuple[float, float]:
    """Distinct designs and proposals (trials, repeats included) per second of ``hwdse
    explore`` in-process (progress display included)."""
    from typer.testing import CliRunner

    from flows.cli import app

    runner = CliRunner()
    args = ["explore", str(spec_path), "--trials", str(trials), "--sampler", sampler,
            "--verify", "0", "--run-dir", str(run)]
    start = time.perf_counter()
    if profile is not None:
        profile.enable()
    result = runner.invoke(app, args)
    if profile is not None:
        profile.disable()
    seconds = time.perf_counter() - start
    if result.exit_code != 0:
        raise RuntimeError(f"hwdse explore failed ({result.exit_code}): {result.output}")
    import optuna

    from dse.study import open_storage

    proposals = len(optuna.load_study(study_name="speed", storage=open_storage(run)).trials)
    return trials / seconds, proposals / seconds


def measure(sampler: str, trials: int, folder: Path) -> dict[str, Any]:
    from dse.spec import parse_spec

    spec_path = folder / "speed.toml"
    spec_path.write_text(SPEC)
    spec = parse_spec(SPEC)
    baseline = bare(spec, sampler, trials, folder / f"bare-{sampler}")
    constrained = bare(spec, sampler, trials, folder / f"bare-constrained-{sampler}",
                       constrained=True)
    profile = cProfile.Profile()
    profiled, _ = hwdse(spec_path, sampler, trials, folder / f"profiled-{sampler}", profile)
    plain, proposals = hwdse(spec_path, sampler, trials, folder / f"plain-{sampler}", None)
    split = profile_split(profile)
    total = sum(split.values())
    return {"sampler": sampler, "trials": trials, "bare_trials_per_s": round(baseline, 1),
            "bare_constrained_trials_per_s": round(constrained, 1),
            "hwdse_trials_per_s": round(plain, 1),
            "hwdse_proposals_per_s": round(proposals, 1),
            "hwdse_profiled_trials_per_s": round(profiled, 1),
            "share_of_bare": round(plain / baseline, 3),
            "share_of_bare_constrained": round(plain / constrained, 3),
            "profile_ms_per_trial": {k: round(1000 * v / trials, 3) for k, v in split.items()},
            "profile_share": {k: round(v / total, 3) for k, v in split.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=10_000)
    parser.add_argument("--tpe", type=int, default=2_000)
    parser.add_argument("--label", default="after")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    host = machine()
    rows = []
    with tempfile.TemporaryDirectory(prefix="hwdse-speed-") as scratch:
        for sampler, trials in (("random", args.random), ("tpe", args.tpe)):
            if trials:
                rows.append(measure(sampler, trials, Path(scratch)))
                print(json.dumps(rows[-1]), file=sys.stderr)
    path = args.out / "study_speed.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    stored[args.label] = {"machine": host, "rows": rows,
                          "command": " ".join([Path(sys.executable).name, *sys.argv])}
    path.write_text(json.dumps(stored, indent=1) + "\n")
    write_markdown(stored, args.out / "study_speed.md")


def write_markdown(stored: dict[str, Any], path: Path) -> None:
    lines = ["# Where a trial's time goes: `hwdse explore` against a bare Optuna study", "",
             "Spec: one 64x64x64 GEMM, a systolic array with four searched knobs (rows, cols, "
             "input width, dataflow and its accumulator depth; 98,304 points), two "
             "objectives and one constraint; journal file storage. `bare`: a bare Optuna "
             "study (`study.optimize`), same sampler, storage and parameters, trivial "
             "objective, in the same run; `with the constraint`: its objective also sets the "
             "constraint. hwdse counts distinct designs (`--trials`); a proposal of a design the "
             "study holds is a repeat, answered from the study and not counted; the bare "
             "studies count every proposal. Profile: cProfile own time per design, by where "
             "the code lives (a built-in's time goes to its callers).", ""]
    for label, entry in stored.items():
        lines += [f"## {label}", "", "| sampler | trials | bare trials/s | bare with the "
                  "constraint, trials/s | hwdse designs/s | share of bare (with the "
                  "constraint) | profile, ms per design |", "|---|---|---|---|---|---|---|"]
        for row in entry["rows"]:
            profile = ", ".join(f"{k} {v:.2f}" for k, v in row["profile_ms_per_trial"].items())
            constrained = row.get("bare_constrained_trials_per_s", "")
            share = (f" ({row['share_of_bare_constrained']:.0%})"
                     if "share_of_bare_constrained" in row else "")
            proposals = (f" ({row['hwdse_proposals_per_s']} proposals/s)"
                         if "hwdse_proposals_per_s" in row else "")
            lines.append(f"| {row['sampler']} | {row['trials']} | {row['bare_trials_per_s']} | "
                         f"{constrained} | {row['hwdse_trials_per_s']}{proposals} | "
                         f"{row['share_of_bare']:.0%}{share} | {profile} |")
        host = entry["machine"]
        if entry.get("note"):
            lines += ["", entry["note"]]
        lines += ["", f"Machine: {host['cpu']}, {host['cores']} cores, load average "
                  f"{host['load_average_1m']} at the start. Command: `{entry['command']}`.", ""]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
