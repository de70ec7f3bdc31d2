"""Chaos: `hwdse explore` SIGKILLed (its whole process group) again and again at seeded
random moments (start-up, trials being written, two workers, the RTL re-check), then
resumed. After every kill no finished trial is lost and no process of the run is left;
the final resume finishes the study."""

from __future__ import annotations

import functools
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from dse.study import finished_count, open_storage
from tests.processes import kill_group, wait_until_empty

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
SPEC = """
name = "chaos"
generator = "systolic"
target = "ecp5-85k"
[space]
rows = [1, 2, 3, 4]
cols = [1, 2, 3, 4]
input_width = [4, 8]
acc_width = { low = 24, high = 64 }
dataflow = ["os", "ws"]
signed = [true, false]  # 5,248 designs: the killed runs stay far from all of them
[[workload]]
gemm = "8x8x8"
[objectives]
latency_cycles = "minimize"
lut = "minimize"
[constraints]
lut = { max = 3000 }
"""
#: (workers, verify) of each killed run; verify runs are killed during the RTL re-check.
RUNS = [(1, 0), (1, 0), (2, 0), (1, 0), (2, 0), (1, 1), (1, 0), (2, 0), (1, 0), (2, 0),
        (1, 1), (1, 0)]


def _study(run: Path):
    return optuna.load_study(study_name="chaos", storage=open_storage(run))


def _completed(run: Path) -> dict[int, tuple[dict, list[float]]]:
    if not (run / "study.journal").exists():
        return {}
    return {t.number: (t.params, t.values)
            for t in _study(run).get_trials(states=(TrialState.COMPLETE,))}


def _leftovers(session: int, run: Path, cache: Path) -> list[str]:
    """Live processes of the killed run: in its session, or naming its run folder or cache
    on their command line, or with its HWDSE_CACHE in their environment (tool children)."""
    needles = (str(run).encode(), str(cache).encode())
    marker = b"HWDSE_CACHE=" + str(cache).encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if fields[0] == "Z":
            continue
        if (int(fields[3]) == session or any(n in cmdline for n in needles)
                or marker in environ + b"\0"):
            words = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
            found.append(f"{entry.name} {words}")
    return found


def test_repeated_sigkill_loses_no_trial_and_leaves_no_process(tmp_path):
    spec_path, run, cache = tmp_path / "chaos.toml", tmp_path / "run", tmp_path / "cache"
    spec_path.write_text(SPEC)
    env = dict(os.environ, HWDSE_CACHE=str(cache))
    command = [sys.executable, "-m", "flows.cli", "explore", str(spec_path), "--run-dir",
               str(run), "--sampler", "random", "--json"]
    rng = random.Random(15)
    for index, (workers, verify) in enumerate(RUNS):
        start_count = len(_completed(run))
        trials = start_count + 6 if verify else 10**6
        log = (tmp_path / f"run{index}.log").open("w")
        process = subprocess.Popen(
            command + ["--workers", str(workers), "--verify", str(verify), "--seed", str(index),
                       "--trials", str(trials)],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        try:
            if verify:  # wait for the search to end, then kill during the RTL re-check
                deadline = time.monotonic() + 60
                while (time.monotonic() < deadline and process.poll() is None
                       and finished_count(_study(run)) < trials):
                    time.sleep(0.2)
                assert finished_count(_study(run)) >= trials, f"run {index}: search not done"
                time.sleep(rng.uniform(0.5, 4.0))  # the first Verilator build takes ~15 s
            elif index % 2:  # while trials are being written
                deadline = time.monotonic() + 30
                while (time.monotonic() < deadline and process.poll() is None
                       and len(_completed(run)) < start_count + 3):
                    time.sleep(0.1)
                time.sleep(rng.uniform(0.0, 1.0))
            else:  # any moment, start-up included
                time.sleep(rng.uniform(0.0, 2.0))
            before = _completed(run)
            assert process.poll() is None, f"run {index} ended before its kill"
        finally:
            kill_group(process)
            log.close()
        wait_until_empty(functools.partial(_leftovers, process.pid, run, cache))
        assert _leftovers(process.pid, run, cache) == [], f"run {index} left processes"
        after = _completed(run)
        lost = {n: before[n] for n in before if after.get(n) != before[n]}
        assert not lost, f"run {index}: finished trials lost or changed: {lost}"

    target = finished_count(_study(run)) + 10
    # a seed no killed run used: seed 0 would replay run 0's proposals, and on a fast
    # machine run 0 holds over 1,000 of them (the search stops after that many repeats)
    result = subprocess.run(command + ["--verify", "1", "--seed", str(len(RUNS)), "--trials",
                                       str(target)], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    study = _study(run)
    assert finished_count(study) == target
    assert not study.get_trials(states=(TrialState.RUNNING,))
    after = _completed(run)
    assert all(after.get(n) == trial for n, trial in before.items())
