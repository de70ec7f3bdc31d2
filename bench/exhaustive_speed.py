"""Benchmark: ``--sampler exhaustive`` on a space of a million points (issue 20's target:
under 60 s), and the batch models' speed against the scalar ones.

Run: ``python bench/exhaustive_speed.py [--spec bench/specs/systolic_1m.toml]
[--check examples/systolic_dnn.toml] [--out bench/results]``

1. End to end: ``hwdse explore SPEC --sampler exhaustive --verify 0 --json`` in a fresh
   process on a journal in a scratch folder (start-up, enumeration, validation, models,
   front, the table of every point and the front stored as trials), wall time.
2. Where the time goes, in this process: enumerating the points, validating and
   evaluating them as arrays (``dse.exhaustive.evaluate_space``), writing the table.
3. The scalar path on the same space: ``spec.evaluate`` of the first ``--scalar`` points
   one at a time (points per second), and how long the whole space would take.
4. The front against brute force on ``--check``: every point through ``spec.evaluate``,
   the feasible points that no other feasible point dominates (pairwise), equal to the
   exhaustive front.

Writes ``<out>/exhaustive_speed.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import machine

from dse import exhaustive
from dse.spec import load_spec
from hw.params import ParamError


def end_to_end(spec_path: Path) -> dict[str, Any]:
    """``hwdse explore --sampler exhaustive`` in a fresh process, timed."""
    with tempfile.TemporaryDirectory(prefix="hwdse-exhaustive-") as run:
        command = [str(Path(sys.executable).with_name("hwdse")), "explore", str(spec_path),
                   "--sampler", "exhaustive", "--verify", "0", "--json",
                   "--run-dir", str(Path(run) / "run")]
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        if result.returncode:
            raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
        payload = json.loads(result.stdout)
        table = Path(run) / "run" / exhaustive.TABLE_NAME
        size = table.stat().st_size
    return {"command": "hwdse explore " + " ".join([str(spec_path), *command[3:-2]]),
            "seconds": round(seconds, 1), "stopped": payload["stopped"],
            "front_designs": len(payload["pareto"]), "table_bytes": size}


def phases(spec_path: Path) -> dict[str, Any]:
    spec = load_spec(spec_path)
    start = time.perf_counter()
    exhaustive.point_columns(spec.space)
    enumerate_s = time.perf_counter() - start
    start = time.perf_counter()
    table = exhaustive.evaluate_space(spec)
    evaluate_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="hwdse-exhaustive-") as run:
        start = time.perf_counter()
        exhaustive.write_table(spec, table, Path(run) / exhaustive.TABLE_NAME)
        write_s = time.perf_counter() - start
    points = len(table)
    return {"points": points, "valid": int((table.failures == 0).sum()),
            "feasible": len(table.feasible),
            "front": len(table.front), "enumerate_s": round(enumerate_s, 2),
            "evaluate_s": round(evaluate_s, 2), "write_table_s": round(write_s, 2),
            "points_per_s": round(points / (evaluate_s + write_s))}


def scalar_rate(spec_path: Path, count: int) -> dict[str, Any]:
    """``spec.evaluate`` of the first ``count`` points, one at a time."""
    spec = load_spec(spec_path)
    start = time.perf_counter()
    done = 0
    for point in spec.space.points():
        if done == count:
            break
        done += 1
        try:
            spec.evaluate(spec.space.params(point))
        except ParamError:
            pass
    seconds = time.perf_counter() - start
    rate = done / seconds
    return {"points": done, "seconds": round(seconds, 2), "points_per_s": round(rate),
            "whole_space_minutes": round(spec.space.size() / rate / 60, 1)}


def brute_force(spec_path: Path) -> dict[str, Any]:
    """The exhaustive front against a pairwise dominance check of every feasible point."""
    spec = load_spec(spec_path)
    signs = [1.0 if d == "minimize" else -1.0 for d in spec.directions]
    feasible = []
    for index, point in enumerate(spec.space.points()):
        try:
            metrics = spec.evaluate(spec.space.params(point))
        except ParamError:
            continue
        if all(c.violation(metrics[c.metric]) <= 0 for c in spec.constraints):
            feasible.append((index, [s * metrics[n] for s, n in
                                     zip(signs, spec.objective_names, strict=True)]))
    front = {index for index, values in feasible
             if not any(all(o <= v for o, v in zip(other, values, strict=True))
                        and other != values for _, other in feasible)}
    table = exhaustive.evaluate_space(spec)
    return {"spec": str(spec_path), "points": len(table), "feasible": len(feasible),
            "front": len(front), "equal": set(table.front.tolist()) == front
            and set(table.feasible.tolist()) == {i for i, _ in feasible}}


def extra(spec_path: Path) -> dict[str, Any]:
    """Another space: end to end and in process, with the machine's load."""
    return {"spec": str(spec_path), "machine": machine(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                                     capture_output=True, text=True,
                                     check=False).stdout.strip(),
            "end_to_end": end_to_end(spec_path), "phases": phases(spec_path)}


