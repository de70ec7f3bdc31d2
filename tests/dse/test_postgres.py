"""A study on PostgreSQL: a private server on loopback (the Debian package's binaries), two
independent `hwdse explore` processes joining one study, credentials from the environment."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from dse.records import ATTR_WORKER
from dse.study import finished_count

pytestmark = pytest.mark.postgres
PASSWORD = "hwdse-test-only"


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_server_user(argv: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server as the package's `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_url():
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        if os.environ.get("HWDSE_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL server binaries not found (Debian package postgresql)")
        pytest.skip("PostgreSQL server binaries not found; .ci/run installs postgresql")
    # outside pytest's private (0700) temporary tree: the server user must reach it
    root = Path(tempfile.mkdtemp(prefix="hwdse-pg-"))
    data, pwfile = root / "data", root / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(pwfile, "postgres")
    subprocess.run(_as_server_user([initdb, "-D", str(data), "-U", "hwdse", "-A",
                                    "scram-sha-256", f"--pwfile={pwfile}"]),
                   check=True, capture_output=True)
    port = _free_port()
    subprocess.run(_as_server_user([
        pg_ctl, "-D", str(data), "-l", str(root / "server.log"), "-w", "-o",
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1"]) + ["start"],
        check=True, capture_output=True)
    env = dict(os.environ, PGPASSWORD=PASSWORD)
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "hwdse", "-d", "postgres",
                    "-c", "CREATE DATABASE hwdse"], check=True, capture_output=True, env=env)
    yield f"postgresql://hwdse@127.0.0.1:{port}/hwdse"
    subprocess.run(_as_server_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
                   check=False, capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


SPEC = """
name = "pg-tiny"
generator = "systolic"
[space]
rows = [1, 2, 4, 8]
cols = [1, 2, 4, 8]
input_width = [4, 8]  # 64 designs: more than the 40 the test asks for
dataflow = ["os", "ws"]
[[workload]]
gemm = "32x32x32"
[objectives]
latency_cycles = "minimize"
lut = "minimize"
"""


def test_two_processes_join_one_study(postgres_url, tmp_path):
    spec_path = tmp_path / "pg.toml"
    spec_path.write_text(SPEC)
    env = dict(os.environ, PGPASSWORD=PASSWORD)
    command = [sys.executable, "-m", "flows.cli", "explore", str(spec_path), "--storage",
               postgres_url, "--trials", "40", "--sampler", "random", "--verify", "0",
               "--json"]
    workers = [subprocess.Popen(command + ["--seed", str(seed), "--run-dir",
                                           str(tmp_path / f"w{seed}")],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for seed in (1, 2)]
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err[-2000:]
    os.environ["PGPASSWORD"] = PASSWORD
    try:
        study = optuna.load_study(study_name="pg-tiny", storage=postgres_url.replace(
            "postgresql://", "postgresql+psycopg2://"))
        assert finished_count(study) >= 40
        assert not study.get_trials(states=(TrialState.RUNNING,))
        assert len({t.user_attrs[ATTR_WORKER] for t in study.trials}) == 2
    finally:
        del os.environ["PGPASSWORD"]


def test_password_on_the_command_line_is_refused(tmp_path):
    spec_path = tmp_path / "pg.toml"
    spec_path.write_text(SPEC)
    result = subprocess.run([sys.executable, "-m", "flows.cli", "explore", str(spec_path),
                             "--storage", "postgresql://hwdse:pw@127.0.0.1/hwdse"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: `storage` must not contain a password")


def test_heartbeat_stale_trial_is_requeued_without_its_constraint(postgres_url, tmp_path,
                                                                  monkeypatch):
    from tests.dse.test_study import check_stale_trial_is_requeued_without_its_constraint

    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    check_stale_trial_is_requeued_without_its_constraint(postgres_url, tmp_path, monkeypatch)
