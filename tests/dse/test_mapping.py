"""The accel-v1 mapper (issue 19): its vectorized models equal the scalar models of
dse.models.accel on every legal mapping, its choice is optimal by brute force through the
scalar models, its enumeration is exactly what the hardware accepts, and bad input gets
an error naming the parameter and the allowed values."""

from __future__ import annotations

import functools
import itertools
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from dse.mapping import OBJECTIVES, map_layers, mapper
from dse.mapping.accel import (
    MAX_INTERVAL,
    compulsory_bytes,
    evaluate,
    legal_mappings,
    map_gemm,
)
from dse.models.accel import cycles, energy_of_counts
from dse.workload import Gemm, Layer
from flows.cli import app
from hw.accel import AccelParams
from hw.accel.tiling import ORDERS, Mapping, padded_k, padded_m, padded_n, refusal
from hw.family import UnknownGeneratorError
from hw.params import ParamError

DESIGNS = {
    "default": AccelParams(),
    # 16-bit elements, a wide bus, short bursts, 2 in flight: burst splits vary by tile
    "wide-bus": AccelParams(rows=4, cols=8, input_width=16, signed=False, bus_bytes=16,
                            spad_kib=8, acc_kib=4, max_burst=4, outstanding=2),
    "ws": AccelParams(rows=4, cols=8, dataflow="ws", acc_depth=16, spad_kib=8, acc_kib=8),
    "latency-bound": AccelParams(rows=2, cols=4, acc_width=64, bus_bytes=4, spad_kib=4,
                                 acc_kib=4, max_burst=8, outstanding=1),
    "small-buffers": AccelParams(spad_kib=4, acc_kib=2, max_burst=4, outstanding=3),
    "ws-wide": AccelParams(rows=8, cols=4, dataflow="ws", acc_depth=4, bus_bytes=32,
                           spad_kib=16, acc_kib=4, max_burst=2, outstanding=2),
    # the bit-serial core: K in chunks of `lanes`, a tile's time set by the job's precision
    "bitserial": AccelParams(core="bitserial", rows=4, cols=4, lanes=8, spad_kib=8,
                             acc_kib=4),
    "bitserial-wide": AccelParams(core="bitserial", rows=2, cols=8, lanes=2, max_bits=4,
                                  serial="activations", bus_bytes=16, spad_kib=4, acc_kib=4,
                                  max_burst=4, outstanding=2),
    # a C row of the B granule (2 results) is half a beat: N's granule is C's (4)
    "bitserial-narrow": AccelParams(core="bitserial", rows=2, cols=1, lanes=8, max_bits=1,
                                    spad_kib=4, acc_kib=2, bus_bytes=16, outstanding=2),
}

#: The precision each bit-serial design's GEMMs run at (the others take none).
BITS = {"bitserial": 3, "bitserial-wide": 4, "bitserial-narrow": 1}


def gemm_of(name: str, m: int, k: int, n: int) -> Gemm:
    """The GEMM ``m x k x n`` as design ``name`` runs it (at its precision in BITS)."""
    return Gemm(m, k, n, bits=BITS.get(name))

#: (design, M, K, N, bandwidth, latency): ragged shapes, bandwidth from the least the
#: mapper takes (bus_bytes / 8 or / 4) to more than the bus, short and long latencies
CASES = [
    ("default", 40, 24, 33, 1, 40), ("default", 17, 70, 9, 8, 2), ("default", 64, 9, 64, 2, 9),
    ("default", 1, 1, 1, 16, 1), ("wide-bus", 23, 17, 40, 2, 10), ("wide-bus", 40, 33, 16, 16, 3),
    ("wide-bus", 9, 40, 31, 32, 25), ("ws", 33, 30, 17, 1, 40), ("ws", 20, 13, 9, 8, 3),
    ("ws", 40, 24, 24, 16, 2), ("latency-bound", 12, 40, 12, 1, 2),
    ("latency-bound", 9, 17, 30, 4, 20), ("small-buffers", 50, 30, 27, 1, 5),
    ("small-buffers", 19, 64, 40, 8, 40), ("ws-wide", 30, 20, 13, 4, 7),
    ("ws-wide", 9, 70, 16, 64, 2), ("bitserial", 40, 70, 33, 1, 40),
    ("bitserial", 17, 9, 20, 8, 2), ("bitserial-wide", 23, 37, 40, 2, 10),
    ("bitserial-wide", 9, 64, 31, 32, 3), ("bitserial-narrow", 16, 43, 18, 2, 5),
]


