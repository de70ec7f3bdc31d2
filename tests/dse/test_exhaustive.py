"""`--sampler exhaustive`: every point of a small space evaluated, the exact Pareto front
stored as trials (checked against a brute-force dominance test), every point in a table."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from dse.exhaustive import (
    ATTR_EXHAUSTIVE,
    BATCH_EXHAUSTIVE_LIMIT,
    EXHAUSTIVE_LIMIT,
    TABLE_NAME,
    exhaustive_limit,
    pareto_mask,
    read_table,
)
from dse.fidelity import pareto_trials
from dse.spec import load_spec, parse_spec
from dse.study import explore, stop_reason
from flows.cli import app
from hw.params import ParamError

SPEC = """
name = "small"
generator = "systolic"
target = "ecp5-85k"
[space]
rows = [1, 2, 4, 8]
cols = [1, 2, 4, 8, 16]
input_width = [4, 8, 16]
acc_width = [24, 32]
dataflow = ["os", "ws"]
acc_depth = { values = [16, 64], when = { dataflow = "ws" } }
[[workload]]
gemm = "32x32x32"
[objectives]
latency_cycles = "minimize"
energy_pj = "minimize"
lut = "minimize"
[constraints]
lut = { max = 6000 }
"""


def brute_force_front(spec) -> set[tuple]:
    """The feasible designs no feasible design dominates, by comparing every pair."""
    feasible = []
    for point in spec.space.points():
        try:
            metrics = spec.evaluate(spec.space.params(point))
        except ParamError:
            continue
        if all(c.violation(metrics[c.metric]) <= 0 for c in spec.constraints):
            feasible.append((tuple(sorted(point.items())),
                             [metrics[name] for name in spec.objective_names]))
    front = set()
    for key, values in feasible:
        dominated = any(all(o <= v for o, v in zip(other, values, strict=True))
                        and other != values for _, other in feasible)
        if not dominated:
            front.add(key)
    return front


def test_the_stored_front_is_the_brute_force_front(tmp_path):
    spec = parse_spec(SPEC)
    study = explore(spec, tmp_path, trials=5, sampler="exhaustive")
    expected = brute_force_front(spec)
    assert len(expected) > 5  # the budget does not cut the front
    assert {tuple(sorted(t.params.items())) for t in pareto_trials(study)} == expected
    assert {tuple(sorted(t.params.items())) for t in study.trials} == expected
    summary = study.user_attrs[ATTR_EXHAUSTIVE]
    assert summary["points"] == spec.space.size() == 360
    assert summary["front"] == len(expected)
    columns = read_table(tmp_path / TABLE_NAME)
    points = list(spec.space.points())
    assert [{name: columns[name][i] for name in spec.space.names
             if columns[name][i] is not None} for i in range(360)] == points
    assert columns["pareto"].sum() == len(expected)
    assert {tuple(sorted(points[i].items())) for i in np.flatnonzero(columns["pareto"])
            } == expected
    assert columns["feasible"].sum() == summary["feasible"]
    failed = np.isnan(columns["lut"])
    assert 0 < failed.sum() < 360
    assert all(message.startswith("invalid design: `acc_width` must be an integer in ")
               for message in columns["failure"][failed])
    assert not any(columns["failure"][~failed])
    assert stop_reason(study).startswith("exhaustive: evaluated all 360 designs of the space")
    from dse.report import write_report

    write_report(spec, study, tmp_path / "report", top=0)
    assert (f"all 360 designs of the space evaluated ({summary['feasible']} feasible); the "
            f"front above is the exact front ({len(expected)} designs)"
            ) in (tmp_path / "report" / "summary.md").read_text()
    # a second run stores nothing again
    again = explore(spec, tmp_path, trials=5, sampler="exhaustive")
    assert len(again.trials) == len(study.trials)


def test_pareto_mask_keeps_ties_and_respects_directions():
    values = np.array([[1.0, 5.0], [1.0, 5.0], [2.0, 4.0], [2.0, 6.0], [3.0, 3.0]])
    assert pareto_mask(values, ["minimize", "minimize"]).tolist() == [
        True, True, True, False, True]
    assert pareto_mask(values, ["maximize", "minimize"]).tolist() == [
        False, False, False, False, True]
    assert pareto_mask(np.zeros((0, 2)), ["minimize", "minimize"]).tolist() == []


def test_explore_suggests_exhaustive_for_a_small_space(tmp_path):
    spec_path = tmp_path / "small.toml"
    spec_path.write_text(SPEC)
    result = CliRunner().invoke(app, ["explore", str(spec_path), "--trials", "5",
                                      "--sampler", "random", "--verify", "0",
                                      "--run-dir", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert ("note: the space holds 360 designs (at most 1,048,576): `--sampler exhaustive` "
            "evaluates them all and stores the exact Pareto front") in result.stdout
    result = CliRunner().invoke(app, ["explore", str(spec_path), "--sampler", "exhaustive",
                                      "--verify", "0", "--json",
                                      "--run-dir", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["stopped"].startswith("exhaustive: evaluated all 360 designs")
    assert len(payload["pareto"]) == len(brute_force_front(parse_spec(SPEC)))


@pytest.mark.parametrize("workers", [2])
def test_exhaustive_runs_alone(tmp_path, workers):
    from dse.study import StudyError

    with pytest.raises(StudyError, match=r"^`workers` must be at most 1 for the searcher "
                                         r"'exhaustive' \(one process evaluates the whole "
                                         r"space\), not 2$"):
        explore(parse_spec(SPEC), tmp_path, trials=5, sampler="exhaustive", workers=workers)


def test_the_suggested_limit_is_larger_for_families_with_batch_models():
    from pathlib import Path

    assert exhaustive_limit(parse_spec(SPEC)) == BATCH_EXHAUSTIVE_LIMIT == 1 << 20
    pim = load_spec(Path("bench/specs/pim_memory_and_controller.toml"))  # scalar models only
    assert exhaustive_limit(pim) == EXHAUSTIVE_LIMIT == 50_000


def test_a_space_too_large_to_hold_in_memory_is_refused(tmp_path):
    from dse.study import StudyError

    spec = parse_spec(SPEC.replace("rows = [1, 2, 4, 8]",
                                   "rows = { low = 1, high = 128 }\nsigned = [true, false]")
                      .replace("cols = [1, 2, 4, 8, 16]", "cols = { low = 1, high = 128 }")
                      .replace("acc_width = [24, 32]", "acc_width = { low = 32, high = 64 }"))
    with pytest.raises(StudyError, match=r"^the searcher 'exhaustive' sweeps spaces of at most "
                                         r"8,388,608 designs \(it holds them all in memory\): "
                                         r"this spec's space holds 9,732,096 \(use another "
                                         r"--sampler\)$"):
        explore(spec, tmp_path, trials=5, sampler="exhaustive")


def test_the_front_is_stored_with_one_fsync_not_one_per_design(tmp_path, monkeypatch):
    import os

    fsyncs = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: fsyncs.append(fd) or real(fd))
    study = explore(parse_spec(SPEC), tmp_path, trials=5, sampler="exhaustive")
    # creating the study and its attributes, the stop, and one for the whole front (its size
    # follows the shipped area model: 18 designs with the fit of 2026-12-02)
    assert len(study.trials) > 10 >= len(fsyncs)
