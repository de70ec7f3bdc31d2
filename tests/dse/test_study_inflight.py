"""A design in flight in another worker is not evaluated twice: before evaluating a new
design a worker claims it under the study's claim lock (the journal's flock, a PostgreSQL
advisory lock); a worker that proposes a design another live worker has claimed stores a
repeat of that trial. A dead worker's claim blocks nothing."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest
from optuna.trial import TrialState

from dse.records import ATTR_REPEAT_OF, ATTR_WORKER
from dse.space import design_key, suggest_point
from dse.spec import parse_spec
from dse.study import (
    ATTR_CLAIM,
    finished_count,
    holds_design,
    make_searcher,
    open_storage,
    open_study,
    search,
)
from tests.dse.test_postgres import PASSWORD, SPEC, postgres_url  # noqa: F401  (a fixture)
from tests.processes import run_at_once

#: Each worker: every evaluation logged and slowed down (so that the two workers, which
#: propose the same designs in the same order, have them in flight at the same time),
#: started together.
WORKER = """
import json, os, time
from pathlib import Path
from dse.spec import parse_spec
from dse.spec.hardware import Spec
from dse.study import run_worker
spec_text, run, log, storage, designs, barrier = {args!r}
real = Spec.evaluate
def evaluate(self, params):
    with open(log, "a") as handle:
        handle.write(json.dumps(sorted(params.to_dict().items())) + "\\n")
    time.sleep(0.4)
    return real(self, params)
Spec.evaluate = evaluate
Path(barrier, f"ready-{{os.getpid()}}").touch()
while len(list(Path(barrier).glob("ready-*"))) < 2:
    time.sleep(0.01)
run_worker(parse_spec(spec_text), Path(run), designs, "random", 0, storage)
print("done")
"""


def _run_two_workers(tmp_path: Path, storage_url: str | None, env: dict[str, str]) -> object:
    spec = parse_spec(SPEC)
    run, log = tmp_path / "run", tmp_path / "evaluations.log"
    study = open_study(spec, open_storage(run, storage_url))
    code = WORKER.format(args=(SPEC, str(run), str(log), storage_url, 10, str(tmp_path)))
    assert run_at_once(code, env) == ["done", "done"]
    evaluated = log.read_text().splitlines()
    # no design evaluated twice, and every evaluation is a design the study holds
    assert len(evaluated) == len(set(evaluated)) == finished_count(study) >= 10
    trials = study.get_trials(deepcopy=False)
    holding = [t for t in trials if holds_design(t)]
    assert len(holding) == len({design_key(t.params) for t in holding}) == len(evaluated)
    assert len({t.user_attrs[ATTR_WORKER] for t in holding}) == 2
    # the same seed: the workers proposed the same designs, and some while the other
    # worker was evaluating them (started before it finished)
    by_number = {t.number: t for t in trials}
    in_flight = [t for t in trials if t.state == TrialState.PRUNED
                 and t.user_attrs[ATTR_WORKER]
                 != by_number[t.user_attrs[ATTR_REPEAT_OF]].user_attrs[ATTR_WORKER]
                 and t.datetime_start < by_number[t.user_attrs[ATTR_REPEAT_OF]]
                 .datetime_complete]
    assert in_flight
    assert not study.get_trials(states=(TrialState.RUNNING,))
    return study


def test_two_workers_never_evaluate_one_design_twice_on_a_journal(tmp_path):
    _run_two_workers(tmp_path, None, dict(os.environ))


@pytest.mark.postgres
def test_two_workers_never_evaluate_one_design_twice_on_postgresql(tmp_path, postgres_url):  # noqa: F811
    os.environ["PGPASSWORD"] = PASSWORD
    try:
        _run_two_workers(tmp_path, postgres_url, dict(os.environ))
    finally:
        del os.environ["PGPASSWORD"]


def _claimed_trial(study, spec, point, worker: str):
    """A running trial of ``point`` that ``worker`` claimed (as a worker about to
    evaluate it leaves it)."""
    study.enqueue_trial(point, skip_if_exists=False)
    trial = study.ask()
    suggest_point(spec.space, trial)
    trial.set_user_attr(ATTR_WORKER, worker)
    study._storage.set_trial_user_attr(trial._trial_id, ATTR_CLAIM,
                                       json.dumps(design_key(point)))
    return trial


@pytest.mark.parametrize("alive", [True, False])
def test_a_live_workers_claim_makes_a_repeat_and_a_dead_workers_blocks_nothing(tmp_path,
                                                                                alive):
    spec = parse_spec(SPEC)
    study = open_study(spec, open_storage(tmp_path))
    point = {"rows": 2, "cols": 4, "input_width": 8, "dataflow": "ws"}
    if alive:
        pid = os.getpid()
    else:  # a worker killed mid-trial (recovered only when a study starts)
        finished = subprocess.Popen(["true"])
        finished.wait()
        pid = finished.pid
    holder = _claimed_trial(study, spec, point, f"{socket.gethostname()}:{pid}")
    study.enqueue_trial(point, skip_if_exists=False)  # the searcher's first proposal
    search(spec, study, make_searcher("random", 0), 3)
    proposal = study.get_trials(deepcopy=False)[holder.number + 1]
    assert proposal.params == point
    if alive:
        assert proposal.state == TrialState.PRUNED
        assert proposal.user_attrs[ATTR_REPEAT_OF] == holder.number
    else:
        assert proposal.state == TrialState.COMPLETE
        assert proposal.user_attrs[ATTR_CLAIM] == json.dumps(design_key(point))
    assert finished_count(study) == 3
