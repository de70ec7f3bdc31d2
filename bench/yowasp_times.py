"""Benchmark: YoWASP tool start-up (first call compiles the WebAssembly, later calls load
the compiled module) and warm synthesis / place-and-route times of systolic arrays.

Run: ``python bench/yowasp_times.py [--sizes 2 4 8] [--out bench/results]``

- ``first_call_seconds``: ``<tool> --version`` with an empty ``YOWASP_CACHE_DIR`` (what a
  fresh machine or CI pays once per tool version);
- ``warm_call_seconds``: the same command again;
- per design and target: Yosys synthesis, nextpnr packing and place-and-route times of
  ``flows.synth.synthesize`` with a warm tool cache and no result cache.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine

from flows.synth import synthesize
from flows.tools import NEXTPNR_ECP5, NEXTPNR_ICE40, YOSYS, Tool
from hw.systolic import SystolicParams


def startup(tool: Tool) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="yowasp-cache-") as cache:
        env = dict(os.environ, YOWASP_CACHE_DIR=cache)
        times = []
        for _ in range(2):
            start = time.monotonic()
            subprocess.run([*tool.command(), "--version"], env=env, check=True,
                           capture_output=True)
            times.append(time.monotonic() - start)
    return {"tool": tool.distribution, "version": tool.version(),
            "first_call_seconds": round(times[0], 2), "warm_call_seconds": round(times[1], 2)}


def flow_times(size: int, target: str) -> dict[str, object]:
    params = SystolicParams(rows=size, cols=size)
    start = time.monotonic()
    result = synthesize(params, target, use_cache=False)
    return {"design": f"{size}x{size} os int8", "target": target, "status": result.status,
            "wall_seconds": round(time.monotonic() - start, 2), **result.seconds,
            "lut": result.resources.get("lut", result.resources.get("gate")).used,
            "fmax_mhz": result.fmax_mhz and round(result.fmax_mhz, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    before = machine()
    tools = [startup(tool) for tool in (YOSYS, NEXTPNR_ICE40, NEXTPNR_ECP5)]
    for row in tools:
        print(json.dumps(row), flush=True)
    flows = []
    with tempfile.TemporaryDirectory(prefix="hwdse-bench-") as cache:
        os.environ["HWDSE_CACHE"] = cache
        for size in args.sizes:
            for target in ("generic", "xc7a35t", "ice40-up5k", "ecp5-85k"):
                row = flow_times(size, target)
                flows.append(row)
                print(json.dumps(row), flush=True)
    record = {"benchmark": "yowasp_times", "command": " ".join([sys.executable, *sys.argv]),
              "date": time.strftime("%Y-%m-%d"), "machine": before,
              "load_average_1m_after": round(os.getloadavg()[0], 2),
              "startup": tools, "flows": flows}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "yowasp_times.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [f"Machine: {before['cpu']}, {before['cores']} cores; load average "
             f"{before['load_average_1m']} before, {record['load_average_1m_after']} after.",
             "", "| tool | version | first call (WASM compile) | warm call |", "|---|---|---|---|"]
    lines += [f"| {t['tool']} | {t['version']} | {t['first_call_seconds']} s "
              f"| {t['warm_call_seconds']} s |" for t in tools]
    lines += ["", "| design | target | status | Yosys | pack | place & route | wall "
              "| LUTs (gates) | Fmax MHz |", "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['design']} | {r['target']} | {r['status']} | {r.get('synth', '')} s "
              f"| {r.get('pack', '-')} | {r.get('place_route', '-')} | {r['wall_seconds']} s "
              f"| {r['lut']} | {r['fmax_mhz'] or '-'} |" for r in flows]
    (args.out / "yowasp_times.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
