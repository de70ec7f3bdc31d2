"""Benchmark: fit the analytic area model of ``pim-v1`` (the DRAM processing-in-memory
controller) on ECP5 to real synthesis of designs sampled over the whole sampled space and
measure its error on a fresh random draw.

Run: ``python bench/area_pim.py [--seed 2121] [--samples 28] [--fresh 32] [--jobs 1]``

The sampled space (:data:`SPACE`) is every parameter of ``PimParams`` over its legal
range, except the size of the scheduler: channels stop at 4, banks at 16 and the queue at
16 entries, with at most :data:`MAX_QUEUE_BANKS` queue entries times scheduled banks per
channel in all (each entry picks its bank's state out of every scheduled bank; larger
schedulers take many minutes each to synthesize on this machine). Channels 8 and 16,
banks 32, queues deeper than 16 and larger schedulers are not sampled: the model's
coverage flags them (``AreaReport.out_of_range``). The fit's designs are three corners and
a Latin hypercube (``--seed``); the held-out ones a uniform draw (``--seed + 1``), each
synthesized with ``flows.synth.synthesize(params, "ecp5-85k", place=False)`` (cached under
``$HWDSE_CACHE``, so a rerun resumes), ``--jobs`` at a time. Writes
``dse/models/data/area_pim-v1_ecp5-85k.json`` and ``<out>/area_pim.{json,md}``.
"""

from __future__ import annotations

from collections.abc import Mapping

from area_common import (
    AreaBenchmark,
    area_arguments,
    fit_and_report,
    pick,
    pick_int,
    pick_log_int,
)

from hw.params import Params
from hw.pim.params import (
    INTERLEAVES,
    PAGE_POLICIES,
    PIM_MODES,
    REFRESH_POLICIES,
    SCHEDULERS,
    TIMING_PRESETS,
    PimParams,
)

GENERATOR = "pim-v1"
MAX_CHANNELS_SAMPLED = 4
MAX_BANKS_SAMPLED = 16
MAX_QUEUE_SAMPLED = 16
#: queue entries x scheduled banks (1 in all-bank mode) per channel, at most
MAX_QUEUE_BANKS = 64
AXES = ("channels", "banks", "rows", "columns", "lanes", "element_width", "acc_width",
        "timing", "pim_mode", "page_policy", "scheduler", "queue_depth", "refresh",
        "interleave")
SPACE = (f"channels 1..{MAX_CHANNELS_SAMPLED} and banks 1..{MAX_BANKS_SAMPLED} (powers of "
         f"two), queue_depth 1..{min(MAX_QUEUE_SAMPLED, MAX_QUEUE_BANKS)} uniform in its "
         f"logarithm with queue_depth x scheduled banks (1 in all-bank mode) <= "
         f"{MAX_QUEUE_BANKS}; rows 1..2^17, columns 1..1024 and lanes 1..128 (powers of two, "
         "uniform in the exponent), element_width 2..16, acc_width 2 x element_width..64, "
         "every timing preset, PIM mode, page policy, scheduler, refresh policy and "
         "interleave")
NOTES = (
    "No memory in the RTL (queue entries, bank state and the tags of reads in flight are "
    "registers): BRAMs are zero by construction.",
    "DSPs are the products of a constant and the per-bank row count with block "
    "interleave (`constant_multipliers`): products by 0 and 1 fold away, every other one, "
    "powers of two included, is one MULT18X18D.",
    "The returned words (`data_bits`) and the tags of reads in flight (`return_bits`) are "
    "flip-flops (wide returned words cost a few LUTs too); with FCFS only the oldest "
    "queue entry's readiness is used.",
    "LUTs of the request queue grow faster than its entries, the more so the wider the "
    "row address (`queue_row_square_bits`, an empirical feature chosen on the training "
    "samples and a few single-parameter sweeps, not on the held-out designs). Before LUT "
    "mapping, 1 channel, 1 bank, FCFS, 11 entries has 1,256 gate cells with 4 row bits and "
    "1,476 with 15, but 1,579 and 4,268 LUTs after it: the mapper duplicates logic there, "
    "which no structural feature here follows.",
)

