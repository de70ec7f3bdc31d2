"""`hwdse explore` and `hwdse report` end to end: a small sweep, the Pareto designs
re-checked in Verilator, the report folder, and the storage read by optuna-dashboard."""

from __future__ import annotations

import csv
import json
from wsgiref.util import setup_testing_defaults

import pytest
from typer.testing import CliRunner

from dse.records import DEFAULT_MAX_SIM_CYCLES
from dse.study import open_storage
from flows.cli import app
from tests.shared_fixture import once_per_run

runner = CliRunner()
SPEC = """
name = "cli-tiny"
generator = "systolic"
[space]
rows = [1, 2, 4]
cols = [1, 2, 4]
dataflow = ["os", "ws"]
acc_depth = { values = [4, 16], when = { dataflow = "ws" } }
[[workload]]
gemm = "9x10x7"
[[workload]]
name = "big"
gemm = "2048x2048x2048"
[objectives]
latency_cycles = "minimize"
lut = "minimize"
[constraints]
lut = { max = 2500 }
"""


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    # once per test run, not once per xdist worker (the tests only read the folder, or
    # write into folders of their own)
    return once_per_run(tmp_path_factory, "explore_cli_swept",
                        lambda: _sweep(tmp_path_factory))


def _sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore")
    spec = folder / "tiny.toml"
    spec.write_text(SPEC)
    result = runner.invoke(app, ["explore", str(spec), "--trials", "25", "--sampler", "tpe",
                                 "--run-dir", str(folder / "run"), "--verify", "2",
                                 "--report", str(folder / "report"), "--json"])
    assert result.exit_code == 0, result.output
    return folder, json.loads(result.stdout)


@pytest.mark.sim
def test_pareto_designs_are_rechecked_in_rtl(swept):
    _, payload = swept
    assert payload["schema"] == "hwdse.explore/1" and payload["trials"] >= 25
    assert len(payload["checks"]) == min(2, len(payload["pareto"]))
    for check in payload["checks"]:
        small, big = check["layers"]
        assert small["passed"] is True and small["rtl_cycles"] == small["model_cycles"]
        assert small["agrees"] is True
        # a layer too long to simulate is reported as skipped, not silently dropped
        assert big["rtl_cycles"] is None and big["skipped"].endswith(f"> {DEFAULT_MAX_SIM_CYCLES}")
        assert check["disagrees"] is False


@pytest.mark.sim
def test_report_folder_holds_every_trial_and_the_front(swept):
    folder, payload = swept
    report = folder / "report"
    for name in ("trials.csv", "trials.json", "pareto.png", "pareto.html", "summary.md"):
        assert (report / name).stat().st_size > 0
    rows = list(csv.DictReader((report / "trials.csv").open()))
    assert len(rows) == payload["trials"]
    assert {r["number"] for r in rows if r["pareto"] == "True"} == {
        str(p["trial"]) for p in payload["pareto"]}
    verilog = sorted((report / "designs").glob("*/systolic.v"))
    assert 0 < len(verilog) <= 5
    summary = (report / "summary.md").read_text()
    assert summary.count("| agrees |") == len(payload["checks"])
    assert (report / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.sim
def test_report_command_and_dashboard_read_the_journal(swept):
    folder, payload = swept
    out = folder / "again"
    result = runner.invoke(app, ["report", str(folder / "tiny.toml"), "--run-dir",
                                 str(folder / "run"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "trials.json").exists()

    from optuna_dashboard import wsgi

    dashboard = wsgi(open_storage(folder / "run"))
    status: dict[str, str] = {}

    def get(path):
        environ = {"PATH_INFO": path}
        setup_testing_defaults(environ)
        body = b"".join(dashboard(environ, lambda s, h, e=None: status.update(s=s)))
        assert status["s"].startswith("200"), body[:300]
        return json.loads(body)

    (summary,) = get("/api/studies")["study_summaries"]
    assert summary["study_name"] == "cli-tiny"
    assert len(get(f"/api/studies/{summary['study_id']}")["trials"]) == payload["trials"]


def test_bad_spec_and_missing_study_are_one_line_errors(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text(SPEC.replace('lut = "minimize"', 'area = "minimize"'))
    result = runner.invoke(app, ["explore", str(spec)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {spec}: `objectives.area` is not a metric; known: latency_cycles, latency_s, "
        "energy_pj, lut, ff, dsp, bram, fmax_mhz, latency_s_at_fmax, pes, utilization, "
        "macs_per_cycle"]
    good = tmp_path / "good.toml"
    good.write_text(SPEC)
    result = runner.invoke(app, ["report", str(good), "--run-dir", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no study in" in result.stderr
