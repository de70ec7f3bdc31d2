"""The hwdse command line: JSON contract, exit codes, one-line errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


@pytest.mark.parametrize(("args", "message"), [
    (["generate", "systolic", "-p", "rows=0"], "error: `rows` must be an integer in 1..128, not 0"),
    (["generate", "systolic", "-p", "dataflow=rs"],
     "error: `dataflow` must be one of 'os', 'ws', not 'rs'"),
    (["generate", "systolik"], "error: unknown generator 'systolik'; known: accel, "
                               "bitserial, pim, qmlp, systolic, accel-v1, bitserial-v1, "
                               "pim-v1, qmlp-v1, systolic-v1"),
    (["generate", "pim", "-p", "banks=6"],
     "error: `banks` must be a power of two in 1, 2, 4, 8, 16, 32, not 6"),
    (["simulate", "pim", "--gemm", "8x8x2"],
     "error: pim-v1 runs GEMVs: the GEMM's N must be 1, not 2"),
    (["simulate", "pim", "-p", "rows=1", "-p", "columns=1", "--gemm", "64x64x1"],
     "error: `gemv` 64x64 does not fit: a bank needs 32 column accesses but holds 1 (1 rows "
     "x 1 columns); use more channels or banks, or a smaller matrix"),
    (["generate", "bitserial", "-p", "serial=both"],
     "error: `serial` must be one of 'weights', 'activations', not 'both'"),
    (["simulate", "bitserial", "--bits", "9"], "error: `bits` must be an integer in 1..8, not 9"),
    (["simulate", "bitserial", "-p", "max_bits=4", "--bits", "2,5"],
     "error: `bits` must be an integer in 1..4, not 5"),
    (["simulate", "bitserial", "--bits", "two"],
     "error: `bits` must be an integer or a comma-separated list of integers (one per "
     "group), not 'two'"),
    (["simulate", "bitserial", "--group-size", "0"],
     "error: `group_size` must be an integer in 1..1048576, not 0"),
    (["simulate", "systolic", "--bits", "4"],
     "error: `--bits` applies to families with run-time precision (bitserial); systolic-v1 "
     "is bit-parallel"),
    (["simulate", "systolic", "--gemm", "4x4"],
     "error: `gemm` must look like MxKxN with positive integers (e.g. 64x64x64), not '4x4'"),
    (["simulate", "systolic", "--gemm", "4x0x4"],
     "error: `gemm` dimension K must be in 1..1048576, not 0"),
    (["simulate", "systolic", "--values", "huge"],
     "error: `values` must be one of random, extreme, min, max, not 'huge'"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [message]
    assert "Traceback" not in result.output


def test_generate_writes_verilog_and_manifest(tmp_path):
    result = runner.invoke(app, ["generate", "systolic", "-p", "rows=2", "-p", "cols=3",
                                 "-p", "dataflow=os", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["schema"] == "hwdse.generate/1"
    assert payload["params"]["cols"] == 3
    assert (tmp_path / "systolic.v").exists()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["content_hash"] == payload["content_hash"]


def test_list_names_every_generator():
    result = runner.invoke(app, ["list", "--json"])
    assert result.exit_code == 0
    names = [g["name"] for g in json.loads(result.stdout)["generators"]]
    assert names == ["systolic-v1", "bitserial-v1", "pim-v1", "qmlp-v1", "accel-v1"]


def test_list_names_the_targets_of_every_shipped_model():
    """``list`` says which targets each family's area and clock models are fitted for:
    exactly the data files shipped in ``dse/models/data``."""
    from importlib import resources

    data = resources.files("dse.models").joinpath("data")
    result = runner.invoke(app, ["list", "--json"])
    assert result.exit_code == 0
    for row in json.loads(result.stdout)["generators"]:
        for kind, targets in row["models"].items():
            assert targets == sorted(
                p.name.removeprefix(f"{kind}_{row['name']}_").removesuffix(".json")
                for p in data.iterdir() if p.name.startswith(f"{kind}_{row['name']}_"))
    models = {g["name"]: g["models"] for g in json.loads(result.stdout)["generators"]}
    assert models["pim-v1"] == {"area": ["ecp5-85k", "ecp5-85k-area", "ecp5-85k-nowidelut"],
                                "clock": ["ecp5-85k", "ecp5-85k-area", "ecp5-85k-nowidelut",
                                          "ice40-up5k"]}
    table = runner.invoke(app, ["list"])
    assert table.exit_code == 0 and "clock:" in table.stdout


@pytest.mark.sim
def test_simulate_json_contract():
    result = runner.invoke(app, ["simulate", "systolic", "-p", "rows=4", "-p", "cols=4",
                                 "-p", "dataflow=ws", "--gemm", "17x33x9", "--seed", "1",
                                 "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["schema"] == "hwdse.simulate/1"
    assert payload["passed"] is True
    assert payload["cycles"] == payload["model_cycles"]
    assert 0 < payload["utilization"] <= 1
    assert payload["gemm"] == {"m": 17, "k": 33, "n": 9}
    assert payload["counters"]["macs"] == 17 * 33 * 9


@pytest.mark.sim
def test_simulate_bitserial_json_contract_with_per_group_precision():
    result = runner.invoke(app, ["simulate", "bitserial", "-p", "rows=2", "-p", "cols=2",
                                 "-p", "lanes=4", "-p", "scale_width=4", "--gemm", "5x19x3",
                                 "--bits", "1,8,3", "--group-size", "6", "--values", "extreme",
                                 "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["schema"] == "hwdse.simulate/1"
    assert payload["generator"] == "bitserial-v1"
    assert payload["passed"] is True and payload["mismatches"] == 0
    assert payload["cycles"] == payload["model_cycles"]
    assert payload["gemm"] == {"m": 5, "k": 19, "n": 3, "bits": [1, 8, 3], "group_size": 6}
    assert payload["energy"]["activity_matches"] is True
    assert payload["counters"]["dequant_steps"] == 3 * 2 * 4 * 4 * 4  # tiles, groups, S, PEs