#: Features per resource (names from ``dse.models.pim.pim_features``).
RESOURCE_FEATURES: dict[str, tuple[str, ...]] = {
    "lut": ("one", "channels", "entry_bits", "chosen_bits", "entry_bank_bits", "hit_bits",
            "queue_row_square_bits", "older_bits", "bank_state_bits", "tag_mux_bits",
            "keep_bits", "block_bits", "address_bits", "data_bits"),
    "ff": ("one", "channels", "entry_bits", "bank_state_bits", "result_tag_bits",
           "keep_bits", "block_bits", "address_bits", "return_bits", "data_bits"),
    "dsp": ("multipliers",),
    "bram": ("memories",),
}


def _power_of_two(u: float, high: int) -> int:
    """A power of two in ``1..high``, uniform in the exponent."""
    return 1 << pick_int(u, 0, high.bit_length() - 1)


def anchors() -> list[PimParams]:
    """Corners of the sampled space, always trained on."""
    return [
        PimParams(channels=1, banks=1, rows=1, columns=1, lanes=1, element_width=2,
                  acc_width=4, pim_mode="all-bank", page_policy="open", scheduler="fcfs",
                  queue_depth=1),
        PimParams(channels=MAX_CHANNELS_SAMPLED, banks=MAX_BANKS_SAMPLED, rows=1 << 17,
                  columns=1024, lanes=128, element_width=16, acc_width=64, timing="ddr4",
                  pim_mode="none", queue_depth=MAX_QUEUE_BANKS // MAX_BANKS_SAMPLED,
                  interleave="block"),
        # the deepest queue with the narrowest addresses (the widest with it takes too long)
        PimParams(channels=MAX_CHANNELS_SAMPLED, banks=MAX_BANKS_SAMPLED, rows=1, columns=1,
                  lanes=128, element_width=16, acc_width=64, pim_mode="all-bank",
                  queue_depth=MAX_QUEUE_SAMPLED, interleave="block", refresh="postponed"),
    ]


def from_unit(u: Mapping[str, float]) -> PimParams:
    """The design at unit coordinates ``u`` of the sampled space."""
    mode = pick(u["pim_mode"], PIM_MODES)
    banks = _power_of_two(u["banks"], MAX_BANKS_SAMPLED)
    scheduled = 1 if mode == "all-bank" else banks
    element_width = pick_int(u["element_width"], 2, 16)
    return PimParams(
        channels=_power_of_two(u["channels"], MAX_CHANNELS_SAMPLED), banks=banks,
        rows=_power_of_two(u["rows"], 1 << 17), columns=_power_of_two(u["columns"], 1024),
        lanes=_power_of_two(u["lanes"], 128), element_width=element_width,
        acc_width=pick_int(u["acc_width"], 2 * element_width, 64),
        timing=pick(u["timing"], tuple(TIMING_PRESETS)), pim_mode=mode,
        page_policy=pick(u["page_policy"], PAGE_POLICIES),
        scheduler=pick(u["scheduler"], SCHEDULERS),
        queue_depth=pick_log_int(u["queue_depth"], 1,
                                 min(MAX_QUEUE_SAMPLED, MAX_QUEUE_BANKS // scheduled)),
        refresh=pick(u["refresh"], REFRESH_POLICIES),
        interleave=pick(u["interleave"], INTERLEAVES))


def describe(params: Params) -> str:
    assert isinstance(params, PimParams)
    return (f"{params.channels}x{params.banks} {params.pim_mode} q{params.queue_depth} "
            f"{params.scheduler} {params.page_policy} {params.interleave} "
            f"r{params.rows} c{params.columns} l{params.lanes} e{params.element_width} "
            f"a{params.acc_width} {params.timing} ref-{params.refresh}")


def main() -> None:
    args = area_arguments(__doc__, seed=2121, samples=28, fresh=32).parse_args()
    fit_and_report(args, AreaBenchmark(
        name="area_pim", generator=GENERATOR, anchors=anchors(), axes=AXES,
        from_unit=from_unit, space=SPACE, describe=describe, features=RESOURCE_FEATURES,
        legend="Config: channels x banks, PIM mode, queue depth, scheduler, page policy, "
               "interleave, DRAM rows (r) and columns (c), lanes (l), element width (e), "
               "accumulator width (a), timing preset, refresh policy.",
        notes=NOTES))


if __name__ == "__main__":
    main()