def markdown(result: dict[str, Any]) -> str:
    run, split, scalar, check = (result["end_to_end"], result["phases"], result["scalar"],
                                 result["brute_force"])
    verdict = "met" if run["seconds"] < 60 else "missed"
    m = result["machine"]
    return "\n".join([
        "# `--sampler exhaustive` on a million points", "",
        f"Command: `{result['command']}`  ",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, load average "
        f"{m['load_average_1m']} at the start (the machine is shared); {result['date']}"
        + (f", commit {result['commit']}" if result.get("commit") else ""), "",
        f"Spec: `{result['spec']}` ({split['points']:,} points, {split['valid']:,} valid "
        f"designs, {split['feasible']:,} feasible, exact front {split['front']} designs).", "",
        "| what | seconds |", "|---|---|",
        f"| `{run['command']}` (fresh process, journal; start-up, enumeration, validation, "
        f"models, front, table, front stored as trials) | {run['seconds']} |",
        f"| in process: enumerate the points as arrays | {split['enumerate_s']} |",
        f"| in process: validate and evaluate every point as arrays, exact front "
        f"(`evaluate_space`) | {split['evaluate_s']} |",
        f"| in process: write the table ({run['table_bytes'] / 2**20:.1f} MiB) | "
        f"{split['write_table_s']} |", "",
        f"Target: 1 M points in under 60 s: **{verdict}** ({run['seconds']} s end to end; "
        f"{split['points_per_s']:,} points/s evaluated and tabled in process).", "",
        f"Scalar models on the same space (`spec.evaluate` one point at a time, the first "
        f"{scalar['points']:,} points): {scalar['points_per_s']:,} points/s, so the whole "
        f"space would take {scalar['whole_space_minutes']} minutes.", "",
        f"Brute force on `{check['spec']}` ({check['points']} points, {check['feasible']} "
        f"feasible): the pairwise-dominance front ({check['front']} designs) "
        f"{'equals' if check['equal'] else 'DIFFERS from'} the exhaustive front "
        "(the batch models' equality with the scalar ones is tested in "
        "`tests/dse/test_batch_models.py`).", "",
        *[line for note in result.get("notes", []) for line in (note, "")],
        *[line for run in result.get("extra", []) for line in (
            f"## `{run['spec']}`", "",
            f"{run['phases']['points']:,} points, {run['phases']['valid']:,} valid designs, "
            f"{run['phases']['feasible']:,} feasible, exact front {run['phases']['front']} "
            f"designs. End to end (`{run['end_to_end']['command']}`): "
            f"{run['end_to_end']['seconds']} s; in process: enumerate "
            f"{run['phases']['enumerate_s']} s, validate, evaluate and front "
            f"{run['phases']['evaluate_s']} s, table {run['phases']['write_table_s']} s "
            f"({run['phases']['points_per_s']:,} points/s). Load average "
            f"{run['machine']['load_average_1m']} at the start; {run['date']}"
            + (f", commit {run['commit']}" if run.get("commit") else "") + ". Most of the "
            "end-to-end time is storing the exact front as trials (one Optuna trial each, "
            "through the same path as every other searcher's designs), not the sweep.", "")]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=Path("bench/specs/systolic_1m.toml"))
    parser.add_argument("--check", type=Path, default=Path("examples/systolic_dnn.toml"))
    parser.add_argument("--scalar", type=int, default=3000)
    parser.add_argument("--extra", type=Path, nargs="*", default=[],
                        help="more specs measured end to end and in process (no scalar rate, "
                             "no brute force)")
    parser.add_argument("--extra-only", action="store_true",
                        help="measure only --extra, into the recorded results")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    if args.extra_only:
        result = json.loads((args.out / "exhaustive_speed.json").read_text())
        result["extra"] = [extra(path) for path in args.extra]
        (args.out / "exhaustive_speed.json").write_text(json.dumps(result, indent=1) + "\n")
        (args.out / "exhaustive_speed.md").write_text(markdown(result))
        print(markdown(result))
        return
    result: dict[str, Any] = {
        "benchmark": "exhaustive_speed", "spec": str(args.spec),
        "command": " ".join(["python", "bench/exhaustive_speed.py", *sys.argv[1:]]),
        "machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True, check=False).stdout.strip()}
    result["end_to_end"] = end_to_end(args.spec)
    print(result["end_to_end"], flush=True)
    result["phases"] = phases(args.spec)
    print(result["phases"], flush=True)
    result["scalar"] = scalar_rate(args.spec, args.scalar)
    result["brute_force"] = brute_force(args.check)
    result["extra"] = [extra(path) for path in args.extra]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "exhaustive_speed.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / "exhaustive_speed.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
