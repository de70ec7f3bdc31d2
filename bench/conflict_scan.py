"""Benchmark: which measured designs of a shipped data or results file did Yosys 0.70's
``abc9`` mis-synthesize (outputs driven by constant 1'x, YosysHQ/yosys issue 6237)?

The flow checks every Yosys log for :data:`flows.synth.CONSTANT_CONFLICT` and synthesizes
such a design again with ``write_xaiger`` (``flows.synth._run_flow``), but measurements
taken before it did may come from a wrong netlist. This runs the flow's own first Yosys
script (``flows.synth.yosys_script``, the bare design or the placed design in its IO shim
as the file measured) on each design, or reads the flow's cache entry where this machine has
one, and lists the designs with conflicts: ``clock_model.py --recorded --replace-listed``
places those again, and an area fit synthesizes them again without ``--recorded``.

    python bench/conflict_scan.py bench/results/clock_qmlp.json --place --jobs 2
    python bench/conflict_scan.py dse/models/data/area_systolic-v1_ecp5-85k.json --sample 20

Results go to ``<out>/conflict_scan_<file stem>.{json,md}``; an interrupted scan resumes
from ``<out>/conflict_scan_<file stem>.progress.jsonl``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import area_accel
import area_bitserial
import area_pim
import area_qmlp
import area_systolic
from common import machine

from flows.synth import (
    FLOW_VERSION,
    YOSYS,
    constant_conflicts,
    flow_design,
    run_yosys,
    synth_key,
    yosys_script,
)
from flows.targets import get_target
from flows.tools import ToolError, cache_root, is_complete
from hw.registry import get as get_generator

#: generator -> its area benchmark's label of a design
DESCRIBE = {module.GENERATOR: module.describe
            for module in (area_accel, area_bitserial, area_pim, area_qmlp, area_systolic)}


def _designs(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The measured designs of a data file (``samples``) or a results file (``points``)."""
    rows = payload.get("samples") or payload.get("points") or []
    return [{"params": row["params"], "split": row.get("split", "")} for row in rows]


def _from_cache(entry: Path) -> int | None:
    """The conflicts of the flow's first Yosys run as its cache entry recorded them, or None
    where this machine has no complete entry."""
    if not is_complete(entry):
        return None
    first = entry / "yosys_xaiger2.log"  # kept where the flow synthesized again
    return constant_conflicts(first if first.is_file() else entry / "yosys.log")


def scan_one(generator: str, values: dict[str, Any], target_name: str, place: bool,
             timeout: float) -> dict[str, Any]:
    """One design in a worker process: conflicts of the flow's first Yosys run."""
    params = get_generator(generator).params_class.from_mapping(values)
    target = get_target(target_name)
    design = flow_design(params, target, place=place)
    key = synth_key(design, target, target.default_clock_mhz, 1, place)
    cached = _from_cache(cache_root() / "synth" / key)
    if cached is not None:
        return {"conflicts": cached, "source": "cache", "seconds": 0.0}
    with tempfile.TemporaryDirectory(prefix="hwdse-scan-") as folder:
        work = Path(folder)
        (work / f"{design.top}.v").write_text(design.text)
        (work / "synth.ys").write_text(
            yosys_script(target, f"{design.top}.v", design.top, place=place))
        start = time.monotonic()
        source = "yosys"
        try:
            run_yosys(work, "synth.ys", timeout)
        except ToolError as error:  # abc9 failed: the flow maps those with its fallback
            if error.timed_out:  # not scanned: said so in the report, never counted clean
                return {"conflicts": None, "source": f"timed out after {timeout:g} s",
                        "seconds": round(time.monotonic() - start, 3)}
            if not target.abc9_fallback:
                raise
            (work / "synth_fallback.ys").write_text(yosys_script(
                target, f"{design.top}.v", design.top, place=place, fallback=True))
            run_yosys(work, "synth_fallback.ys", timeout)
            source = "yosys, abc9 fallback"
        return {"conflicts": constant_conflicts(work / "yosys.log"), "source": source,
                "seconds": round(time.monotonic() - start, 3)}


def _resume(progress: Path, designs: list[dict[str, Any]], params_class: Any, target: str,
            place: bool) -> tuple[list[dict[str, Any]], Path]:
    """The rows an interrupted scan of the same file wrote to ``progress`` (one JSON line
    per design scanned), those of the same design, target and kind only."""
    rows = []
    if progress.is_file():
        for line in progress.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # the line being written when it stopped
                continue
            index = row.get("index", -1)
            if (0 <= index < len(designs) and (row["target"], row["place"]) == (target, place)
                    and row["params"]
                    == params_class.from_mapping(designs[index]["params"]).to_dict()):
                rows.append(row)
    return rows, progress


