"""The ``qmlp-v1`` area model on trained networks, which its fit samples do not hold (they
are seeded random networks, with dense weights): each stored network (``bench/networks``,
trained by hwdse and picked from its network cache with ``--collect``) in a seeded random
folding, synthesized as the area benchmark does (the bare design), with the shipped
model's estimate beside it. The model flags these estimates out of range
(``trained_network``); this measures by how much they miss, and whether the miss follows
the share of zero weights (trained networks have many, random ones few).

    python bench/area_trained_qmlp.py [--target ecp5-85k-area] [--jobs 2]
    python bench/area_trained_qmlp.py --collect 16    # store a seeded pick of the cache
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
from area_qmlp import MAX_SAMPLED_SIZE, describe, layer_fold

from dse.models.registry import area
from flows.targets import target_names
from flows.tools import cache_root
from hw.qmlp.network import QuantNetwork, load_network
from hw.qmlp.params import QmlpParams, format_folding

#: The stored networks (run from the repository's root, as every benchmark)
NETWORKS = Path("bench/networks")
#: Seed of the pick from the cache and of each network's folding
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


def collect(count: int) -> None:
    """Copy a seeded pick of ``count`` cached networks that fit into :data:`NETWORKS`."""
    cache = cache_root() / "qnn"
    paths = sorted(cache.glob("*.qnet.json"))
    random.Random(SEED).shuffle(paths)
    picked = [p for p in paths if fits_sampled_space(load_network(p))][:count]
    if len(picked) < count:
        raise SystemExit(f"--collect {count}: the cache {cache} holds only {len(picked)} "
                         "networks that fit; train more (e.g. bench/codesign.py)")
    NETWORKS.mkdir(exist_ok=True)
    for path in picked:
        shutil.copy(path, NETWORKS / path.name)
        print(f"stored {path.name}", flush=True)


def folding(network: QuantNetwork, name: str) -> str:
    """A seeded random folding of ``network``, drawn per layer as the area samples are
    (:func:`area_qmlp.layer_fold`)."""
    rng = random.Random(f"{SEED}:{name}")
    return format_folding(tuple(
        layer_fold(rng.random(), rng.random(), inputs, outputs)
        for inputs, outputs in zip(network.sizes, network.sizes[1:], strict=False)))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--target", default="ecp5-85k-area", choices=target_names(),
                        help="synthesis target (default ecp5-85k-area)")
    parser.add_argument("--collect", type=int, metavar="N",
                        help=f"store a seeded pick of N cached networks in {NETWORKS} and stop")
    args = parser.parse_args()
    if args.collect:
        collect(args.collect)
        return
    start = time.monotonic()
    paths = sorted(NETWORKS.glob("*.qnet.json"))
    if not paths:
        raise SystemExit(f"no networks in {NETWORKS}: store some with --collect N")
    designs, zeros = [], {}
    for path in paths:
        network = load_network(path)
        params = QmlpParams.for_network(path, folding=folding(network, path.name))
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
              "seed": SEED, "networks": [p.name for p in paths], "designs": rows,
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
        f"{len(result['networks'])} networks trained by hwdse (stored in `bench/networks`, "
        f"picked with `--collect` from the network cache, seed {result['seed']}: layers of "
        f"at most {MAX_SAMPLED_SIZE}, at most {MAX_WEIGHTS} weights), each in a seeded "
        "random folding. Errors are model less measured, over measured; 'sparse': at least "
        f"{SPARSE:.0%} of the weights are zero. The model's fit samples are random networks "
        "(dense weights), so every estimate here is flagged out of range "
        "(`trained_network`).", "",
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
