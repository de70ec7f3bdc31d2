"""Optuna studies over a spec: samplers pinned explicitly, budgets as constraints, failures
recorded with their reason, storage that survives a crash, several workers per study.

Storage: an Optuna journal file in the run folder by default (``<run>/study.journal``); a
``postgresql://`` URL (Optuna RDB storage with heartbeats) lets workers on any host join.
Credentials come from the environment (``PGPASSWORD`` or ``~/.pgpass``), never the URL.

Resume: the same command continues the study until it holds ``trials`` finished trials.
Trials left RUNNING by a worker that died (SIGKILL, power loss) are failed with the reason
``interrupted`` and their parameters are queued again, so no design is lost; on PostgreSQL,
heartbeats do the same for workers on other hosts.

Crashes: the journal is locked with ``flock`` on ``<run>/study.journal.flock``, which the
kernel releases when its holder dies; a last line torn by a writer that died is dropped
before anything is appended after it; helper worker processes die with their parent.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import signal
import socket
import stat
import threading
import time
import urllib.parse
import warnings
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optuna.storages import RDBStorage
from optuna.storages.journal import JournalFileBackend
from optuna.storages.journal._file import BaseJournalFileLock  # not re-exported in Optuna 5

from dse import searchers
from dse.records import (
    ATTR_FAILURE,
    ATTR_REQUEUED,
    ATTR_WORKER,
    DesignFailed,
    Evaluation,
)
from dse.searchers import Searcher
from dse.space import Choice, applies
from dse.spec import Spec
from flows.tools import die_with_parent
from hw.params import ParamError

if TYPE_CHECKING:
    from dse.codesign.spec import CodesignSpec

    #: A hardware spec or a co-design spec: both evaluate their own points.
    SearchSpec = Spec | CodesignSpec

JOURNAL_NAME = "study.journal"
#: The journal's lock file (``flock``); never deleted, so every process locks the same inode.
FLOCK_SUFFIX = ".flock"
#: The symlink lock of Optuna's default journal lock (hwdse before the ``flock``).
LEGACY_LOCK_SUFFIX = ".lock"
#: A legacy symlink lock older than this is stale (Optuna's own grace period).
LEGACY_LOCK_GRACE_SECONDS = 30.0
#: RDB heartbeats: a RUNNING trial without a heartbeat for the grace period is stale.
HEARTBEAT_INTERVAL_SECONDS, HEARTBEAT_GRACE_SECONDS, HEARTBEAT_MAX_RETRIES = 10, 30, 3


class StudyError(ValueError):
    """A study cannot be opened or run as asked; the message says why."""




def make_searcher(name: str, seed: int | None, workers: int = 1) -> Searcher:
    """The registered searcher ``name`` (:mod:`dse.searchers`), checked for ``workers``.

    Raises:
        StudyError: for an unknown name or too many workers for the searcher.
    """
    try:
        searcher = searchers.make_searcher(name, seed)
        searchers.check_workers(searcher, workers)
    except searchers.SearcherError as error:
        raise StudyError(str(error)) from None
    return searcher


def storage_url_check(url: str) -> None:
    """Reject a storage URL that carries a password.

    Raises:
        StudyError: naming the environment variable to use instead.
    """
    parsed = urllib.parse.urlsplit(url)
    if parsed.password:
        raise StudyError("`storage` must not contain a password; put it in PGPASSWORD or "
                         "~/.pgpass (the URL is visible to every user of this machine)")
    if parsed.scheme not in {"postgresql", "postgresql+psycopg2", "sqlite"}:
        raise StudyError(f"`storage` must be a postgresql:// (or sqlite://) URL, not "
                         f"{parsed.scheme or url!r}")


class JournalFlock(BaseJournalFileLock):
    """The journal's write lock: ``flock`` on a lock file of its own. The kernel releases it
    when the holding process dies, even by SIGKILL, so a crash never leaves the journal
    locked (Optuna's default symlink lock stays behind and is only broken after a grace
    period, and never when its relative target dangles). Blocking; one holder per process
    at a time (threads queue on a thread lock first)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._thread_lock = threading.Lock()
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Wait until this process holds the lock; returns True."""
        self._thread_lock.acquire()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
        except BaseException:
            self._thread_lock.release()
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        """Release the lock.

        Raises:
            RuntimeError: if this process does not hold it.
        """
        fd, self._fd = self._fd, None
        if fd is None:
            raise RuntimeError(f"the journal lock {self.path} is not held")
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
            self._thread_lock.release()


class JournalFile(JournalFileBackend):
    """Optuna's journal file with two crash repairs: under the lock, a last line torn by a
    writer that died mid-write is dropped (or, if it is a whole record, ended) before
    anything is appended after it; and a damaged line is a :class:`StudyError` naming the
    file and the line, not a ``JSONDecodeError`` traceback."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = JournalFlock(str(path) + FLOCK_SUFFIX)
        super().__init__(str(path), lock_obj=self.lock)

    def repair(self) -> None:
        """Under the lock, end the journal at its last whole record (see ``_repair_tail``)."""
        self.lock.acquire()
        try:
            with open(self.path, "r+b") as journal:
                self._repair_tail(journal)
        finally:
            self.lock.release()

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs)
        self.lock.acquire()
        try:
            with open(self.path, "a+b") as journal:
                self._repair_tail(journal)
                journal.write(text.encode("utf-8"))
                journal.flush()
                os.fsync(journal.fileno())
        finally:
            self.lock.release()

    def _repair_tail(self, journal: Any) -> None:
        """With the lock held (no live writer is mid-write): a last line without its newline
        was torn by a writer that died. A whole record gets its newline; anything else is
        cut off with a warning (its operation never happened; a trial it would have
        finished stays RUNNING and is recovered as interrupted)."""
        size = journal.seek(0, os.SEEK_END)
        if size == 0:
            return
        journal.seek(size - 1)
        if journal.read(1) == b"\n":
            return
        start, position = 0, size
        while position > 0:
            step = min(1 << 16, position)
            position -= step
            journal.seek(position)
            newline = journal.read(step).rfind(b"\n")
            if newline >= 0:
                start = position + newline + 1
                break
        journal.seek(start)
        try:
            whole = isinstance(json.loads(journal.read()), dict)
        except ValueError:
            whole = False
        if whole:
            journal.seek(0, os.SEEK_END)
            journal.write(b"\n")
        else:
            journal.truncate(start)
            warnings.warn(f"{self.path}: dropped a torn last line ({size - start} bytes) left "
                          f"by a process that died while writing it", UserWarning,
                          stacklevel=4)
        journal.flush()
        os.fsync(journal.fileno())

    def read_logs(self, log_number_from: int) -> Generator[dict[str, Any], None, None]:
        """The records from number ``log_number_from`` on; a line still being written (no
        newline yet) ends the read.

        Raises:
            StudyError: for a line that is not a JSON record (a damaged file).
        """
        with open(self.path, "rb") as journal:
            size = os.fstat(journal.fileno()).st_size  # lines appended later: next read
            log_number = max(n for n in self._log_number_offset if n <= log_number_from)
            offset = self._log_number_offset[log_number]
            journal.seek(offset)
            for line in journal:
                offset += len(line)
                if offset > size or not line.endswith(b"\n"):
                    return
                self._log_number_offset[log_number + 1] = offset
                if log_number >= log_number_from:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        record = None
                    if not isinstance(record, dict):
                        del self._log_number_offset[log_number + 1]
                        raise StudyError(
                            f"{self.path}: line {log_number + 1} is not a journal record (the "
                            f"file is damaged; restore it, or cut it before that line to keep "
                            f"the trials recorded up to there)")
                    yield record
                log_number += 1


