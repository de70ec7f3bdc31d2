"""Benchmark: throughput per area and energy per MAC versus precision, bit-serial array
against bit-parallel systolic arrays of the same peak throughput.

Run: ``python bench/bitserial_vs_systolic.py [--size 64] [--out bench/results]``

Designs (same peak at 8 bits: 16 MACs per cycle):

- ``bitserial``: ``bitserial-v1`` 4 x 4 PEs x 8 lanes, 8-bit parallel activations,
  serial weights of 1..8 bits chosen per run (one design for every precision);
- ``systolic int8``: ``systolic-v1`` 4 x 4 output-stationary, 8-bit operands (runs every
  precision at the same speed);
- ``systolic rebuilt``: the same array rebuilt with ``input_width`` = the precision
  (2 at 1 bit: the generator's minimum), the best a bit-parallel design can do if the
  precision is known when it is built.

Every number is measured: cycles and activity from Verilator simulation of an
``--size``^3 GEMM at each precision (bit-exact against the golden model, activity counted
by the RTL, priced by the energy models' table), area from Yosys on ECP5 (LUT, FF, DSP;
``synth_ecp5``) and on the generic target (NAND2 gate equivalents, multipliers in gates:
the fair area when DSPs are counted apart). Writes ``<out>/bitserial_vs_systolic.{json,md,png}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from common import machine

from dse.verify import verify_gemm
from dse.workload import Gemm
from flows.synth import synthesize
from hw.bitserial import BitSerialParams
from hw.params import Params
from hw.systolic import SystolicParams

BITSERIAL = BitSerialParams(rows=4, cols=4, lanes=8, max_bits=8, parallel_width=8,
                            acc_width=32)
SYSTOLIC = SystolicParams(rows=4, cols=4, input_width=8, acc_width=32, dataflow="os")
PRECISIONS = tuple(range(1, 9))


def rebuilt(bits: int) -> SystolicParams:
    return SystolicParams(rows=4, cols=4, input_width=max(2, bits), acc_width=32,
                          dataflow="os")


def area(params: Params) -> dict[str, Any]:
    """ECP5 and generic synthesis of the bare design."""
    ecp5 = synthesize(params, "ecp5-85k", place=False)
    generic = synthesize(params, "generic", place=False)
    return {"lut": ecp5.synthesized["lut"], "ff": ecp5.synthesized["ff"],
            "dsp": ecp5.synthesized["dsp"], "gate_equivalents": generic.gate_equivalents,
            "synth_seconds": round(ecp5.seconds["synth"] + generic.seconds["synth"], 1)}


def measure(params: Params, gemm: Gemm, seed: int) -> dict[str, Any]:
    """RTL cycles and energy (from the RTL's activity counts) of one GEMM."""
    payload = verify_gemm(params, gemm, seed=seed).to_json()
    if not (payload["passed"] and payload["model_matches"]
            and payload["energy"]["activity_matches"]):
        raise SystemExit(f"RTL check failed for {params} on {gemm}: {payload}")
    rtl = payload["energy"]["rtl"]
    return {"cycles": payload["cycles"], "macs_per_cycle": gemm.macs / payload["cycles"],
            "pj_per_mac": rtl["pj_per_mac"], "on_chip_pj_per_mac": rtl["on_chip_pj"] / gemm.macs}


def row(name: str, bits: int, run: dict[str, Any], synth: dict[str, Any]) -> dict[str, Any]:
    return {"design": name, "bits": bits, **run, **synth,
            "macs_per_cycle_per_klut": run["macs_per_cycle"] / synth["lut"] * 1000,
            "macs_per_cycle_per_kge": run["macs_per_cycle"] / synth["gate_equivalents"] * 1000}


#: Compared quantities: (row key, what it is, higher is better).
QUANTITIES = (
    ("macs_per_cycle_per_kge", "throughput per gate equivalent", True),
    ("macs_per_cycle_per_klut", "throughput per ECP5 LUT (DSPs not counted)", True),
    ("on_chip_pj_per_mac", "on-chip energy per MAC", False),
    ("pj_per_mac", "total energy per MAC (with every streamed bit at DRAM energy)", False),
)


def winning_precisions(rows: list[dict[str, Any]], other: str, key: str,
                       higher_is_better: bool) -> list[int]:
    """Precisions at which the bit-serial array beats ``other`` on ``key``."""
    def value(design: str, bits: int) -> float:
        return float(next(r[key] for r in rows if r["design"] == design and r["bits"] == bits))

    return [bits for bits in PRECISIONS
            if (value("bitserial", bits) > value(other, bits)) == higher_is_better
            and value("bitserial", bits) != value(other, bits)]


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Bit-serial vs bit-parallel: throughput per area and energy per MAC", "",
        f"Command: `{result['command']}`  ",
        f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores, load "
        f"{result['machine']['load_average_1m']}; {result['date']}  ",
        f"Workload: {result['gemm']} GEMM, random operands (the serial operand within its "
        "precision), every result bit-exact in Verilator and RTL cycles = model cycles.  ",
        "Area: Yosys `synth_ecp5` (LUT4 + 2 x CCU2C, TRELLIS_FF, MULT18X18D) and the "
        "generic target (NAND2 gate equivalents, multipliers in gates).  ",
        "Energy: the RTL's activity counts x the Horowitz 45 nm table (dse.models); "
        "on-chip = arithmetic and registers, total adds every streamed bit at DRAM energy.",
        "", "| design | bits | cycles | MACs/cycle | LUT | DSP | kGE | MACs/cycle per kLUT | "
        "MACs/cycle per kGE | on-chip pJ/MAC | total pJ/MAC |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['design']} | {r['bits']} | {r['cycles']} | {r['macs_per_cycle']:.2f} | "
            f"{r['lut']:.0f} | {r['dsp']:.0f} | {r['gate_equivalents'] / 1000:.1f} | "
            f"{r['macs_per_cycle_per_klut']:.2f} | {r['macs_per_cycle_per_kge']:.3f} | "
            f"{r['on_chip_pj_per_mac']:.2f} | {r['pj_per_mac']:.1f} |")
    lines += ["", "## Crossover", ""]
    for text in result["findings"]:
        lines.append(f"- {text}")
    lines += ["", "![throughput per area and energy per MAC](bitserial_vs_systolic.png)"]
    return "\n".join(lines) + "\n"


