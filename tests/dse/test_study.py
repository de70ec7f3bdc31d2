"""Optuna studies on the analytic models: trial records, budgets as constraints, failures
with reasons, resume after SIGKILL, several workers, every sampler."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState

from dse.spec import parse_spec
from dse.study import (
    ATTR_FAILURE,
    ATTR_METRICS,
    ATTR_REQUEUED,
    ATTR_WORKER,
    SAMPLERS,
    StudyError,
    explore,
    finished_count,
    open_storage,
    open_study,
    storage_url_check,
)

SPEC = """
name = "tiny"
generator = "systolic"
target = "ecp5-85k"
[space]
rows = [1, 2, 4, 8]
cols = [1, 2, 4, 8]
input_width = [8, 16]
acc_width = 24
dataflow = ["os", "ws"]
[[workload]]
gemm = "32x32x32"
[[workload]]
conv2d = { in_channels = 4, out_channels = 8, height = 8, width = 8, padding = 1 }
[objectives]
latency_cycles = "minimize"
lut = "minimize"
[constraints]
lut = { max = 3000 }
"""


def _spec(**replace):
    text = SPEC
    for old, new in replace.items():
        text = text.replace(old, new)
    return parse_spec(text)


def test_trials_record_metrics_constraints_and_failure_reasons(tmp_path):
    spec = _spec()
    study = explore(spec, tmp_path, trials=25, sampler="random", seed=1)
    assert (tmp_path / "study.journal").exists()
    assert finished_count(study) == 25
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    failed = study.get_trials(states=(TrialState.FAIL,))
    assert complete
    for trial in complete:
        metrics = trial.user_attrs[ATTR_METRICS]
        assert trial.values == [metrics["latency_cycles"], metrics["lut"]]
        assert trial.system_attrs["constraints:lut"] == pytest.approx(metrics["lut"] - 3000)
        assert trial.user_attrs[ATTR_WORKER].endswith(f":{os.getpid()}")
    # input_width 16 needs acc_width >= 32: invalid designs fail with the generator's reason
    assert failed and all(t.params["input_width"] == 16 for t in failed)
    assert all(t.user_attrs[ATTR_FAILURE].startswith(
        "invalid design: `acc_width` must be an integer in 32..64, not 24") for t in failed)
    # the Pareto front holds feasible designs only
    assert all(t.user_attrs[ATTR_METRICS]["lut"] <= 3000 for t in study.best_trials)


def test_same_command_resumes_and_keeps_every_finished_trial(tmp_path):
    spec = _spec()
    first = explore(spec, tmp_path, trials=12, sampler="tpe", seed=3)
    before = {t.number: (t.params, t.values) for t in first.trials}
    second = explore(spec, tmp_path, trials=20, sampler="tpe", seed=3)
    assert finished_count(second) == 20
    after = {t.number: (t.params, t.values) for t in second.trials}
    assert all(after[n] == before[n] for n in before)


def test_running_trial_of_a_dead_worker_is_failed_and_requeued(tmp_path):
    spec = _spec()
    explore(spec, tmp_path, trials=5, sampler="random", seed=0)
    # a worker that dies (SIGKILL) in the middle of a trial
    crash = (
        "import os, signal, optuna\n"
        "from optuna.storages.journal import JournalFileBackend\n"
        f"path = {str(tmp_path / 'study.journal')!r}\n"
        "s = optuna.storages.JournalStorage(JournalFileBackend(path))\n"
        "study = optuna.load_study(study_name='tiny', storage=s)\n"
        "rows = optuna.distributions.CategoricalDistribution([1, 2, 4, 8])\n"
        "t = study.ask({'rows': rows})\n"
        "t.set_user_attr('worker', __import__('socket').gethostname() + f':{os.getpid()}')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
    subprocess.run([sys.executable, "-c", crash], check=False)
    storage = open_storage(tmp_path)
    running = optuna.load_study(study_name="tiny", storage=storage).get_trials(
        states=(TrialState.RUNNING,))
    assert len(running) == 1
    study = explore(spec, tmp_path, trials=8, sampler="random", seed=0)
    dead = study.trials[running[0].number]
    assert dead.state == TrialState.FAIL
    assert dead.user_attrs[ATTR_FAILURE].startswith("interrupted: worker ")
    requeued = [t for t in study.trials if t.user_attrs.get(ATTR_REQUEUED) == dead.number]
    assert len(requeued) == 1 and requeued[0].params["rows"] == dead.params["rows"]
    assert requeued[0].state in (TrialState.COMPLETE, TrialState.FAIL)
    assert finished_count(study) == 8  # the interrupted trial does not count


def test_sigkill_mid_sweep_then_same_command_loses_nothing(tmp_path):
    spec_path = tmp_path / "tiny.toml"
    spec_path.write_text(SPEC)
    run = tmp_path / "run"
    command = [sys.executable, "-m", "flows.cli", "explore", str(spec_path), "--run-dir",
               str(run), "--sampler", "random", "--verify", "0", "--json"]
    process = subprocess.Popen(command + ["--trials", "100000"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if (run / "study.journal").exists() and len(optuna.load_study(
                    study_name="tiny", storage=open_storage(run)).get_trials(
                    states=(TrialState.COMPLETE,))) >= 40:
                break
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    study = open_study(_spec(), open_storage(run), create=False)
    before = {t.number: (t.params, t.values) for t in
              study.get_trials(states=(TrialState.COMPLETE,))}
    assert len(before) >= 30
    target = finished_count(study) + 15
    result = subprocess.run(command + ["--trials", str(target)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["schema"] == "hwdse.explore/1"
    study = open_study(_spec(), open_storage(run), create=False)
    after = {t.number: (t.params, t.values) for t in study.trials}
    assert all(after[n] == before[n] for n in before)
    assert finished_count(study) >= target
    assert not study.get_trials(states=(TrialState.RUNNING,))


def test_two_workers_share_one_study(tmp_path):
    study = explore(_spec(), tmp_path, trials=30, sampler="random", seed=5, workers=2)
    assert finished_count(study) >= 30
    workers = {t.user_attrs.get(ATTR_WORKER) for t in study.trials}
    assert len(workers) == 2


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_every_sampler_runs_constrained_multi_objective(tmp_path, sampler):
    study = explore(_spec(), tmp_path, trials=14, sampler=sampler, seed=0)
    assert finished_count(study) >= 14
    assert study.best_trials


def test_bad_arguments_are_study_errors(tmp_path):
    with pytest.raises(StudyError, match=r"^`sampler` must be one of tpe, nsga2, gp, random, "
                                         r"ppo, marl, not 'cmaes'$"):
        explore(_spec(), tmp_path, trials=3, sampler="cmaes")
    with pytest.raises(StudyError, match=r"^`trials` must be a positive integer, not 0$"):
        explore(_spec(), tmp_path, trials=0)
    with pytest.raises(StudyError, match=r"^`storage` must not contain a password; put it in "
                                         r"PGPASSWORD"):
        storage_url_check("postgresql://hwdse:secret@db.example/hwdse")


def test_stored_study_with_other_objectives_is_refused(tmp_path):
    explore(_spec(), tmp_path, trials=3, sampler="random")
    other = _spec(**{'lut = "minimize"': 'energy_pj = "minimize"'})
    with pytest.raises(StudyError, match=r"^study 'tiny' in this storage optimizes "
                                         r"\['latency_cycles', 'lut'\], not"):
        explore(other, tmp_path, trials=3, sampler="random")


def test_unreachable_storage_is_one_line_and_touches_nothing(tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    spec_path = tmp_path / "tiny.toml"
    spec_path.write_text(SPEC)
    result = CliRunner().invoke(app, ["explore", str(spec_path), "--storage",
                                      "postgresql://nobody@127.0.0.1:1/none", "--trials", "3",
                                      "--run-dir", str(tmp_path / "run")])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: cannot reach storage postgresql://nobody@127.0.0.1:1/none: ")
    assert not (tmp_path / "run").exists()
