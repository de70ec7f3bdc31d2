"""`hwdse qmlp`: train, fold, generate, simulate every test input (and synthesize)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


def _majority_share(report):
    """What always answering the most frequent test class scores (training outcomes vary
    with the machine's float rounding; beating this holds on any machine)."""
    frames = [item["frames"] for item in report["accuracy"]["per_class"].values()]
    return max(frames) / sum(frames)


@pytest.mark.sim
def test_digits_case_end_to_end_without_synthesis(tmp_path):
    result = runner.invoke(app, ["qmlp", "--dataset", "digits", "--hidden", "16",
                                 "--epochs", "8", "--folding", "4x8,5x4", "--no-synth",
                                 "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["simulation"]["passed"] and report["simulation"]["model_matches"]
    assert report["simulation"]["inputs"] == 359
    assert report["accuracy"]["rtl"] == report["accuracy"]["integer_model"]
    assert report["accuracy"]["integer_model"] > _majority_share(report)
    assert (tmp_path / "verilog").is_dir() and (tmp_path / "network.qnet.json").exists()


@pytest.mark.sim
@pytest.mark.synth
def test_can_case_with_the_folding_optimizer_and_place_and_route(tmp_path):
    result = runner.invoke(app, ["qmlp", "--dataset", "can", "--hidden", "32,16",
                                 "--target-ii", "256", "--target", "ecp5-85k",
                                 "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["design"]["initiation_interval"] <= 256
    assert report["simulation"]["passed"] and report["simulation"]["model_matches"]
    assert report["accuracy"]["rtl"] == report["accuracy"]["integer_model"]
    assert report["accuracy"]["integer_model"] > _majority_share(report)
    assert report["synthesis"]["fmax_mhz"] > 0 and report["latency_us"] > 0


def test_block_ram_budget_reaches_the_folding_optimizer(tmp_path):
    # weights in block RAM: unbounded, the optimizer folds deep (ROMs in block RAM cost few
    # LUTs); within 1 block RAM it must unroll instead. No simulation or synthesis here.
    from dse.qnn.flow import run_case
    from dse.qnn.train import TrainConfig

    config = TrainConfig(hidden=(16,), weight_bits=4, act_bits=2, epochs=3)
    designs = {budget: run_case("digits", config, out=tmp_path / str(budget), target_ii=16,
                                simulate_all=False, synthesize=False, weight_memory="block",
                                max_bram=budget)["design"] for budget in (None, 1)}
    free, tight = designs[None]["optimizer"], designs[1]["optimizer"]
    assert free["max_bram"] is None and free["brams"] > 1
    assert tight["max_bram"] == 1 and tight["brams"] <= 1
    assert tight["cost"] > free["cost"]
    assert designs[1]["initiation_interval"] <= 16


@pytest.mark.parametrize("args, message", [
    (["--dataset", "mnist"], "`dataset` must be one of 'can', 'digits', not 'mnist'"),
    (["--hidden", "16,x"], "`hidden` must be comma-separated integers"),
    (["--weight-bits", "9"], "`weight_bits` must be an integer in 1..8, not 9"),
    (["--weight-memory", "bram"], "`weight_memory` must be one of 'logic', 'block', not 'bram'"),
    (["--folding", "1x1", "--target-ii", "4"], "give --folding or --target-ii, not both"),
    (["--max-bram", "-1"], "`max_bram` must be a block RAM count >= 0, not -1"),
    (["--folding", "1x1", "--max-bram", "2"], "--max-bram bounds the optimizer's folding"),
    (["--dataset", "digits", "--hidden", "16", "--folding", "3x1,1x1", "--no-synth"],
     "`folding` layer 0: PE must divide the layer's 16 outputs"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    result = runner.invoke(app, ["qmlp", "--epochs", "1", "--out", str(tmp_path), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