def _remove_stale_legacy_lock(journal: Path) -> None:
    """Remove the symlink lock an older hwdse (Optuna's default journal lock) left behind
    when its holder died: dangling (its target is relative to the wrong folder) or older
    than the grace period. Older hwdse processes waiting on it spin forever otherwise."""
    legacy = journal.with_name(journal.name + LEGACY_LOCK_SUFFIX)
    try:
        info = os.lstat(legacy)
    except FileNotFoundError:
        return
    if not stat.S_ISLNK(info.st_mode):
        return
    age = time.time() - info.st_mtime
    dangling = not legacy.exists()
    if not dangling and age <= LEGACY_LOCK_GRACE_SECONDS:
        return
    try:
        legacy.unlink()
    except FileNotFoundError:
        return
    why = "dangling" if dangling else f"{age:.0f} s old"
    warnings.warn(f"{legacy}: removed a stale journal lock ({why}) left by an older hwdse; "
                  f"the journal is now locked with flock on {journal}{FLOCK_SUFFIX}",
                  UserWarning, stacklevel=3)


@dataclasses.dataclass(frozen=True)
class RequeueStaleTrial:
    """RDB heartbeat callback for a trial failed because its worker stopped beating (died,
    host lost): like :func:`recover_interrupted` for the journal, queue its parameters
    again (``user_attrs={ATTR_REQUEUED: number}``), at most ``max_retries`` times along one
    chain of retries. Unlike Optuna's ``RetryHeartbeatStaleTrialCallback`` it copies no
    system attributes: a copied ``constraints`` value would win over the one the retried
    evaluation sets. The failure reason is recorded by :class:`HeartbeatRDBStorage` before
    the trial is failed (a finished trial cannot be changed)."""

    max_retries: int = HEARTBEAT_MAX_RETRIES

    def __call__(self, study: Any, trial: Any) -> None:
        by_number = {t.number: t for t in study.get_trials(deepcopy=False)}
        retries, origin = 0, trial
        while ATTR_REQUEUED in origin.user_attrs:
            retries += 1
            origin = by_number.get(origin.user_attrs[ATTR_REQUEUED])
            if origin is None:
                break
        if retries >= self.max_retries or not trial.params:
            return
        study.enqueue_trial(trial.params, user_attrs={ATTR_REQUEUED: trial.number},
                            skip_if_exists=False)