def _scalar(params, gemm, maps, index, bandwidth, latency):
    mapping = Mapping(int(maps.tm[index]), int(maps.tk[index]), int(maps.tn[index]),
                      maps.order(index))
    return mapping, cycles(params, gemm, mapping, bandwidth, latency)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}x{c[2]}x{c[3]}-bw{c[4]}-lat{c[5]}"
                                             for c in CASES])
def test_vectorized_models_equal_the_scalar_models_on_every_legal_mapping(case):
    name, m, k, n, bandwidth, latency = case
    params, gemm = DESIGNS[name], gemm_of(name, m, k, n)
    maps = legal_mappings(params, gemm)
    costs = evaluate(params, gemm, maps, bandwidth, latency)
    assert len(maps) > 0
    for index in range(len(maps)):
        mapping, report = _scalar(params, gemm, maps, index, bandwidth, latency)
        assert int(costs.cycles[index]) == report.cycles, mapping
        assert int(costs.stall_cycles[index]) == report.stall_cycles, mapping
        assert {event: int(values[index]) for event, values in costs.activity.items()} \
            == report.activity.to_dict(), mapping
        energy = energy_of_counts(params, report.activity, gemm.macs).total_pj
        assert costs.energy_pj[index] == pytest.approx(energy, rel=1e-12), mapping


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_the_enumeration_is_exactly_what_the_hardware_accepts(name):
    params = DESIGNS[name]
    for gemm in (Gemm(20, 13, 9), Gemm(33, 40, 17), Gemm(1, 1, 1)):
        maps = legal_mappings(params, gemm)
        found = {(int(a), int(b), int(c), maps.order(i))
                 for i, (a, b, c) in enumerate(zip(maps.tm, maps.tk, maps.tn, strict=True))}
        assert len(found) == len(maps)
        expected = {(tm, tk, tn, order)
                    for tm in range(1, padded_m(params, gemm.m) + 1)
                    for tk in range(1, padded_k(params, gemm.k) + 1)
                    for tn in range(1, padded_n(params, gemm.n) + 1)
                    for order in ORDERS
                    if refusal(params, gemm.m, gemm.k, gemm.n,
                               Mapping(tm, tk, tn, order)) is None}
        assert found == expected


@functools.cache
def _brute_force(name, m, k, n, bandwidth, latency):
    """The least value of each objective over every legal mapping, through the scalar
    models."""
    params, gemm = DESIGNS[name], gemm_of(name, m, k, n)
    maps = legal_mappings(params, gemm)
    values = {objective: [] for objective in OBJECTIVES}
    for index in range(len(maps)):
        _, report = _scalar(params, gemm, maps, index, bandwidth, latency)
        energy = energy_of_counts(params, report.activity, gemm.macs).total_pj
        dram = report.activity.dram_read_bytes + report.activity.dram_write_bytes
        for objective, value in (("cycles", report.cycles), ("dram", dram),
                                 ("energy", energy), ("edp", energy * report.cycles)):
            values[objective].append(value)
    return {objective: min(found) for objective, found in values.items()}


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("case", [("default", 40, 24, 33, 2, 40), ("ws", 33, 30, 17, 8, 3),
                                  ("wide-bus", 23, 17, 40, 4, 10),
                                  ("bitserial", 40, 70, 33, 2, 40)])
