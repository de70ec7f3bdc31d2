"""Import times of the workload front end (each source in a fresh process, so the torch and
transformers imports are counted): ``python bench/workload_import.py [--out FILE]``."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

CASES = [("hf:resnet-50", {}), ("transformer:gpt2", {"phase": "prefill", "tokens": 128}),
         ("transformer:gpt2", {"phase": "decode", "tokens": 512}),
         ("transformer:gpt2-large", {"phase": "decode", "tokens": 512})]
PROBE = """
import json, sys, time
start = time.perf_counter()
from dse.workload.sources import load_source
source, options = sys.argv[1], json.loads(sys.argv[2])
loaded = time.perf_counter()
workload = load_source(source, **options)
done = time.perf_counter()
print(json.dumps({"import_s": loaded - start, "load_s": done - loaded, "total_s": done - start,
                  "layers": len(workload.layers), "shapes": len(workload.merged().layers),
                  "macs": workload.total_macs}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None)
    out = parser.parse_args().out
    rows = []
    for source, options in CASES:
        result = subprocess.run([sys.executable, "-c", PROBE, source, json.dumps(options)],
                                capture_output=True, text=True, check=True)
        record = json.loads(result.stdout.strip().splitlines()[-1])
        label = source + "".join(f" {k}={v}" for k, v in options.items())
        rows.append(f"| {label} | {record['layers']} | {record['shapes']} | "
                    f"{record['macs']:,} | {record['load_s']:.2f} | {record['total_s']:.2f} |")
        print(rows[-1], flush=True)
    text = "\n".join([
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; command: `python bench/workload_import.py`.", "",
        "| source | layers | distinct shapes | MACs | trace + lower (s) | process total (s) |",
        "|---|---:|---:|---:|---:|---:|", *rows, ""])
    if out:
        out.write_text(text)


if __name__ == "__main__":
    main()