class HeartbeatRDBStorage(RDBStorage):
    """Optuna's RDB storage that labels a heartbeat-stale trial with the reason
    ``interrupted: heartbeat stale (worker ...)`` while it is still RUNNING, just before
    Optuna fails it and calls :class:`RequeueStaleTrial`."""

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        import optuna

        stale = super()._get_stale_trial_ids(study_id)
        for trial_id in stale:
            worker = self.get_trial(trial_id).user_attrs.get(ATTR_WORKER, "unknown")
            try:
                self.set_trial_user_attr(trial_id, ATTR_FAILURE,
                                         f"interrupted: heartbeat stale (worker {worker})")
            except optuna.exceptions.UpdateFinishedTrialError:
                pass  # finished meanwhile (another process failed it, or it completed)
        return stale


def open_storage(run_dir: Path, url: str | None = None) -> Any:
    """The study storage: the run folder's journal file, or the RDB at ``url``. A journal
    torn by a crash is repaired first (see :class:`JournalFile`).

    Raises:
        StudyError: for a URL with a password or an unsupported scheme, an unreachable
            database, or a damaged journal line.
    """
    import optuna

    if url is None:
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / JOURNAL_NAME
        _remove_stale_legacy_lock(path)
        journal = JournalFile(path)
        journal.repair()
        return optuna.storages.JournalStorage(journal)
    storage_url_check(url)
    given = url
    if url.startswith("postgresql://"):  # SQLAlchemy 2.1 would pick psycopg 3
        url = "postgresql+psycopg2://" + url.removeprefix("postgresql://")
    import sqlalchemy.exc

    for attempt in range(5):
        try:
            with warnings.catch_warnings():
                # heartbeats and their callback are marked experimental in Optuna 5
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return HeartbeatRDBStorage(
                    url, heartbeat_interval=HEARTBEAT_INTERVAL_SECONDS,
                    grace_period=HEARTBEAT_GRACE_SECONDS,
                    heartbeat_stale_trial_callback=RequeueStaleTrial(),
                    engine_kwargs={"pool_pre_ping": True})
        except sqlalchemy.exc.IntegrityError:
            # another worker is creating the schema at the same moment; it wins
            time.sleep(0.5 * (attempt + 1))
        except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.ArgumentError) as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise StudyError(f"cannot reach storage {given}: {reason}") from None
    raise StudyError(f"cannot create the study schema in {url}")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive_here(worker: str) -> bool:
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname():
        return True  # cannot tell; heartbeats (RDB) handle other hosts
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    state = Path(f"/proc/{pid}/status")
    if state.exists() and "\nState:\tZ" in state.read_text():
        return False
    return True


