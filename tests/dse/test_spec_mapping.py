"""Specs of a family with run-time mappings (accel-v1, issue 19): the spec fixes the DRAM,
every trial maps every layer with the mapper, the metrics sum the mapped layers, and the
RTL check runs each layer with its chosen mapping as job input (one build)."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from dse.mapping import map_layers
from dse.models.accel import cycles, energy
from dse.spec import SpecError, load_spec, parse_spec

SPEC = """
name = "accel-tiny"
generator = "accel"
target = "ecp5-85k"
bandwidth = 2
latency = 12
map_objective = "energy"

[space]
rows = [2, 4]
cols = 2
spad_kib = [2, 4]
acc_kib = 1
bus_bytes = 4

[[workload]]
name = "fc1"
gemm = "12x20x10"

[[workload]]
name = "fc2"
gemm = "5x8x6"
repeat = 3

[objectives]
latency_cycles = "minimize"
energy_pj = "minimize"
"""


def test_the_spec_fixes_the_dram_and_the_mapper_objective():
    spec = parse_spec(SPEC)
    assert spec.dram is not None
    assert (spec.dram.bandwidth, spec.dram.latency, spec.dram.map_objective) == (2, 12, "energy")
    params = spec.space.params({"rows": 4, "spad_kib": 2})
    options = spec.layer_options(params)
    mapped = map_layers(params, spec.workload, 2, 12, "energy")
    assert [(o["mapping"], o["order"]) for o in options] == [
        (m.tiles, m.order) for _, m in mapped.layers]
    assert all(o["bandwidth"] == 2 and o["latency"] == 12 for o in options)


def test_metrics_sum_the_mapped_layers():
    spec = parse_spec(SPEC)
    params = spec.space.params({"rows": 2, "spad_kib": 4})
    metrics = spec.evaluate(params)
    total_cycles = total_energy = 0.0
    for layer, job in zip(spec.workload, spec.layer_options(params), strict=True):
        total_cycles += layer.repeat * cycles(params, layer.gemm, **job).cycles
        total_energy += layer.repeat * energy(params, layer.gemm, None, **job).total_pj
    assert metrics["latency_cycles"] == total_cycles
    assert metrics["energy_pj"] == pytest.approx(total_energy, rel=1e-12)
    # the mapper's own figures for its choice are the same models
    mapped = map_layers(params, spec.workload, 2, 12, "energy")
    assert metrics["latency_cycles"] == mapped.total()["cycles"]


def test_a_bitserial_space_maps_each_layer_at_its_precision():
    """The bit-serial core in a spec: each layer mapped at its own ``bits``, and the
    metrics the mapped layers' sum (the RTL of such choices: tests/dse/test_mapping.py)."""
    text = SPEC.replace("[space]\n", '[space]\ncore = "bitserial"\nlanes = [2, 4]\n')
    text = text.replace('gemm = "12x20x10"', 'gemm = "12x20x10"\nbits = 2').replace(
        'gemm = "5x8x6"', 'gemm = "5x8x6"\nbits = 7')
    spec = parse_spec(text)
    params = spec.space.params({"rows": 2, "spad_kib": 4, "lanes": 4})
    assert params.core == "bitserial" and [layer.gemm.bits for layer in spec.workload] == [2, 7]
    metrics = spec.evaluate(params)
    mapped = map_layers(params, spec.workload, 2, 12, "energy")
    assert metrics["latency_cycles"] == mapped.total()["cycles"] == sum(
        layer.repeat * cycles(params, layer.gemm, **job).cycles
        for layer, job in zip(spec.workload, spec.layer_options(params), strict=True))
    # the same shape at another precision is another layer to map
    at_eight = map_layers(params, [type(layer)(layer.name, type(layer.gemm)(12, 20, 10, bits=8))
                                   for layer in spec.workload[:1]], 2, 12, "energy")
    assert at_eight.layers[0][1].cycles > mapped.layers[0][1].cycles


@pytest.mark.parametrize(("edit", "message"), [
    ('bandwidth = 2', r"^`bandwidth` is for families with run-time mappings: no mapper for "
                      r"'systolic-v1'; known: accel-v1$"),
    ('map_objective = "energy"', r"^`map_objective` is for families with run-time mappings"),
])
def test_a_family_without_mappings_refuses_the_dram_keys(edit, message):
    text = SPEC.replace('generator = "accel"', 'generator = "systolic"').replace(
        "bandwidth = 2\nlatency = 12\nmap_objective = \"energy\"\n", edit + "\n")
    text = text.replace("spad_kib = [2, 4]\nacc_kib = 1\nbus_bytes = 4\n", "")
    with pytest.raises(SpecError, match=message):
        parse_spec(text)


@pytest.mark.parametrize(("edit", "message"), [
    ("bandwidth = 0", r"^`bandwidth` must be a positive integer \(bytes per cycle\), not 0$"),
    ('latency = "40"', r"^`latency` must be a positive integer \(cycles\), not '40'$"),
    ('map_objective = "area"', r"^`map_objective` must be one of cycles, dram, energy, edp, "
                               r"not 'area'$"),
])
def test_bad_dram_values_name_the_key(edit, message):
    key = edit.split(" = ")[0]
    lines = [line for line in SPEC.splitlines() if not line.startswith(key + " = ")]
    text = "\n".join(lines).replace('target = "ecp5-85k"', f'target = "ecp5-85k"\n{edit}')
    with pytest.raises(SpecError, match=message):
        parse_spec(text)