def test_the_choice_is_optimal_by_brute_force(case, objective):
    name, m, k, n, bandwidth, latency = case
    params, gemm = DESIGNS[name], gemm_of(name, m, k, n)
    chosen = map_gemm(params, gemm, bandwidth, latency, objective)
    mapping = Mapping.parse(chosen.tiles, chosen.order)
    assert refusal(params, m, k, n, mapping) is None
    report = cycles(params, gemm, mapping, bandwidth, latency)
    energy = energy_of_counts(params, report.activity, gemm.macs).total_pj
    assert chosen.cycles == report.cycles
    assert chosen.dram_bytes == report.activity.dram_read_bytes \
        + report.activity.dram_write_bytes
    assert chosen.energy_pj == pytest.approx(energy, rel=1e-12)
    value = {"cycles": chosen.cycles, "dram": chosen.dram_bytes, "energy": chosen.energy_pj,
             "edp": chosen.energy_pj * chosen.cycles}[objective]
    assert value == pytest.approx(_brute_force(*case)[objective], rel=1e-12)
    assert chosen.legal_mappings == len(legal_mappings(params, gemm))


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_traffic_is_at_least_the_compulsory_bound(name):
    params = DESIGNS[name]
    for gemm in (Gemm(40, 24, 33), Gemm(8, 64, 8), Gemm(1, 1, 1)):
        maps = legal_mappings(params, gemm)
        costs = evaluate(params, gemm, maps)
        bound = compulsory_bytes(params, gemm)
        assert (costs.dram_bytes >= bound).all()
        assert map_gemm(params, gemm).bound_ratio >= 1


def test_repeated_shapes_are_mapped_once_and_totals_count_repeats():
    params = DESIGNS["default"]
    layers = [Layer("a", Gemm(40, 24, 33)), Layer("b", Gemm(16, 16, 16), count=3),
              Layer("c", Gemm(40, 24, 33), batch=2)]
    network = map_layers(params, layers, 4, 20, "energy")
    (_, first), (_, second), (_, third) = network.layers
    assert first is third and first is not second
    total = network.total()
    assert total["cycles"] == 3 * first.cycles + 3 * second.cycles
    assert total["dram_bytes"] == 3 * first.dram_bytes + 3 * second.dram_bytes
    assert total["layers"] == 6


def test_bad_input_names_the_parameter_and_the_allowed_values():
    params = DESIGNS["default"]
    gemm = Gemm(16, 16, 16)
    with pytest.raises(ParamError, match=r"^`objective` must be one of cycles, dram, energy, "
                                         r"edp, not 'speed'$"):
        map_gemm(params, gemm, objective="speed")
    with pytest.raises(ParamError, match=r"^`bandwidth` must be a divisor of bus_bytes = 8 "
                                         r"\(1, 2, 4, 8\) or a multiple of it"):
        map_gemm(params, gemm, bandwidth=3)
    with pytest.raises(ParamError, match=r"^`latency` must be an integer in 1\.\.65536"):
        map_gemm(params, gemm, latency=0)
    wide = AccelParams(bus_bytes=32)
    with pytest.raises(ParamError, match=rf"^`bandwidth` must be at least bus_bytes / "
                                         rf"{MAX_INTERVAL} for the vectorized model \(a "
                                         rf"divisor of bus_bytes = 32 from 4, or a multiple "
                                         rf"of it\), not 2"):
        evaluate(wide, gemm, legal_mappings(wide, gemm), bandwidth=2)
    with pytest.raises(UnknownGeneratorError, match="no mapper for 'systolic-v1'; known: "
                                                    "accel-v1"):
        mapper("systolic-v1")


