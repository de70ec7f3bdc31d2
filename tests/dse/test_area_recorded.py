"""``bench/area_common.py --recorded``: an area benchmark reuses the shipped data file's
measurements only where they were recorded under this flow version and Yosys."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from flows.synth import FLOW_VERSION, YOSYS

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
from area_common import params_key, recorded_key, recorded_samples  # noqa: E402

from hw.qmlp.params import QmlpParams  # noqa: E402
from hw.systolic.params import SystolicParams  # noqa: E402


def _data_file(tmp_path: Path, flow_version: int, yosys: str) -> Path:
    path = tmp_path / "area.json"
    path.write_text(json.dumps({
        "generator": "systolic-v1",
        "provenance": {"flow_version": flow_version, "tools": {"yosys": yosys}},
        "samples": [{"params": {"rows": 2, "cols": 1}, "split": "train",
                     "measured": {"lut": 10.0, "ff": 4.0}, "cells": {},
                     "synth_seconds": 1.5}]}))
    return path


def test_recorded_samples_are_keyed_by_their_parameters(tmp_path):
    """Same flow version and Yosys: the samples by their parameters (every field, sorted;
    those not recorded at their defaults)."""
    samples = recorded_samples(_data_file(tmp_path, FLOW_VERSION, YOSYS.version()))
    key = params_key(SystolicParams(rows=2, cols=1))
    assert list(samples) == [key]
    assert samples[key]["measured"] == {"lut": 10.0, "ff": 4.0}


def test_a_field_added_since_the_recording_takes_its_default():
    # qmlp-v1's weight_memory came after its samples were recorded
    before = {"network": "", "layers": "8,4,2", "weight_bits": 1, "act_bits": 1,
              "input_bits": 1, "seed": 0, "folding": ""}
    assert recorded_key("qmlp-v1", before) == params_key(QmlpParams(
        layers="8,4,2", weight_bits=1, act_bits=1, input_bits=1, weight_memory="logic"))
    assert recorded_key("qmlp-v1", before) != params_key(QmlpParams(
        layers="8,4,2", weight_bits=1, act_bits=1, input_bits=1, weight_memory="block"))


@pytest.mark.parametrize("change", ["flow", "yosys", "missing"])
def test_recorded_samples_refuse_another_flow_or_tool(tmp_path, change):
    if change == "missing":
        path = tmp_path / "none.json"
    else:
        path = _data_file(tmp_path, FLOW_VERSION - (change == "flow"),
                          YOSYS.version() + ("-other" if change == "yosys" else ""))
    with pytest.raises(SystemExit, match="--recorded"):
        recorded_samples(path)


def test_resynthesize_values_are_json_or_text():
    from area_common import param_value
    assert param_value("signed=false") == ("signed", False)
    assert param_value("lanes=4") == ("lanes", 4)
    assert param_value("core=bitserial") == ("core", "bitserial")
    with pytest.raises(Exception, match="NAME=VALUE"):
        param_value("signed")


def test_clock_recorded_rows_need_this_flow_version(tmp_path):
    """``bench/clock_model.py --recorded``: the previous results' placed designs by their
    parameters, refused under another flow version."""
    from clock_model import _recorded_rows
    path = tmp_path / "clock.json"
    points = [{"params": {"rows": 2}, "fmax_mhz": 61.5}, {"params": {"rows": 3}, "fmax_mhz": None}]
    path.write_text(json.dumps({"generator": "systolic-v1",
                                "provenance": {"flow_version": FLOW_VERSION}, "points": points}))
    assert list(_recorded_rows(path)) == [params_key(SystolicParams(rows=2))]
    path.write_text(json.dumps({"generator": "systolic-v1",
                                "provenance": {"flow_version": FLOW_VERSION + 1},
                                "points": points}))
    with pytest.raises(SystemExit, match="flow version"):
        _recorded_rows(path)


def test_recorded_split_leaves_out_changed_designs_and_checks_the_first():
    from area_common import params_key, recorded_split

    from hw.accel.params import AccelParams
    designs = [AccelParams(rows=r, signed=s) for r in (1, 2, 4) for s in (True, False)]
    recorded = {params_key(p): {} for p in designs[1:]}
    taken, checked = recorded_split(designs, recorded, {"signed": False}, 1)
    assert taken == [designs[2], designs[4]] and checked == [designs[2]]
    assert recorded_split(designs, recorded, {}, 0) == (designs[1:], [])


def test_recorded_split_leaves_out_listed_designs():
    """Designs listed as measured from a wrong netlist are run again, never taken."""
    from area_common import params_key, recorded_split

    designs = [SystolicParams(rows=r, cols=1) for r in (1, 2, 3)]
    recorded = {params_key(p): {} for p in designs}
    taken, checked = recorded_split(designs, recorded, {}, 1, {params_key(designs[0])})
    assert taken == designs[1:] and checked == [designs[1]]


def _scan(tmp_path: Path, **fields) -> Path:
    path = tmp_path / "scan.json"
    scan = {"generator": "qmlp-v1", "target": "ecp5-85k", "place": True,
            "designs": [{"params": {"layers": "4,2"}, "conflicts": 3},
                        {"params": {"layers": "5,2"}, "conflicts": 0}], **fields}
    path.write_text(json.dumps(scan))
    return path


def test_clock_replace_listed_takes_the_designs_with_conflicts(tmp_path):
    """``clock_model.py --replace-listed``: the designs a placed-design conflict scan found
    with conflicts, by their parameters; a scan of bare designs or of another target is
    refused (its netlists are not the placed ones)."""
    from clock_model import _listed

    assert _listed([_scan(tmp_path)], "qmlp-v1", "ecp5-85k") == {
        params_key(QmlpParams(layers="4,2"))}
    with pytest.raises(SystemExit, match="place=False"):
        _listed([_scan(tmp_path, place=False)], "qmlp-v1", "ecp5-85k")
    with pytest.raises(SystemExit, match="ecp5-85k-nowidelut"):
        _listed([_scan(tmp_path)], "qmlp-v1", "ecp5-85k-nowidelut")


def test_conflict_scan_finds_the_mis_synthesized_design(tmp_path, monkeypatch):
    """``bench/conflict_scan.py`` runs the flow's first Yosys script where the cache has no
    entry: the qmlp-v1 design abc9 (write_xaiger2) cuts a block RAM off in (see
    tests/flows/test_synth.py) has conflicts, a small systolic array none; with the flow's
    entry for it, the scan reads the first run's log the flow kept."""
    from conflict_scan import scan_one

    from flows.synth import synthesize

    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path))
    bad = {"layers": "2,2", "weight_bits": 8, "act_bits": 2, "input_bits": 1, "seed": 294,
           "folding": "1x2", "weight_memory": "block"}
    scanned = scan_one("qmlp-v1", bad, "ecp5-85k", False, 600)
    assert scanned["source"] == "yosys" and scanned["conflicts"] > 0
    clean = scan_one("systolic-v1", {"rows": 2, "cols": 2}, "ecp5-85k", False, 600)
    assert clean["conflicts"] == 0
    synthesize(QmlpParams.from_mapping(bad), "ecp5-85k", place=False)
    cached = scan_one("qmlp-v1", bad, "ecp5-85k", False, 600)
    assert cached["source"] == "cache" and cached["conflicts"] == scanned["conflicts"]


def test_rtl_changed_since_finds_the_designs_whose_verilog_changed(tmp_path, monkeypatch):
    """``--resynthesize-changed``: against the last commit before the table PEs of session
    34 (``hw.qmlp.accelerator.table_pe``), a network whose last layer is table PEs emitted
    other Verilog, a folded one the same; the revision's hashes are kept, so asking again
    gives the same answer from the cache."""
    from area_common import rtl_changed_since

    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path))
    table = QmlpParams(layers="2,10", folding="10x2", weight_bits=5, act_bits=2,
                       input_bits=2, seed=660)
    folded = QmlpParams(folding="")
    before = "eef643f"   # main at the end of session 33
    import subprocess
    if subprocess.run(["git", "rev-parse", "--verify", f"{before}^{{commit}}"],
                      cwd=Path(__file__).parents[2], capture_output=True).returncode:
        pytest.skip(f"a clone without the history of revision {before}")
    assert rtl_changed_since(before, [table, folded]) == {params_key(table)}
    assert len(list((tmp_path / "verilog-hashes").glob("eef643f*.json"))) == 1
    assert rtl_changed_since(before, [folded, table]) == {params_key(table)}