def findings(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for other in ("systolic int8", "systolic rebuilt"):
        for key, label, higher in QUANTITIES:
            wins = winning_precisions(rows, other, key, higher)
            if not wins:
                out.append(f"{label}: the bit-serial array never beats {other}.")
            elif wins == list(PRECISIONS):
                out.append(f"{label}: the bit-serial array beats {other} at every precision "
                           "from 1 to 8 bits.")
            elif wins == list(range(1, max(wins) + 1)):
                out.append(f"{label}: the bit-serial array beats {other} up to {max(wins)} "
                           f"bits and loses above (crossover between {max(wins)} and "
                           f"{max(wins) + 1} bits).")
            else:
                out.append(f"{label}: the bit-serial array beats {other} at "
                           f"{', '.join(map(str, wins))} bits.")
    out.append("ECP5 LUTs leave out the systolic arrays' DSP blocks (16 MULT18X18D each); "
               "gate equivalents count the multipliers, so they are the like-for-like area.")
    out.append("Total energy: the bit-serial array streams its parallel operand again with "
               "every bit plane (the stream carries whole beats; there is no on-chip buffer "
               "for it), so its DRAM traffic per MAC grows with the precision.")
    return out


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for design, style in (("bitserial", "o-"), ("systolic int8", "s--"),
                          ("systolic rebuilt", "^:")):
        points = [r for r in rows if r["design"] == design]
        bits = [r["bits"] for r in points]
        left.plot(bits, [r["macs_per_cycle_per_kge"] for r in points], style, label=design)
        right.plot(bits, [r["on_chip_pj_per_mac"] for r in points], style, label=design)
    left.set(xlabel="precision (bits)", ylabel="MACs/cycle per kGE",
             title="throughput per area (generic gates)")
    right.set(xlabel="precision (bits)", ylabel="pJ per MAC (on chip, 45 nm)",
              title="energy per MAC")
    for axis in (left, right):
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    size = args.size
    rows = []
    bitserial_area = area(BITSERIAL)
    int8_area = area(SYSTOLIC)
    int8_run = measure(SYSTOLIC, Gemm(size, size, size), seed=1)
    for bits in PRECISIONS:
        print(f"{bits} bits", flush=True)
        rows.append(row("bitserial", bits,
                        measure(BITSERIAL, Gemm(size, size, size, bits=bits), seed=bits),
                        bitserial_area))
        rows.append(row("systolic int8", bits, int8_run, int8_area))
        params = rebuilt(bits)
        rows.append(row("systolic rebuilt", bits,
                        measure(params, Gemm(size, size, size), seed=bits), area(params)))
    result = {
        "benchmark": "bitserial_vs_systolic",
        "command": " ".join(["python", "bench/bitserial_vs_systolic.py", *sys.argv[1:]]),
        "machine": machine(), "date": time.strftime("%Y-%m-%d"),
        "gemm": f"{size}x{size}x{size}", "designs": {
            "bitserial": BITSERIAL.to_dict(), "systolic int8": SYSTOLIC.to_dict(),
            "systolic rebuilt": "systolic int8 with input_width = max(2, bits)"},
        "rows": rows, "findings": findings(rows),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bitserial_vs_systolic.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / "bitserial_vs_systolic.md").write_text(markdown(result))
    plot(rows, args.out / "bitserial_vs_systolic.png")
    print("\n".join(result["findings"]))


if __name__ == "__main__":
    main()
