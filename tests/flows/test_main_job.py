"""The main job (`hwdse run`): the packaged spec is the example users read, and a short run
maps every layer of each design, its latency the sum of the chosen mappings' cycles."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from typer.testing import CliRunner

from flows.cli import MAIN_JOB_SPEC, app

ROOT = Path(__file__).resolve().parents[2]


def test_the_packaged_main_job_spec_is_the_example():
    packaged = resources.files("dse").joinpath(MAIN_JOB_SPEC).read_bytes()
    assert packaged == (ROOT / "examples" / "accel_cnn.toml").read_bytes()


def test_a_short_main_job_maps_every_layer_of_each_design(tmp_path):
    from dse.spec import load_spec

    result = CliRunner().invoke(app, ["run", "--trials", "6", "--verify", "0", "--run-dir",
                                      str(tmp_path / "run"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["designs"] == 6 and report["study"] == "accel-cnn" and report["pareto"]
    spec = load_spec(ROOT / "examples" / "accel_cnn.toml")
    for design in report["pareto"]:
        params = spec.space.params(design["params"])
        mapped = spec.mapped(params)
        assert len(mapped.layers) == len(spec.workload)
        # latency_cycles is the first objective: the layers' cycles, each layer its count
        assert design["values"][0] == sum(mapping.cycles * layer.count
                                          for layer, (_, mapping) in zip(
                                              spec.workload, mapped.layers, strict=True))