def test_map_cli_json_and_errors():
    runner = CliRunner()
    result = runner.invoke(app, ["map", "accel", "-p", "rows=8", "-p", "cols=8", "--gemm",
                                 "40x24x33", "--bandwidth", "2", "--latency", "40",
                                 "--objective", "edp", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["schema"] == "hwdse.map/1"
    (layer,) = payload["layers"]
    chosen = map_gemm(AccelParams(), Gemm(40, 24, 33), 2, 40, "edp")
    assert layer["name"] == layer["gemm"] == "40x24x33"
    assert layer["mapping"] == {"tiles": chosen.tiles, "order": chosen.order}
    assert (layer["cycles"], layer["dram_bytes"]) == (chosen.cycles, chosen.dram_bytes)
    assert layer["energy_pj"] == pytest.approx(chosen.energy_pj)
    assert layer["bound_ratio"] == pytest.approx(chosen.bound_ratio)
    assert payload["total"]["cycles"] == chosen.cycles
    table = runner.invoke(app, ["map", "accel", "--gemm", "40x24x33"])
    assert table.exit_code == 0 and "total" in table.output
    for arguments, message in (
            (["--gemm", "8x8x8", "--objective", "speed"], "`objective` must be one of"),
            (["--gemm", "8x8x8", "--bandwidth", "3"], "`bandwidth` must be a divisor"),
            ([], "give one of `--gemm` MxKxN or `--workload` SOURCE"),
            (["--gemm", "8x8x8", "--workload", "hf:resnet-18"], "give one of")):
        bad = runner.invoke(app, ["map", "accel", *arguments])
        assert bad.exit_code == 2 and message in bad.output, bad.output
    other = runner.invoke(app, ["map", "systolic", "--gemm", "8x8x8"])
    assert other.exit_code == 2 and "no mapper for 'systolic-v1'" in other.output


def test_map_cli_maps_a_bitserial_design_at_a_precision():
    runner = CliRunner()
    result = runner.invoke(app, ["map", "accel", "-p", "core=bitserial", "-p", "rows=4",
                                 "-p", "cols=4", "-p", "spad_kib=8", "-p", "acc_kib=4",
                                 "--gemm", "40x70x33", "--bits", "3", "--bandwidth", "2",
                                 "--objective", "energy", "--json"])
    assert result.exit_code == 0, result.output
    (layer,) = json.loads(result.stdout)["layers"]
    chosen = map_gemm(DESIGNS["bitserial"], gemm_of("bitserial", 40, 70, 33), 2, 40,
                      "energy")
    assert layer["mapping"] == {"tiles": chosen.tiles, "order": chosen.order}
    assert (layer["cycles"], layer["dram_bytes"]) == (chosen.cycles, chosen.dram_bytes)
    # a lower precision takes fewer cycles through the same choice of objective
    fewer = map_gemm(DESIGNS["bitserial"], Gemm(40, 70, 33, bits=1), 2, 40, "cycles")
    assert fewer.cycles < map_gemm(DESIGNS["bitserial"], gemm_of("bitserial", 40, 70, 33),
                                   2, 40, "cycles").cycles
    for arguments, message in (
            (["-p", "core=bitserial", "--bits", "9"], "`bits` must be an integer in 1..8"),
            (["--bits", "3"], "`bits` applies only to core 'bitserial'")):
        bad = runner.invoke(app, ["map", "accel", "--gemm", "8x8x8", *arguments])
        assert bad.exit_code == 2 and message in bad.output, bad.output


def test_map_cli_takes_a_workload_source():
    runner = CliRunner()
    result = runner.invoke(app, ["map", "accel", "--workload", "dse.workload.nets:small_cnn",
                                 "--input-shape", "1,3,32,32", "--objective", "dram",
                                 "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert len(payload["layers"]) >= 2
    for layer in payload["layers"]:
        gemm = Gemm.parse(layer["gemm"])
        chosen = map_gemm(AccelParams(), gemm, objective="dram")
        assert layer["dram_bytes"] == chosen.dram_bytes
        assert layer["bound_ratio"] >= 1
    assert payload["total"]["dram_bytes"] == sum(
        layer["repeat"] * layer["dram_bytes"] for layer in payload["layers"])


@pytest.mark.sim
@pytest.mark.slow
def test_a_chosen_mapping_runs_in_rtl_with_the_models_cycles_and_traffic():
    from sim.accel.system import emit_system
    from sim.runner import simulate
    from tests.sim.test_accel_rtl import _jobs

    params = DESIGNS["default"]
    gemm, bandwidth, latency = Gemm(40, 24, 33), 2, 40
    chosen = map_gemm(params, gemm, bandwidth, latency, "cycles")
    cases = [(gemm.m, gemm.k, gemm.n, chosen.tiles, chosen.order, bandwidth, latency)]
    run = simulate(emit_system(params), "sim.accel.testbench", _jobs(params, cases))
    (result,) = run.results
    assert result.passed
    assert result.cycles == chosen.cycles
    assert result.counters["dram_read_bytes"] == chosen.dram_read_bytes
    assert result.counters["dram_write_bytes"] == chosen.dram_write_bytes
    assert result.counters["stall_cycles"] == chosen.stall_cycles


@pytest.mark.sim
def test_the_bitserial_mappers_choices_run_in_rtl_with_the_models_figures():
    """The bit-serial core through one build: the mapper's choices (each objective, two
    precisions) are bit-exact in DRAM with cycles, DRAM bytes, SRAM accesses, stalls and
    core events equal to the chosen mapping's; a TN of the B granule but not of C's is
    refused by the RTL (the error flag, DRAM untouched)."""
    from sim.accel import SIMULATION
    from sim.accel.jobs import gemm_job
    from sim.accel.system import emit_system
    from sim.runner import run_jobs

    params = DESIGNS["bitserial-narrow"]
    chosen = [map_gemm(params, Gemm(m, k, n, bits=1), bandwidth, latency, objective)
              for m, k, n, bandwidth, latency, objective in (
                  (16, 43, 18, 2, 5, "cycles"), (30, 70, 21, 16, 40, "dram"),
                  (9, 100, 36, 4, 12, "edp"))]
    jobs = [gemm_job(params, c.gemm.m, c.gemm.k, c.gemm.n, mapping=c.tiles, order=c.order,
                     bandwidth=bandwidth, latency=latency, bits=1, seed=seed)
            for seed, (c, bandwidth, latency) in enumerate(zip(
                chosen, (2, 16, 4), (5, 40, 12), strict=True))]
    refused = gemm_job(params, 16, 43, 18, mapping="16x48x2", bandwidth=2, latency=5, bits=1)
    assert "not a multiple of 4 (the N granule)" in refused["meta"]["refused"]
    run = run_jobs(SIMULATION, emit_system(params), [*jobs, refused])
    *results, refusal_result = run.results
    for choice, result in zip(chosen, results, strict=True):
        assert result.passed, (result.job, result.mismatches)
        assert result.cycles == choice.cycles
        assert result.counters["dram_read_bytes"] == choice.dram_read_bytes
        assert result.counters["dram_write_bytes"] == choice.dram_write_bytes
        assert result.counters["stall_cycles"] == choice.stall_cycles
        report = cycles(params, choice.gemm, choice.tiles, result.job["bandwidth"],
                        result.job["latency"], choice.order)
        assert {name: result.counters[name] for name in report.activity.to_dict()} \
            == report.activity.to_dict()
        energy = energy_of_counts(params, report.activity, choice.gemm.macs).total_pj
        assert choice.energy_pj == pytest.approx(energy, rel=1e-12)
    assert refusal_result.passed and refusal_result.counters["cycles"] == 1
    assert refusal_result.counters["dram_write_bytes"] == 0


def test_groups_cover_long_loops_with_many_burst_positions():
    """Shapes with many tiles per dimension, so every burst-position class and the
    first, second and last index of each loop occur (sampled mappings)."""
    rng = np.random.default_rng(7)
    for name, gemm, bandwidth, latency in (("default", Gemm(200, 150, 170), 4, 9),
                                           ("wide-bus", Gemm(130, 90, 200), 2, 40),
                                           ("ws", Gemm(150, 200, 90), 1, 3),
                                           ("small-buffers", Gemm(90, 60, 140), 8, 2),
                                           # B's and C's positions have different periods
                                           ("bitserial", gemm_of("bitserial", 100, 200, 150),
                                            4, 40),
                                           ("bitserial-wide",
                                            gemm_of("bitserial-wide", 130, 90, 200), 2, 10)):
        params = DESIGNS[name]
        maps = legal_mappings(params, gemm)
        costs = evaluate(params, gemm, maps, bandwidth, latency)
        small = np.flatnonzero((maps.tm <= 24) | (maps.tn <= 16))
        for index in itertools.chain(rng.choice(len(maps), 25, replace=False),
                                     rng.choice(small, 15, replace=False)):
            mapping, report = _scalar(params, gemm, maps, int(index), bandwidth, latency)
            assert int(costs.cycles[index]) == report.cycles, mapping