def open_study(spec: SearchSpec, storage: Any, *, create: bool = True) -> Any:
    """Create or load the study named by the spec; a stored study must have the spec's
    objectives.

    Raises:
        StudyError: if the stored study's objectives differ.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    directions = spec.directions
    if create:
        study = optuna.create_study(study_name=spec.name, storage=storage,
                                    directions=directions,  # type: ignore[arg-type]
                                    load_if_exists=True)
    else:
        study = optuna.load_study(study_name=spec.name, storage=storage)
    stored = study.user_attrs.get("objectives")
    if stored is None:
        study.set_user_attr("objectives", spec.objective_names)
        study.set_user_attr("generator", spec.generator)
        study.set_user_attr("spec", spec.source)
    elif stored != spec.objective_names:
        raise StudyError(f"study {spec.name!r} in this storage optimizes {stored}, not "
                         f"{spec.objective_names}; use another `name` or run folder")
    return study


def recover_interrupted(study: Any) -> list[int]:
    """Fail trials left RUNNING by dead workers on this host and queue their parameters
    again. Returns the numbers of the recovered trials."""
    from optuna.trial import TrialState

    recovered = []
    # A worker can die between creating a trial and naming itself on it; such a trial is
    # dead when no worker that ever joined the study is alive.
    any_worker_alive = any(_alive_here(key.removeprefix(ATTR_WORKER + ":"))
                           for key in study.user_attrs if key.startswith(ATTR_WORKER + ":"))
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get(ATTR_WORKER)
        if (worker is None and any_worker_alive) or (worker is not None
                                                     and _alive_here(worker)):
            continue
        worker = worker or "unknown"
        storage = study._storage
        storage.set_trial_user_attr(trial._trial_id, ATTR_FAILURE,
                                    f"interrupted: worker {worker} died")
        if storage.set_trial_state_values(trial._trial_id, TrialState.FAIL):
            if trial.params:
                study.enqueue_trial(trial.params, user_attrs={ATTR_REQUEUED: trial.number},
                                    skip_if_exists=False)
            recovered.append(trial.number)
    return recovered


def finished_count(study: Any) -> int:
    """Trials that count toward the budget: complete ones, and failed ones with a reason
    of their own (not those failed by an interruption and queued again)."""
    from optuna.trial import TrialState

    count = 0
    for trial in study.get_trials(deepcopy=False,
                                  states=(TrialState.COMPLETE, TrialState.FAIL)):
        if trial.state == TrialState.COMPLETE:
            count += 1
        elif not (Evaluation.of(trial).failure or "interrupted").startswith("interrupted"):
            count += 1
    return count


@dataclasses.dataclass
class Objective:
    """Evaluates one trial at the model fidelity and records metrics and constraints.
    ``known(point)`` may return metrics evaluated before (the RL agents' cache), which are
    recorded instead of evaluating again."""

    spec: SearchSpec
    known: Callable[[dict[str, Any]], Mapping[str, float] | None] | None = None

    def __call__(self, trial: Any) -> tuple[float, ...]:
        trial.set_user_attr(ATTR_WORKER, worker_id())
        point: dict[str, Any] = {}
        for dimension in self.spec.space.dimensions:
            if not applies(dimension, point):
                continue
            if isinstance(dimension, Choice):
                point[dimension.name] = trial.suggest_categorical(
                    dimension.name, list(dimension.values))
            else:
                point[dimension.name] = trial.suggest_int(
                    dimension.name, dimension.low, dimension.high, step=dimension.step)
        try:
            params = self.spec.space.params(point)
            metrics = self.known(point) if self.known is not None else None
            if metrics is None:
                metrics = evaluate(self.spec, params)  # e.g. a layer's bits above max_bits
        except ParamError as error:
            Evaluation(failure=f"invalid design: {error}").store(trial)
            raise DesignFailed(str(error)) from None
        Evaluation(metrics).store(trial)
        for constraint in self.spec.constraints:
            trial.set_constraint(constraint.metric, constraint.violation(
                metrics[constraint.metric]))
        return tuple(metrics[name] for name in self.spec.objective_names)


def evaluate(spec: SearchSpec, params: Any) -> dict[str, float]:
    """The model-fidelity metrics of ``params`` for ``spec`` (a hardware or a co-design
    spec: each knows how to evaluate its points)."""
    return spec.evaluate(params)


@dataclasses.dataclass
class _Context:
    """The :class:`dse.searchers.SearchContext` of one worker: its study, the objective
    and the recording of designs, and the stop at ``trials`` finished trials."""

    spec: SearchSpec
    study: Any
    trials: int
    on_trial: Callable[[Any, Any, int], None] | None = None

    @property
    def max_proposals(self) -> int:
        from dse.rl.agents import MAX_STEPS_PER_TRIAL

        return MAX_STEPS_PER_TRIAL * self.trials

    def objective(self, trial: Any) -> tuple[float, ...]:
        return Objective(self.spec)(trial)

    def done(self) -> bool:
        return finished_count(self.study) >= self.trials

    def after_trial(self, study: Any, trial: Any) -> None:
        finished = finished_count(study)
        if self.on_trial is not None:
            self.on_trial(study, trial, finished)
        if finished >= self.trials:
            study.stop()

    def record(self, point: dict[str, Any], metrics: Mapping[str, float] | None) -> None:
        """Store one design the searcher evaluated itself as a trial, exactly as the
        Optuna samplers' trials are stored (same objective, attributes and constraints)."""
        self.study.enqueue_trial(point, skip_if_exists=False)
        self.study.optimize(Objective(self.spec, known=lambda _: metrics), n_trials=1,
                            catch=(DesignFailed,), callbacks=[self.after_trial],
                            gc_after_trial=False)


def run_worker(spec: SearchSpec, run_dir: Path, trials: int, sampler: str, seed: int | None,
               storage_url: str | None = None,
               on_trial: Callable[[Any, Any, int], None] | None = None,
               ready: Callable[[], None] | None = None) -> None:
    """Run trials of the spec's study with the searcher ``sampler`` until it holds
    ``trials`` finished trials; ``on_trial(study, trial, finished)`` after each,
    ``ready()`` once the study is open.

    Raises:
        StudyError: for an unknown searcher.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    searcher = make_searcher(sampler, seed)
    storage = open_storage(run_dir, storage_url)
    study = optuna.load_study(study_name=spec.name, storage=storage,
                              sampler=searcher.sampler())
    study.set_user_attr(f"{ATTR_WORKER}:{worker_id()}", True)  # see recover_interrupted
    if ready is not None:
        ready()
    context = _Context(spec, study, trials, on_trial)
    if context.done():
        return
    searcher.search(context)


def _worker_process(spec_text: str, spec_base: str, run_dir: str, trials: int, sampler: str,
                    seed: int | None, storage_url: str | None, ready: Any,
                    parent_pid: int) -> None:
    die_with_parent(signal.SIGTERM, parent_pid)  # a killed `hwdse explore` leaves no worker
    from dse.spec import parse_spec

    spec = parse_spec(spec_text, base=Path(spec_base))
    run_worker(spec, Path(run_dir), trials, sampler, seed, storage_url, ready=ready.set)


def explore(spec: SearchSpec, run_dir: Path, *, trials: int, sampler: str = "tpe",
            seed: int | None = 0, workers: int = 1, storage_url: str | None = None,
            spec_base: Path = Path("."),
            on_trial: Callable[[Any, Any, int], None] | None = None) -> Any:
    """Run (or resume) the study of ``spec`` until it holds ``trials`` finished trials,
    with ``workers`` processes on this machine. Worker ``i`` seeds its sampler with
    ``seed + i``. Returns the study.

    Raises:
        StudyError: for bad arguments or a stored study with other objectives.
    """
    import multiprocessing

    if isinstance(trials, bool) or trials < 1:
        raise StudyError(f"`trials` must be a positive integer, not {trials!r}")
    if workers < 1:
        raise StudyError(f"`workers` must be a positive integer, not {workers!r}")
    make_searcher(sampler, seed, workers)  # validates the name and the workers
    storage = open_storage(run_dir, storage_url)
    study = open_study(spec, storage)
    recover_interrupted(study)
    context = multiprocessing.get_context("spawn")
    started = [context.Event() for _ in range(1, workers)]
    helpers = [context.Process(target=_worker_process, args=(
        spec.source, str(spec_base), str(run_dir), trials, sampler,
        None if seed is None else seed + index, storage_url, event, os.getpid()),
        daemon=True)
        for index, event in enumerate(started, start=1)]
    for process in helpers:
        process.start()
    try:
        # the workers start together, so the budget is shared rather than raced for
        for event, process in zip(started, helpers, strict=True):
            while not event.wait(timeout=1.0) and process.is_alive():
                pass
        run_worker(spec, run_dir, trials, sampler, seed, storage_url, on_trial)
    finally:
        for process in helpers:
            process.join()
    failed = [p.exitcode for p in helpers if p.exitcode]
    if failed:
        raise StudyError(f"{len(failed)} worker process(es) failed (exit codes {failed})")
    return study
