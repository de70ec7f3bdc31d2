"""The ``qmlp-v1`` area model on trained networks it was not fitted on: each network
stored in ``bench/networks`` (trained by hwdse, picked from its network cache with
``--collect``) in a seeded random folding, synthesized as the area benchmark does (the bare
design), with the shipped model's estimate beside it. Since session 36 the model's fit holds
trained networks too (``dse/models/data/networks/qmlp-v1``, picked the same way; since
session 37 the seed-37 pick held out before is among them); the networks here are a later
pick (seed 38), none of them fitted. It reports whether the miss follows the share of zero
weights (trained networks have many, random ones few).

    python bench/area_trained_qmlp.py [--target ecp5-85k-area] [--jobs 2]
    python bench/area_trained_qmlp.py --collect 32 --pick-seed 38    # store a pick
    python bench/area_trained_qmlp.py --collect 32 --pick-seed 36 \
        --into dse/models/data/networks/qmlp-v1                      # networks to fit on
"""

from __future__ import annotations

import argparse
import random
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
from area_common import (
    sweep_failures,
    sweep_header,
    sweep_result,
    synthesize_all,
    write_sweep,
)
from area_qmlp import (
    MAX_SAMPLED_SIZE,
    TRAINED_FIT,
    TRAINED_FOLD_SEED,
    describe,
    trained_folding,
)

from dse.models.area import shipped_data_dir
from dse.models.registry import area
from flows.targets import target_names
from flows.tools import cache_root
from hw.qmlp.network import QuantNetwork, load_network
from hw.qmlp.params import QmlpParams

#: The stored networks (run from the repository's root, as every benchmark)
NETWORKS = Path("bench/networks")
#: Seed of the first pick from the cache (session 35; fitted on since session 36)
SEED = 35
#: Networks picked: at most this many weights in all (synthesis stays within minutes)
MAX_WEIGHTS = 6000
#: A network with at least this share of zero weights counts as sparse in the summary
SPARSE = 0.3


def zero_share(network: QuantNetwork) -> float:
    """The share of the network's weights that are zero."""
    return (sum(int((layer.weights == 0).sum()) for layer in network.layers)
            / sum(layer.weights.size for layer in network.layers))


def fits_sampled_space(network: QuantNetwork) -> bool:
    """Layers of at most :data:`MAX_SAMPLED_SIZE` and :data:`MAX_WEIGHTS` weights in all."""
    return (max(network.sizes) <= MAX_SAMPLED_SIZE
            and sum(layer.weights.size for layer in network.layers) <= MAX_WEIGHTS)


def collect(count: int, seed: int, into: Path) -> None:
    """Copy a seeded pick of ``count`` cached networks that fit into ``into``, none of them
    already stored there, in :data:`NETWORKS` or among the networks fitted on."""
    cache = cache_root() / "qnn"
    stored = {p.name for folder in (into, NETWORKS, shipped_data_dir() / TRAINED_FIT)
              for p in folder.glob("*.qnet.json")}
    paths = sorted(p for p in cache.glob("*.qnet.json") if p.name not in stored)
    random.Random(seed).shuffle(paths)
    picked = [p for p in paths if fits_sampled_space(load_network(p))][:count]
    if len(picked) < count:
        raise SystemExit(f"--collect {count}: the cache {cache} holds only {len(picked)} "
                         "networks that fit and are not stored; train more (e.g. "
                         "bench/codesign.py)")
    into.mkdir(parents=True, exist_ok=True)
    for path in picked:
        shutil.copy(path, into / path.name)
        print(f"stored {path.name} in {into}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--target", default="ecp5-85k-area", choices=target_names(),
                        help="synthesis target (default ecp5-85k-area)")
    parser.add_argument("--networks", type=Path, default=NETWORKS,
                        help=f"the folder of networks to run (default {NETWORKS})")
    parser.add_argument("--collect", type=int, metavar="N",
                        help="store a seeded pick of N cached networks (in --into) and stop")
    parser.add_argument("--pick-seed", type=int, default=SEED,
                        help=f"seed of --collect's pick (default {SEED})")
    parser.add_argument("--into", type=Path, default=NETWORKS,
                        help=f"where --collect stores its pick (default {NETWORKS})")
    args = parser.parse_args()
    if args.collect:
        collect(args.collect, args.pick_seed, args.into)
        return
    start = time.monotonic()
    paths = sorted(args.networks.glob("*.qnet.json"))
    if not paths:
        raise SystemExit(f"no networks in {args.networks}: store some with --collect N")
    designs, zeros = [], {}
    for path in paths:
        network = load_network(path)
        params = QmlpParams.for_network(path, folding=trained_folding(network, path.name))
        designs.append(params)
        zeros[params] = zero_share(network)
    samples, failed, _ = synthesize_all(designs, dict.fromkeys(designs, "trained"),
                                        args.target, describe, args.jobs)
    rows: list[dict[str, Any]] = []
    for sample in samples:
        estimate = area(sample.params, args.target)
        rows.append({"config": describe(sample.params), "params": sample.params.to_dict(),
                     "zeros": round(zeros[sample.params], 3),
                     "lut": sample.measured["lut"], "lut_model": round(estimate.lut, 1),
                     "ff": sample.measured["ff"], "ff_model": round(estimate.ff, 1),
                     "bram": sample.measured["bram"], "bram_model": estimate.bram,
                     "out_of_range": list(estimate.out_of_range)})
    result = {**sweep_result(f"area_trained_qmlp_{args.target}", "qmlp-v1", args.target),
              "folding_seed": TRAINED_FOLD_SEED, "networks_dir": args.networks.as_posix(),
              "networks": [p.name for p in paths], "designs": rows,
              "summary": summary(rows), "failed": failed,
              "wall_seconds": round(time.monotonic() - start, 1)}
    write_sweep(args.out, result, markdown(result))


