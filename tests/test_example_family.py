"""A family from outside the package plugs in with its own modules and one registration
line per layer (``tests/mac_family``), and runs through generate, simulate, explore and
report like the built-in ones."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.mac_family import register

runner = CliRunner()

SPEC = """
name = "mac-chain"
generator = "mac"
[space]
lanes = [1, 2, 3, 4, 8]
width = { low = 4, high = 8 }
acc_width = 24
[[workload]]
gemm = "3x10x2"
[objectives]
latency_cycles = "minimize"
energy_pj = "minimize"
"""


@pytest.fixture(autouse=True, scope="module")
def mac_family():
    """The family is registered for this module's tests only: the registries are restored
    afterwards, so other tests see the built-in families alone."""
    import dse.models.registry
    import hw.registry
    import sim.families

    tables = (hw.registry._GENERATORS, sim.families.FAMILIES, dse.models.registry._MODELS)
    saved = [dict(table) for table in tables]
    register()
    yield
    for table, before in zip(tables, saved, strict=True):
        table.clear()
        table.update(before)


def test_generate(tmp_path):
    result = runner.invoke(app, ["generate", "mac", "-p", "lanes=3", "--out", str(tmp_path),
                                 "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["generator"] == "mac-v1" and payload["params"]["lanes"] == 3
    verilog = open(payload["verilog_path"]).read()
    assert "module " in verilog and "operands__payload" in verilog


@pytest.mark.sim
@pytest.mark.parametrize("args", [["-p", "lanes=3", "--gemm", "5x7x3"],
                                  ["-p", "lanes=1", "-p", "width=4", "--gemm", "2x1x9",
                                   "--values", "min"],
                                  ["-p", "lanes=4", "--gemm", "1x16x1", "--values", "max"]])
def test_simulate_is_bit_exact_and_matches_the_model(args):
    result = runner.invoke(app, ["simulate", "mac", *args, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["passed"] and payload["mismatches"] == 0
    assert payload["cycles"] == payload["model_cycles"]
    assert payload["energy"]["activity_matches"]


@pytest.mark.sim
def test_explore_and_report(tmp_path):
    spec = tmp_path / "mac.toml"
    spec.write_text(SPEC)
    result = runner.invoke(app, ["explore", str(spec), "--trials", "12", "--verify", "1",
                                 "--run-dir", str(tmp_path / "run"), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["pareto"] and len(payload["checks"]) == 1
    assert not payload["checks"][0]["disagrees"]
    result = runner.invoke(app, ["report", str(spec), "--run-dir", str(tmp_path / "run"),
                                 "--out", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report" / "summary.md").exists()
