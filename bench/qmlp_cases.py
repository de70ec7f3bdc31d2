"""Benchmark: the CAN intrusion-detection case and the digits case end to end (train with
Brevitas, export, fold for a target II, generate qmlp-v1, check every test input in
Verilator, synthesize and place-and-route), beside the CAN paper's figures.

Run: ``python bench/qmlp_cases.py [--target ecp5-85k] [--target-ii 64] [--out bench/results]``

Writes ``<out>/qmlp_cases.{json,md}``; each case's Verilog, network and report go to
``runs/qmlp_cases/<case>/``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from common import machine

from dse.qnn.flow import PAPER_CAN, run_case
from dse.qnn.train import TrainConfig

CASES = {
    "can": ("can", TrainConfig(hidden=(64, 32), weight_bits=2, act_bits=2)),
    "digits": ("digits", TrainConfig(hidden=(64, 32), weight_bits=2, act_bits=2)),
}


def markdown(result: dict[str, Any]) -> str:
    lines = ["# Quantized-MLP accelerators: the CAN intrusion detector and digits", "",
             f"Command: `{result['command']}`  ",
             f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores, "
             f"load {result['machine']['load_average_1m']}; {result['date']}  ",
             f"Target: {result['target']}, folding chosen for II <= {result['target_ii']} "
             "cycles by the resource-aware optimizer (area-model LUTs)", ""]
    for name, case in result["cases"].items():
        r = case["report"]
        synth, sim, design = r.get("synthesis", {}), r.get("simulation", {}), r["design"]
        lines += [f"## {name}: {r['dataset']['description']}", "",
                  "| quantity | hwdse | paper |", "|---|---|---|"]
        paper = PAPER_CAN if name == "can" else None

        def row(q: str, ours: str, theirs: str = "", lines: list[str] = lines) -> None:
            lines.append(f"| {q} | {ours} | {theirs} |")

        row("network", "-".join(map(str, r["network"]["sizes"]))
            + f", w{r['train']['weight_bits']} a{r['train']['act_bits']}",
            paper["bits"] if paper else "")
        row("training", f"{r['training']['train_seconds']} s CPU, {r['training']['epochs_run']}"
            f" epochs (best {r['training']['best_epoch']})")
        row("Brevitas model test accuracy", f"{r['training']['test_accuracy']:.4f}")
        row("integer model = RTL test accuracy", f"{r['accuracy']['integer_model']:.4f}",
            f"{paper['accuracy']}" if paper else "")
        row("Brevitas vs integer disagreements", f"{r['training']['disagreements']} "
            f"(all exact score ties: {r['training']['tied_disagreements']})")
        for cls, item in r["accuracy"]["per_class"].items():
            row(f"accuracy, {cls}", f"{item['accuracy']:.4f} of {item['frames']}")
        row("folding (PExSIMD per layer)", design["folding"])
        row("II / latency", f"{design['initiation_interval']} / {design['latency_cycles']} "
            "cycles")
        if sim:
            row("RTL check (Verilator)", f"{sim['inputs']} test inputs "
                f"{'bit-exact' if sim['passed'] else 'MISMATCH'}; {sim['cycles']} cycles, "
                f"model {sim['model_cycles']} ({'equal' if sim['model_matches'] else 'DIFFER'})")
        if synth:
            res = synth["resources"]
            row("LUT / FF / DSP / BRAM", f"{res['lut']['used']:.0f} / {res['ff']['used']:.0f} / "
                f"{res['dsp']['used']:.0f} / {res['bram']['used']:.0f}",
                paper["device"] if paper else "")
            row("Fmax (nextpnr)", f"{synth['fmax_mhz']} MHz")
        if "latency_us" in r:
            row("latency at Fmax", f"{r['latency_us']:.3f} us",
                f"{paper['latency_ms'] * 1000:.0f} us ({paper['latency_note']})"
                if paper else "")
            row("throughput at Fmax", f"{r['throughput_inferences_per_s']:.3g} inferences/s")
        if sim:
            row("energy per inference (model, from RTL activity)",
                f"{sim['energy_per_inference_pj']:.1f} pJ ({sim['energy_table']})",
                f"{paper['energy_mj']} mJ (board power x time)" if paper else "")
        lines.append("")
    lines += ["Energy here counts the datapath's events only (Horowitz 45 nm table, no "
              "static power, no I/O, no board); the paper's 0.23 mJ is measured board "
              "energy, so the two are not comparable beyond order of magnitude. Latency "
              "here is from the first feature beat to the last score; the paper's counts "
              "from message reception on the CAN interface. The CAN data are synthetic "
              "(HCRL-like; see dse/qnn/can.py), not the HCRL captures.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="ecp5-85k")
    parser.add_argument("--target-ii", type=int, default=64)
    parser.add_argument("--cases", default="can,digits")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    cases = {}
    for name in args.cases.split(","):
        dataset, config = CASES[name]
        start = time.monotonic()
        report = run_case(dataset, config, out=Path("runs/qmlp_cases") / name,
                          target=args.target, target_ii=args.target_ii)
        cases[name] = {"seconds": round(time.monotonic() - start, 1), "report": report}
        print(name, json.dumps({k: report.get(k) for k in ("accuracy", "latency_us")}),
              flush=True)
    result = {"benchmark": "qmlp_cases", "command": " ".join(["python", "bench/qmlp_cases.py",
                                                                *sys.argv[1:]]),
              "machine": machine(), "date": time.strftime("%Y-%m-%d"), "target": args.target,
              "target_ii": args.target_ii, "cases": cases}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "qmlp_cases.json").write_text(json.dumps(result, indent=1, default=float) + "\n")
    (args.out / "qmlp_cases.md").write_text(markdown(result))


if __name__ == "__main__":
    main()