def _errors(rows: list[dict[str, Any]], resource: str) -> dict[str, float]:
    signed = np.array([(r[f"{resource}_model"] - r[resource]) / r[resource] for r in rows])
    return {"count": len(rows), "mean_abs": float(np.abs(signed).mean()),
            "mean_signed": float(signed.mean()),
            "p95_abs": float(np.percentile(np.abs(signed), 95)),
            "max_abs": float(np.abs(signed).max())}


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Model errors over all designs, and over the sparse and the dense networks."""
    groups = {"all": rows, "sparse": [r for r in rows if r["zeros"] >= SPARSE],
              "dense": [r for r in rows if r["zeros"] < SPARSE]}
    return {name: {resource: _errors(group, resource) for resource in ("lut", "ff")}
            for name, group in groups.items() if group}


def markdown(result: dict[str, Any]) -> str:
    lines = sweep_header(result, f"qmlp-v1 area model on trained networks "
                                 f"({result['target']})", "area_qmlp") + [
        f"{len(result['networks'])} networks trained by hwdse (stored in "
        f"`{result['networks_dir']}`, picked with `--collect` from the network cache: layers "
        f"of at most {MAX_SAMPLED_SIZE}, at most {MAX_WEIGHTS} weights), each in a seeded "
        f"random folding (seed {result['folding_seed']}) drawn as the area samples' are. "
        "Errors are model less measured, over measured; 'sparse': at least "
        f"{SPARSE:.0%} of the weights are zero. The model is fitted on random networks and, "
        f"since session 36, on the trained networks of `dse/models/data/"
        f"{TRAINED_FIT.as_posix()}` (another pick; `bench/networks` holds none of them).", "",
        "| networks | count | LUT mean abs | LUT mean signed | LUT p95 | LUT max | FF mean abs "
        "| FF max |", "|---|---|---|---|---|---|---|---|"]
    for name, group in result["summary"].items():
        lut, ff = group["lut"], group["ff"]
        lines.append(f"| {name} | {lut['count']} | {lut['mean_abs']:.1%} | "
                     f"{lut['mean_signed']:+.1%} | {lut['p95_abs']:.1%} | {lut['max_abs']:.1%} "
                     f"| {ff['mean_abs']:.2%} | {ff['max_abs']:.2%} |")
    lines += ["", "| design | zero weights | LUT | model | error | FF | model | BRAM |",
              "|---|---|---|---|---|---|---|---|"]
    for r in sorted(result["designs"], key=lambda r: r["zeros"]):
        lines.append(f"| {r['config']} | {r['zeros']:.0%} | {r['lut']:.0f} | "
                     f"{r['lut_model']:.0f} | {(r['lut_model'] - r['lut']) / r['lut']:+.1%} | "
                     f"{r['ff']:.0f} | {r['ff_model']:.0f} | {r['bram']:.0f} / "
                     f"{r['bram_model']:.0f} |")
    return "\n".join(lines + sweep_failures(result)) + "\n"


if __name__ == "__main__":
    main()