def markdown(result: dict[str, Any]) -> str:
    hits = [row for row in result["designs"] if row["conflicts"]]
    timed_out = [row for row in result["designs"] if row["conflicts"] is None]
    fallback = [row for row in result["designs"] if "fallback" in row["source"]]
    kind = "placed design (IO shim)" if result["place"] else "bare design"
    cached = sum(row["source"] == "cache" for row in result["designs"])
    lines = [f"# Constant-1'x conflicts in {result['file']}", "",
             f"Command: `{result['command']}` ({result['date']})  ",
             f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores; "
             f"Yosys {result['yosys']}, flow version {result['flow_version']}; "
             f"target {result['target']}, {kind}",
             "", f"Scanned {len(result['designs'])} of {result['total']} designs "
             f"({result['selection']}); {cached} "
             f"read from this machine's flow cache, the others synthesized "
             f"({result['yosys_seconds']:.0f} s of Yosys).", "",
             f"**{len(hits)} with conflicts** (the flow now synthesizes them again); on "
             f"{len(fallback)} abc9 failed and the flow's fallback script was scanned"
             + (f"; {len(timed_out)} not scanned: Yosys ran past --timeout "
                f"({', '.join(row['config'] for row in timed_out)})" if timed_out else "")
             + ".", ""]
    if hits:
        lines += ["| design | split | conflicts |", "|---|---|---:|"]
        lines += [f"| {row['config']} | {row['split']} | {row['conflicts']} |" for row in hits]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("file", type=Path, help="a data file (samples) or results file "
                        "(points) with the designs' params")
    parser.add_argument("--place", action="store_true",
                        help="the designs were measured placed (in the IO shim): clock results")
    parser.add_argument("--sample", type=int, default=0,
                        help="scan a random subset of this many designs (0: all)")
    parser.add_argument("--seed", type=int, default=1, help="seed of --sample")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="seconds per Yosys run; a design past it is listed as not "
                             "scanned")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    payload = json.loads(args.file.read_text())
    generator, target = payload["generator"], payload.get("target", "ecp5-85k")
    params_class = get_generator(generator).params_class
    designs = _designs(payload)
    chosen = (sorted(random.Random(args.seed).sample(range(len(designs)), args.sample))
              if 0 < args.sample < len(designs) else list(range(len(designs))))
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"conflict_scan_{args.file.stem}"
    rows, progress = _resume(args.out / f"{stem}.progress.jsonl", designs, params_class,
                              target, args.place)
    todo = [i for i in chosen if i not in {row["index"] for row in rows}]
    if rows:
        print(f"resumed: {len(rows)} designs scanned by an interrupted run", flush=True)
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool, \
            progress.open("a") as log:
        futures = {pool.submit(scan_one, generator, designs[i]["params"], target, args.place,
                               args.timeout): i for i in todo}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            index = futures[future]
            params = params_class.from_mapping(designs[index]["params"])
            row = {"index": index, "config": DESCRIBE[generator](params),
                   "params": params.to_dict(), "split": designs[index]["split"],
                   "target": target, "place": args.place, **future.result()}
            rows.append(row)
            log.write(json.dumps(row) + "\n")
            log.flush()
            print(f"[{done}/{len(todo)}] {row['config']}: {row['conflicts']} conflicts "
                  f"({row['source']}, {row['seconds']} s)", flush=True)
    rows = sorted((row for row in rows if row["index"] in set(chosen)),
                  key=lambda row: row["index"])
    result = {"benchmark": "conflict_scan", "file": str(args.file), "generator": generator,
              "target": target, "place": args.place,
              "command": " ".join(["python", "bench/conflict_scan.py", *sys.argv[1:]]),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "machine": machine(), "yosys": YOSYS.version(), "flow_version": FLOW_VERSION,
              "total": len(designs),
              "selection": (f"random subset, seed {args.seed}" if len(chosen) < len(designs)
                            else "all"),
              "yosys_seconds": sum(row["seconds"] for row in rows), "designs": rows}
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / f"{stem}.md").write_text(markdown(result))
    progress.unlink()
    print(markdown(result))


if __name__ == "__main__":
    main()
