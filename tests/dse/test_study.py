"""Optuna studies on the analytic models: trial records, budgets as constraints, failures
with reasons, resume after SIGKILL, several workers, every sampler."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from dse.records import ATTR_FAILURE, ATTR_METRICS, ATTR_REPEAT_OF, ATTR_REQUEUED, ATTR_WORKER
from dse.searchers import SEARCHERS, OptunaSearcher
from dse.spec import parse_spec
from dse.study import (
    Objective,
    RequeueStaleTrial,
    StudyError,
    explore,
    finished_count,
    open_storage,
    open_study,
    stop_reason,
    storage_url_check,
)
from tests.processes import kill_group, wait_until_empty

SPEC = """
name = "tiny"
generator = "systolic"
target = "ecp5-85k"
[space]
rows = [1, 2, 4, 8]
cols = [1, 2, 4, 8]
input_width = [8, 16]
acc_width = [24, 32]
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
    # input_width 16 needs acc_width >= 32: the designs with 24 fail with the generator's reason
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
    spec_path.write_text(LARGE_SPEC)
    run = tmp_path / "run"
    command = [sys.executable, "-m", "flows.cli", "explore", str(spec_path), "--run-dir",
               str(run), "--sampler", "random", "--verify", "0", "--json"]
    process = subprocess.Popen(command + ["--trials", "100000"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if (run / "study.journal").exists() and len(_completed(run)) >= 40:
                break
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    study = open_study(parse_spec(LARGE_SPEC), open_storage(run), create=False)
    before = {t.number: (t.params, t.values) for t in
              study.get_trials(states=(TrialState.COMPLETE,))}
    assert len(before) >= 30
    target = finished_count(study) + 15
    result = subprocess.run(command + ["--trials", str(target)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["schema"] == "hwdse.explore/1"
    study = open_study(parse_spec(LARGE_SPEC), open_storage(run), create=False)
    after = {t.number: (t.params, t.values) for t in study.trials}
    assert all(after[n] == before[n] for n in before)
    assert finished_count(study) >= target
    assert not study.get_trials(states=(TrialState.RUNNING,))


def test_two_workers_share_one_study(tmp_path):
    study = explore(_spec(), tmp_path, trials=30, sampler="random", seed=5, workers=2)
    assert finished_count(study) >= 30
    workers = {t.user_attrs.get(ATTR_WORKER) for t in study.trials}
    assert len(workers) == 2


@pytest.mark.parametrize("sampler", [name for name, searcher in SEARCHERS.items()
                                     if issubclass(searcher, OptunaSearcher)])
def test_every_sampler_runs_constrained_multi_objective(tmp_path, sampler):
    study = explore(_spec(), tmp_path, trials=14, sampler=sampler, seed=0)
    assert finished_count(study) >= 14
    assert study.best_trials


def test_bad_arguments_are_study_errors(tmp_path):
    with pytest.raises(StudyError, match=r"^`sampler` must be one of tpe, nsga2, gp, random, "
                                         r"exhaustive, ppo, marl, sequential, sequential-random, "
                                         r"not 'cmaes'$"):
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


# --- crashes: journal lock and tail, worker processes, heartbeat retries (issue 15) ---

REPO = Path(__file__).resolve().parents[2]
#: SPEC without designs the generator refuses (those are for the failure-reason test).
VALID_SPEC = SPEC.replace("input_width = [8, 16]", "input_width = [8]")
#: VALID_SPEC with 20,992 designs: a sweep that is killed, not one that runs out of designs.
LARGE_SPEC = VALID_SPEC.replace("rows = [1, 2, 4, 8]", "rows = { low = 1, high = 16 }").replace(
    "cols = [1, 2, 4, 8]", "cols = { low = 1, high = 16 }").replace(
    "acc_width = [24, 32]", "acc_width = { low = 24, high = 64 }")


def _valid_spec():
    return parse_spec(VALID_SPEC)


def _completed(run):
    """{number: (params, values)} of the COMPLETE trials stored in ``run`` (none while the
    study is not created yet)."""
    try:
        study = optuna.load_study(study_name="tiny", storage=open_storage(run))
    except KeyError:
        return {}
    return {t.number: (t.params, t.values) for t in study.get_trials(
        states=(TrialState.COMPLETE,))}


def session_processes(session: int) -> list[str]:
    """Live (not zombie) processes of a session: '<pid> <cmdline>' each."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == session:
            found.append(f"{entry.name} {cmdline.strip()}")
    return found


def test_journal_lock_of_a_killed_holder_is_released(tmp_path):
    # a relative run folder: Optuna's symlink lock then dangles, and a stale one is never
    # broken; the flock dies with its holder
    env = dict(os.environ, PYTHONPATH=str(REPO))
    (tmp_path / "tiny.toml").write_text(VALID_SPEC)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import time\nfrom pathlib import Path\nfrom dse.study import open_storage\n"
         "storage = open_storage(Path('run'))\nstorage._backend._lock.acquire()\n"
         "print('locked', flush=True)\ntime.sleep(600)\n"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
    finally:
        holder.kill()
        holder.wait()
    started = time.monotonic()
    try:
        result = subprocess.run(
            [sys.executable, "-c",
             "from pathlib import Path\nfrom dse.spec import parse_spec\n"
             "from dse.study import explore, finished_count\n"
             "spec = parse_spec(Path('tiny.toml').read_text())\n"
             "print(finished_count(explore(spec, Path('run'), trials=5, sampler='random')))\n"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("the journal stayed locked after its holder was killed")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "5"
    assert time.monotonic() - started < 30


def test_stale_lock_symlink_of_an_older_version_is_removed(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    legacy = run / "study.journal.lock"
    legacy.symlink_to("run/study.journal")  # relative, as Optuna makes it: dangles
    with pytest.warns(UserWarning, match=r"^.*study\.journal\.lock: removed a stale journal "
                                         r"lock \(dangling\) left by an older hwdse"):
        open_storage(run)
    assert not os.path.lexists(legacy)
    legacy.symlink_to(run / "study.journal")  # live (absolute target, fresh): left alone
    open_storage(run)
    assert os.path.lexists(legacy)


TORN = b'{"op_code":6,"worker_id":"dead-worker","trial_id":3,"state":1,"val'


def test_torn_last_line_is_dropped_and_the_study_goes_on(tmp_path):
    spec = _valid_spec()
    explore(spec, tmp_path, trials=6, sampler="random", seed=0)
    journal = tmp_path / "study.journal"
    before, size = _completed(tmp_path), journal.stat().st_size
    with journal.open("ab") as file:
        file.write(TORN)  # a writer SIGKILLed in the middle of its write
    with pytest.warns(UserWarning, match=rf"^{re.escape(str(journal))}: dropped a torn last "
                                         rf"line \({len(TORN)} bytes\)"):
        open_storage(tmp_path)
    assert journal.stat().st_size == size
    study = explore(spec, tmp_path, trials=12, sampler="random", seed=0)
    assert finished_count(study) == 12
    after = _completed(tmp_path)  # a fresh read of the whole file
    assert all(after[n] == before[n] for n in before)
    assert len(after) == len(study.get_trials(states=(TrialState.COMPLETE,)))


def test_torn_line_of_a_dead_writer_is_dropped_before_a_live_process_appends(tmp_path):
    spec = _valid_spec()
    explore(spec, tmp_path, trials=4, sampler="random", seed=0)
    journal = tmp_path / "study.journal"
    study = open_study(spec, open_storage(tmp_path))  # a live process, journal open
    with journal.open("ab") as file:
        file.write(TORN)
    with pytest.warns(UserWarning, match=r"dropped a torn last line"):
        study.optimize(Objective(spec), n_trials=3)
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(_completed(tmp_path)) == len(complete) == 7
    # a bare `optimize` does not skip known designs: the budget counts each design once
    assert finished_count(study) == len({tuple(sorted(t.params.items())) for t in complete})


def test_whole_last_record_without_newline_is_kept(tmp_path):
    spec = _valid_spec()
    explore(spec, tmp_path, trials=5, sampler="random", seed=0)
    journal = tmp_path / "study.journal"
    before, text = _completed(tmp_path), journal.read_bytes()
    journal.write_bytes(text[:-1])  # died between the record and its newline
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        open_storage(tmp_path)
    assert journal.read_bytes() == text
    study = explore(spec, tmp_path, trials=8, sampler="random", seed=0)
    assert finished_count(study) == 8
    after = _completed(tmp_path)
    assert all(after[n] == before[n] for n in before)


def test_damaged_line_in_the_middle_is_a_one_line_study_error(tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    explore(_valid_spec(), tmp_path / "run", trials=3, sampler="random", seed=0)
    journal = tmp_path / "run" / "study.journal"
    lines = journal.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2][:20] + lines[3]  # a torn record with the next one written onto it
    journal.write_bytes(b"".join(lines))
    with pytest.raises(StudyError, match=r"^.*study\.journal: line 3 is not a journal "
                                         r"record[^\n]*$"):
        open_storage(tmp_path / "run")
    spec_path = tmp_path / "tiny.toml"
    spec_path.write_text(VALID_SPEC)
    result = CliRunner().invoke(app, ["explore", str(spec_path), "--trials", "5", "--run-dir",
                                      str(tmp_path / "run"), "--verify", "0"])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {journal}: line 3 is not a journal record")


def test_worker_processes_die_with_a_killed_parent(tmp_path):
    spec_path = tmp_path / "tiny.toml"
    spec_path.write_text(LARGE_SPEC)
    run = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "explore", str(spec_path), "--workers", "2",
         "--trials", "1000000", "--sampler", "random", "--verify", "0", "--run-dir", str(run)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if (run / "study.journal").exists():
                try:
                    study = optuna.load_study(study_name="tiny", storage=open_storage(run))
                except KeyError:
                    continue  # the journal is open, the study not created yet
                if len({t.user_attrs.get(ATTR_WORKER) for t in study.get_trials(
                        states=(TrialState.COMPLETE,))}) == 2:
                    break
        else:
            pytest.fail("the two workers did not both finish a trial within 120 s")
        assert len(session_processes(process.pid)) >= 2
        process.kill()  # the main process only, as the OOM killer would
        process.wait()
        wait_until_empty(lambda: session_processes(process.pid))
        assert session_processes(process.pid) == []
    finally:
        kill_group(process)


def check_stale_trial_is_requeued_without_its_constraint(url, tmp_path, monkeypatch):
    """A trial whose worker stopped beating is failed with the reason, and its parameters are
    evaluated again with their own constraint value (not the dead trial's)."""
    import dse.study as study_module

    monkeypatch.setattr(study_module, "HEARTBEAT_INTERVAL_SECONDS", 1)
    monkeypatch.setattr(study_module, "HEARTBEAT_GRACE_SECONDS", 1)
    spec = _valid_spec()
    storage = open_storage(tmp_path, url)
    study = open_study(spec, storage)
    dead = study.ask()
    Objective(spec)(dead)
    dead.set_user_attr(ATTR_WORKER, "elsewhere:1")
    storage.set_trial_system_attr(dead._trial_id, "constraints:lut", 99999.0)  # stale value
    storage.record_heartbeat(dead._trial_id)
    time.sleep(2.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study = explore(spec, tmp_path, trials=4, sampler="random", seed=0, storage_url=url)
    assert not [str(w.message) for w in caught if issubclass(w.category, UserWarning)
                and not issubclass(w.category, optuna.exceptions.ExperimentalWarning)]
    failed = study.trials[dead.number]
    assert failed.state == TrialState.FAIL
    assert failed.user_attrs[ATTR_FAILURE] == "interrupted: heartbeat stale (worker elsewhere:1)"
    (retried,) = [t for t in study.trials if t.user_attrs.get(ATTR_REQUEUED) == dead.number]
    assert retried.state == TrialState.COMPLETE and retried.params == failed.params
    lut = retried.user_attrs[ATTR_METRICS]["lut"]
    assert retried.system_attrs["constraints:lut"] == pytest.approx(lut - 3000)
    assert finished_count(study) == 4


def test_heartbeat_stale_trial_is_requeued_without_its_constraint(tmp_path, monkeypatch):
    check_stale_trial_is_requeued_without_its_constraint(
        f"sqlite:///{tmp_path / 'study.db'}", tmp_path, monkeypatch)


def test_heartbeat_retries_of_one_design_are_bounded(tmp_path):
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}")
    retry = RequeueStaleTrial(max_retries=2)
    rows = optuna.distributions.CategoricalDistribution([1, 2])
    previous = None
    for _ in range(3):
        attrs = {} if previous is None else {ATTR_REQUEUED: previous}
        study.add_trial(optuna.trial.create_trial(
            state=TrialState.FAIL, params={"rows": 2}, distributions={"rows": rows},
            user_attrs=attrs, system_attrs={"constraints:lut": 1.0}))
        trial = study.trials[-1]
        retry(study, trial)
        previous = trial.number
        waiting = study.get_trials(states=(TrialState.WAITING,))
        assert not any(t.system_attrs.get("constraints:lut") for t in waiting)
    # the design, its retry, its retry's retry: the third failure is not queued again
    assert len(study.get_trials(states=(TrialState.WAITING,))) == 2


# --- no repeats, budgets of distinct designs, early stops (issue 20) ---


def test_a_design_the_study_holds_is_answered_from_it_not_evaluated(tmp_path, monkeypatch):
    spec = _valid_spec()  # 64 designs: TPE proposes some of them again
    evaluated = []
    real = type(spec).evaluate
    monkeypatch.setattr(type(spec), "evaluate",
                        lambda spec, params: evaluated.append(params) or real(spec, params))
    study = explore(spec, tmp_path, trials=40, sampler="tpe", seed=0)
    assert finished_count(study) == 40 == len(evaluated) == len(set(evaluated))
    held = [t for t in study.trials if t.state in (TrialState.COMPLETE, TrialState.FAIL)]
    assert len({tuple(sorted(t.params.items())) for t in held}) == len(held) == 40
    repeats = [t for t in study.trials if ATTR_REPEAT_OF in t.user_attrs]
    assert repeats, "TPE on 64 designs proposes known ones"
    for repeat in repeats:
        assert repeat.state == TrialState.PRUNED and repeat.values is None
        assert study.trials[repeat.user_attrs[ATTR_REPEAT_OF]].params == repeat.params
    # the journal keeps a readable record of why
    assert '"repeat_of"' in (tmp_path / "study.journal").read_text()
    # a resumed search answers from the stored designs too
    more = explore(spec, tmp_path, trials=50, sampler="random", seed=1)
    assert finished_count(more) == 50 == len(evaluated) == len(set(evaluated))


def test_a_finite_space_run_out_ends_the_study_with_a_clear_line(tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    spec = _valid_spec()
    assert spec.space.size() == 64
    study = explore(spec, tmp_path / "api", trials=100, sampler="random", seed=0)
    assert finished_count(study) == 64
    assert stop_reason(study) == ("the space holds 64 designs and the study has evaluated "
                                  "them all: stopped at 64 of 100 designs")
    spec_path = tmp_path / "tiny.toml"
    spec_path.write_text(VALID_SPEC)
    result = CliRunner().invoke(app, ["explore", str(spec_path), "--trials", "70",
                                      "--sampler", "tpe", "--verify", "0", "--json",
                                      "--run-dir", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line == ("note: the space holds 64 designs and the study has evaluated them "
                    "all: stopped at 64 of 70 designs")
    payload = json.loads(result.stdout)
    assert payload["designs"] == 64 and payload["stopped"] == line.removeprefix("note: ")
    # a resume within the space clears the note
    assert stop_reason(explore(spec, tmp_path / "cli", trials=64, sampler="tpe")) == ""


def test_a_searcher_that_proposes_only_known_designs_is_stopped(tmp_path, monkeypatch):
    import dse.study as study_module

    class Stuck(OptunaSearcher):
        name = "stuck"
        summary = "proposes one design for ever"

        def sampler(self):
            return optuna.samplers.RandomSampler(seed=0)

        def search(self, context):
            while not context.done():
                context.study.enqueue_trial({"rows": 2, "cols": 2, "input_width": 8,
                                             "acc_width": 24, "dataflow": "os"})
                context.evaluate_batch(1)

    monkeypatch.setitem(SEARCHERS, "stuck", Stuck)
    monkeypatch.setattr(study_module, "MAX_REPEATS_IN_A_ROW", 7)
    study = explore(_valid_spec(), tmp_path, trials=5, sampler="stuck")
    assert finished_count(study) == 1
    assert len(study.trials) == 8
    assert stop_reason(study) == ("the searcher stuck proposed 7 designs in a row that the "
                                  "study already holds: stopped at 1 of 5 designs (try "
                                  "another --sampler or --seed)")


def test_a_batch_writes_one_journal_append_per_trial(tmp_path, monkeypatch):
    from dse.study import JournalFile

    appends, claims = [], []
    real = JournalFile._append

    def append(self, logs, sync=True):
        (appends if sync else claims).append(len(logs))
        return real(self, logs, sync)

    monkeypatch.setattr(JournalFile, "_append", append)
    study = explore(_valid_spec(), tmp_path, trials=20, sampler="random", seed=0)
    trials = len(study.trials)
    # creating the study and its attributes, then one fsynced append per trial (its
    # creation carries the previous trial's writes) and one at the end of each batch
    assert len(appends) <= trials + 15
    # and, for each new design, its claim (with the trial's parameters), not fsynced
    designs = finished_count(study)
    assert len(claims) == designs == 20
    assert sum(appends) + sum(claims) > 6 * trials  # params, attributes, constraint, state