@pytest.mark.sim
def test_the_rtl_check_runs_each_layer_with_its_mapping():
    spec = parse_spec(SPEC)
    trial = types.SimpleNamespace(number=0, params={"rows": 2, "spad_kib": 2})
    check = spec.check_design(trial)
    params = spec.space.params(trial.params)
    assert not check.error and not check.disagrees
    for layer, job, result in zip(spec.workload, spec.layer_options(params), check.layers,
                                  strict=True):
        assert result.mapping == f"{job['mapping']} {job['order']}"
        assert result.passed and result.activity_matches  # bit-exact; DRAM bytes, SRAM too
        assert result.rtl_cycles == result.model_cycles == cycles(params, layer.gemm,
                                                                  **job).cycles


@pytest.mark.sim
def test_the_rtl_check_can_run_every_instance_of_a_repeated_layer():
    """``instances``: fc2 (repeat 3) runs three times, each with its own operands, through
    the same build; every run bit-exact with the model's cycles and activity."""
    from dse.records import CheckOptions

    spec = parse_spec(SPEC)
    trial = types.SimpleNamespace(number=0, params={"rows": 2, "spad_kib": 2})
    check = spec.check_design(trial, CheckOptions(instances=True))
    assert [layer.layer for layer in check.layers] == ["fc1", "fc2#1", "fc2#2", "fc2#3"]
    assert not check.error and not check.disagrees
    assert all(layer.agrees for layer in check.layers)
    assert len({layer.rtl_cycles for layer in check.layers[1:]}) == 1


def test_the_report_lists_each_pareto_designs_layer_mappings(tmp_path):
    from dse.fidelity import pareto_trials
    from dse.report import write_report
    from dse.study import explore

    spec = parse_spec(SPEC)
    study = explore(spec, tmp_path / "run", trials=4, sampler="random", seed=0)
    write_report(spec, study, tmp_path / "report", top=0)
    summary = (tmp_path / "report" / "summary.md").read_text()
    front = pareto_trials(study)
    assert front
    for trial in front:
        mapped = spec.mapped(spec.space.params(trial.params))
        assert f"Trial {trial.number} (2 B/cycle, latency 12 cycles):" in summary
        for layer, m in mapped.layers:
            assert (f"| {layer.name} | {m.gemm} | {layer.repeat} | {m.tiles} | {m.order} "
                    f"| {m.cycles} | {m.dram_bytes} |") in summary


def test_block_rams_are_exact_and_luts_come_from_the_fitted_area_model():
    from dse.models.accel import bram_blocks
    from dse.models.registry import area

    text = SPEC.replace("[objectives]", "[constraints]\nbram = { max = 208 }\n\n[objectives]")
    spec = parse_spec(text)
    params = spec.space.params({"rows": 4, "spad_kib": 4})
    metrics = spec.evaluate(params)
    assert metrics["bram"] == bram_blocks(params, "ecp5-85k") > 0
    with_lut = parse_spec(SPEC.replace('energy_pj = "minimize"', 'lut = "minimize"'))
    assert with_lut.evaluate(params)["lut"] == area(params, "ecp5-85k").lut > 0
    # a target the accelerator's area model was not fitted on
    with pytest.raises(SpecError, match=r"^`objectives.lut` cannot be computed: no area model "
                                        r"for accel-v1 on ice40-up5k"):
        parse_spec(SPEC.replace('energy_pj = "minimize"', 'lut = "minimize"').replace(
            'target = "ecp5-85k"', 'target = "ice40-up5k"'))


def test_the_mapper_prices_with_the_specs_energy_table(tmp_path):
    """With ``map_objective = "energy"`` the mapper minimizes the spec's table, and the
    mapped layers' energy is the trial's."""
    from dse.mapping import map_layers
    from dse.models.energy import load_energy_table

    original = Path("dse/models/data/energy_45nm_horowitz.toml").read_text()
    expensive = original.replace("points = { 8 = 10.0, 32 = 20.0, 1024 = 100.0 }",
                                 "points = { 8 = 10000.0, 32 = 20000.0, 1024 = 100000.0 }")
    assert expensive != original
    (tmp_path / "sram.toml").write_text(expensive)
    (tmp_path / "spec.toml").write_text(SPEC.replace('target = "ecp5-85k"',
                                                     'target = "ecp5-85k"\n'
                                                     'energy_table = "sram.toml"'))
    spec = load_spec(tmp_path / "spec.toml")
    params = spec.space.params({"rows": 2, "spad_kib": 4})
    table = load_energy_table(tmp_path / "sram.toml")
    mapped = spec.mapped(params)
    assert mapped == map_layers(params, spec.workload, 2, 12, "energy", table)
    assert spec.evaluate(params)["energy_pj"] == pytest.approx(mapped.total()["energy_pj"],
                                                               rel=1e-12)
    default = map_layers(params, spec.workload, 2, 12, "energy")
    # every mapping costs more under the dearer SRAM, so the least one does too
    assert mapped.total()["energy_pj"] > default.total()["energy_pj"]


def test_a_gemm_the_hardware_refuses_has_no_mapping():
    from dse.mapping import map_layers
    from dse.workload import Gemm, Layer
    from hw.params import ParamError

    spec = parse_spec(SPEC)
    params = spec.space.params({"rows": 2, "spad_kib": 4})
    with pytest.raises(ParamError, match=r"^accel-v1 refuses the GEMM 70000x16x8: M, K and N "
                                         r"must be in 1\.\.65535 \(M = 70000\)$"):
        map_layers(params, [Layer("big", Gemm(70000, 16, 8))], 2, 12)
