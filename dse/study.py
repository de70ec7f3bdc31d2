"""Optuna studies over a spec: samplers pinned explicitly, budgets as constraints, failures
recorded with their reason, storage that survives a crash, several workers per study.

Storage: an Optuna journal file in the run folder by default (``<run>/study.journal``); a
``postgresql://`` URL (Optuna RDB storage with heartbeats) lets workers on any host join.
Credentials come from the environment (``PGPASSWORD`` or ``~/.pgpass``), never the URL.

Budget: ``trials`` counts distinct designs. A design the study already holds is never
evaluated again: a proposal of it is stored as a PRUNED trial with the user attribute
``repeat_of`` (the trial that evaluated it). A search ends early, saying why in the study
attribute ``stopped``, when a finite space has no new design left or when the searcher
proposes only known designs (:data:`MAX_REPEATS_IN_A_ROW` in a row).

Workers: before evaluating a new design, a worker claims it (the trial attribute
:data:`ATTR_CLAIM`) under the study's claim lock (:func:`claim_lock`: the journal's
``flock``, a PostgreSQL advisory lock), after checking that no other live worker holds or
is evaluating it; a proposal of a design in flight elsewhere is stored as a repeat of that
trial. A dead worker's claim blocks nothing: its running trial is ignored (on this host) or
failed by the heartbeat (PostgreSQL), and recovered as below.

Resume: the same command continues the study until it holds ``trials`` distinct designs.
Trials left RUNNING by a worker that died (SIGKILL, power loss) are failed with the reason
``interrupted`` and their parameters are queued again, so no design is lost; on PostgreSQL,
heartbeats do the same for workers on other hosts.

Crashes: the journal is locked with ``flock`` on ``<run>/study.journal.flock``, which the
kernel releases when its holder dies; a last line torn by a writer that died is dropped
before anything is appended after it; helper worker processes die with their parent.
"""

from __future__ import annotations

import contextlib
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
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optuna.storages import RDBStorage
from optuna.storages.journal import JournalFileBackend
from optuna.storages.journal._file import BaseJournalFileLock  # not re-exported in Optuna 5
from optuna.storages.journal._storage import JournalOperation
from optuna.trial import TrialState

from dse import searchers
from dse.records import (
    ATTR_FAILURE,
    ATTR_REPEAT_OF,
    ATTR_REQUEUED,
    ATTR_STOPPED,
    ATTR_WORKER,
    DesignFailed,
    Evaluation,
)
from dse.searchers import Searcher
from dse.space import design_key, suggest_point
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


#: Trial user attribute: the design (its :func:`dse.space.design_key` as JSON) that a
#: running trial claimed before evaluating it (see :func:`claim_lock`).
ATTR_CLAIM = "design_claim"


class StudyError(ValueError):
    """A study cannot be opened or run as asked; the message says why."""




def make_searcher(name: str, seed: int | None, workers: int = 1,
                  spec: SearchSpec | None = None) -> Searcher:
    """The registered searcher ``name`` (:mod:`dse.searchers`), checked for ``workers`` and
    for ``spec`` if given.

    Raises:
        StudyError: for an unknown name, too many workers for the searcher, or a spec the
            searcher cannot search.
    """
    try:
        searcher = searchers.make_searcher(name, seed)
        searchers.check_workers(searcher, workers)
        if spec is not None:
            searcher.check_spec(spec)
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
        self._owner: int | None = None  # the thread holding it, which may take it again
        self._depth = 0

    def acquire(self) -> bool:
        """Wait until this process holds the lock (again, in the thread that holds it);
        returns True."""
        if self._owner == threading.get_ident():
            self._depth += 1
            return True
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
        self._owner, self._depth = threading.get_ident(), 1
        return True

    def release(self) -> None:
        """Release the lock (once per :meth:`acquire`).

        Raises:
            RuntimeError: if this process does not hold it.
        """
        if self._depth > 1 and self._owner == threading.get_ident():
            self._depth -= 1
            return
        self._owner, self._depth = None, 0
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
        self._pending: list[dict[str, Any]] | None = None  # see deferred()
        self._synced = True  # see unsynced()
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
        if self._pending is not None:
            if all(_deferrable(log) for log in logs):
                self._pending.extend(logs)
                return
            logs, self._pending = self._pending + logs, []
        # a design's claim is written at once for the other workers to read, not fsynced:
        # a crash that loses it loses its trial too (the next fsync makes both durable)
        self._append(logs, sync=not (logs and _is_claim(logs[-1])))

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Within this block, a trial's own writes (parameters, attributes, its final state)
        are held and appended together with the next write that must be read back (a new
        trial) or at the end of the block: one locked, fsynced append per trial instead of
        one per write. A SIGKILL loses at most the trial in flight, which stays RUNNING and
        is recovered as interrupted."""
        self._pending = []
        try:
            yield
        finally:
            pending, self._pending = self._pending, None
            if pending:
                self._append(pending)

    @contextlib.contextmanager
    def unsynced(self) -> Iterator[None]:
        """Within this block, appends are not fsynced; the journal is fsynced once at its
        end. For many trials stored at once (the exact front of ``--sampler exhaustive``):
        a process killed in the block loses nothing already appended (the kernel holds
        it); a power loss can lose the block's trials, which the same command stores
        again."""
        self._synced = False
        try:
            yield
        finally:
            self._synced = True
            with open(self.path, "rb") as journal:
                os.fsync(journal.fileno())

    def _append(self, logs: list[dict[str, Any]], sync: bool = True) -> None:
        text = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs)
        self.lock.acquire()
        try:
            with open(self.path, "a+b") as journal:
                self._repair_tail(journal)
                journal.write(text.encode("utf-8"))
                journal.flush()
                if sync and self._synced:
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
            log_number = (log_number_from if log_number_from in self._log_number_offset
                          else max(n for n in self._log_number_offset if n <= log_number_from))
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


#: Journal writes a trial makes about itself, which nothing reads back before the trial ends.
_TRIAL_OWN_WRITES = frozenset({JournalOperation.SET_TRIAL_PARAM,
                               JournalOperation.SET_TRIAL_INTERMEDIATE_VALUE,
                               JournalOperation.SET_TRIAL_USER_ATTR,
                               JournalOperation.SET_TRIAL_SYSTEM_ATTR})


def _is_claim(log: Mapping[str, Any]) -> bool:
    """Whether a journal record is a design's claim (:data:`ATTR_CLAIM`)."""
    return (log.get("op_code") == JournalOperation.SET_TRIAL_USER_ATTR
            and ATTR_CLAIM in log.get("user_attr", {}))


def _deferrable(log: Mapping[str, Any]) -> bool:
    """Whether a journal record may wait (see :meth:`JournalFile.deferred`): a trial's own
    writes, and its final state (not the RUNNING claim of a queued trial, which is read
    back to know who owns it, nor a design's claim, which the other workers read)."""
    operation = log.get("op_code")
    if operation in _TRIAL_OWN_WRITES:
        return not _is_claim(log)
    return (operation == JournalOperation.SET_TRIAL_STATE_VALUES
            and TrialState(log["state"]).is_finished())


def deferred_writes(storage: Any) -> contextlib.AbstractContextManager[None]:
    """:meth:`JournalFile.deferred` for a journal storage; nothing for an RDB."""
    backend = getattr(storage, "_backend", None)
    if isinstance(backend, JournalFile):
        return backend.deferred()
    return contextlib.nullcontext()


def unsynced_writes(storage: Any) -> contextlib.AbstractContextManager[None]:
    """:meth:`JournalFile.unsynced` for a journal storage; nothing for an RDB."""
    backend = getattr(storage, "_backend", None)
    if isinstance(backend, JournalFile):
        return backend.unsynced()
    return contextlib.nullcontext()


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


def claim_lock(storage: Any, study_name: str) -> contextlib.AbstractContextManager[Any] | None:
    """The lock under which a worker checks whether another worker holds or evaluates a
    design and, if none does, claims it (:data:`ATTR_CLAIM`): the journal's own lock, a
    PostgreSQL advisory lock of the study, a lock file beside a SQLite database. None for
    a storage no other process can share (in memory)."""
    backend = getattr(storage, "_backend", None)
    if isinstance(backend, JournalFile):
        return _held(backend.lock)
    engine = getattr(backend, "engine", None)
    if engine is None:
        return None
    if engine.dialect.name == "postgresql":
        return _advisory_lock(engine, study_name)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return _held(JournalFlock(f"{database}.hwdse-claims{FLOCK_SUFFIX}"))
    return None


@contextlib.contextmanager
def _held(lock: BaseJournalFileLock) -> Iterator[None]:
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def _advisory_lock(engine: Any, study_name: str) -> Iterator[None]:
    """A PostgreSQL session advisory lock of the study's claims, released on exit (and by
    the server if this process dies)."""
    import hashlib

    import sqlalchemy

    key = int.from_bytes(hashlib.sha256(f"hwdse claims {study_name}".encode()).digest()[:8],
                         "big", signed=True)
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text("SELECT pg_advisory_lock(:key)"), {"key": key})
        try:
            yield
        finally:
            connection.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:key)"),
                               {"key": key})


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


#: A search stops when this many proposals in a row were designs the study already held
#: (a searcher that has converged, or a space nearly run out).
MAX_REPEATS_IN_A_ROW = 1000


def holds_design(trial: Any) -> bool:
    """Whether a stored trial evaluated its design: complete, or failed with a reason of
    its own (an invalid design); not a repeat (PRUNED, ``repeat_of``), not a trial failed by
    an interruption and queued again, not a trial still running."""
    if trial.state == TrialState.COMPLETE:
        return True
    if trial.state == TrialState.FAIL:
        return not (Evaluation.of(trial).failure or "interrupted").startswith("interrupted")
    return False


class StudyDesigns:
    """The distinct designs a study holds and the trial that evaluated each, read from the
    storage incrementally (trials before the first unfinished one are read once)."""

    def __init__(self, study: Any) -> None:
        self.study = study
        self.first: dict[tuple[tuple[str, Any], ...], int] = {}
        self.values: dict[int, list[float] | None] = {}  # of each trial in ``first``
        self.repeats = 0
        self._settled = 0
        self._seen: set[int] = set()

    def __len__(self) -> int:
        return len(self.first)

    def refresh(self, on_trial: Callable[[Any, int], None] | None = None) -> int:
        """Read the trials finished since the last refresh; ``on_trial(trial, designs)`` for
        each, in order. Returns the number of distinct designs."""
        trials = self.study.get_trials(deepcopy=False)
        settled = None
        for index in range(self._settled, len(trials)):
            trial = trials[index]
            if not trial.state.is_finished():
                settled = index if settled is None else settled
                continue
            if trial.number in self._seen:
                continue
            self._seen.add(trial.number)
            if holds_design(trial):
                self.first.setdefault(design_key(trial.params), trial.number)
                self.values[trial.number] = trial.values
            elif ATTR_REPEAT_OF in trial.user_attrs:
                self.repeats += 1
            if on_trial is not None:
                on_trial(trial, len(self.first))
        self._settled = len(trials) if settled is None else settled
        self._seen = {number for number in self._seen if number >= self._settled}
        return len(self.first)


def finished_count(study: Any) -> int:
    """Distinct designs the study holds, which is what the budget counts: complete trials
    and trials failed with a reason of their own (an invalid design), each design once; not
    repeats, nor trials failed by an interruption and queued again."""
    return StudyDesigns(study).refresh()


def front_size(study: Any) -> int:
    """Distinct designs on the feasible Pareto front (as :func:`dse.fidelity.pareto_trials`
    counts them), computed without copying the study's trials (``study.best_trials`` copies
    all of them: a progress display that asks it often costs more than the search)."""
    from optuna.study._multi_objective import _get_pareto_front_trials_by_trials

    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    constrained = any(key.startswith("constraints:") for t in trials
                      for key in t.system_attrs)
    front = _get_pareto_front_trials_by_trials(trials, study.directions,
                                               consider_constraint=constrained)
    return len({design_key(t.params) for t in front})


def stop_reason(study: Any) -> str:
    """Why the last search of the study stopped before its budget, or "" (see
    :data:`dse.records.ATTR_STOPPED`)."""
    return str(study.user_attrs.get(ATTR_STOPPED) or "")


def store_evaluation(spec: SearchSpec, trial: Any, point: Mapping[str, Any],
                     metrics: Mapping[str, float] | None = None,
                     failure: str | None = None) -> tuple[float, ...]:
    """Evaluate ``point`` (or take ``metrics``, or the ``failure`` of an invalid design,
    found before) and store the result in a running trial: its metrics and constraints.
    Returns the objective values.

    Raises:
        DesignFailed: for a design the generator rejects (the reason is stored).
    """
    if failure is not None:  # found invalid by the searcher: not evaluated again
        Evaluation(failure=failure).store(trial)
        raise DesignFailed(failure)
    try:
        params = spec.space.params(point)
        if metrics is None:
            metrics = spec.evaluate(params)  # e.g. a layer's bits above max_bits
    except ParamError as error:
        Evaluation(failure=f"invalid design: {error}").store(trial)
        raise DesignFailed(str(error)) from None
    Evaluation(metrics).store(trial)
    for constraint in spec.constraints:
        trial.set_constraint(constraint.metric, constraint.violation(
            metrics[constraint.metric]))
    return tuple(metrics[name] for name in spec.objective_names)


@dataclasses.dataclass
class Objective:
    """Evaluates one trial at the model fidelity and records metrics and constraints
    (``study.optimize(Objective(spec))``; it does not skip designs already held, the
    searchers' batches do). ``known(point)`` may return metrics evaluated before, which are
    recorded instead of evaluating again."""

    spec: SearchSpec
    known: Callable[[dict[str, Any]], Mapping[str, float] | None] | None = None

    def __call__(self, trial: Any) -> tuple[float, ...]:
        trial.set_user_attr(ATTR_WORKER, worker_id())
        point = suggest_point(self.spec.space, trial)
        metrics = self.known(point) if self.known is not None else None
        return store_evaluation(self.spec, trial, point, metrics)


@dataclasses.dataclass
class _Context:
    """The :class:`dse.searchers.SearchContext` of one worker: its study, the evaluation
    of batches of trials (a design the study holds is answered from the study, not
    evaluated), the recording of designs, and the stop at ``trials`` distinct designs, at
    the end of a finite space, or after :data:`MAX_REPEATS_IN_A_ROW` known proposals."""

    spec: SearchSpec
    study: Any
    trials: int
    on_trial: Callable[[Any, Any, int], None] | None = None
    searcher: str = ""
    run_dir: Path = Path(".")

    def __post_init__(self) -> None:
        self.designs = StudyDesigns(self.study)
        self.designs.refresh()
        self.space_size = self.spec.space.size()
        self.repeats_in_a_row = 0
        self.stopped = ""
        self._batch: dict[tuple[tuple[str, Any], ...], int] = {}  # evaluated, not yet read
        self._batch_values: dict[int, tuple[float, ...]] = {}
        # other processes may share the storage: claim each new design before evaluating
        self._claims = claim_lock(self.study._storage, self.study.study_name) is not None
        self._claimed: dict[str, int] = {}  # claim -> the finished trial holding the design
        self._claims_settled = 0  # trials before this one are finished and indexed

    @property
    def max_proposals(self) -> int:
        from dse.rl.agents import MAX_STEPS_PER_TRIAL

        return MAX_STEPS_PER_TRIAL * self.trials

    def objective(self, trial: Any) -> tuple[float, ...]:
        """For ``study.optimize(context.objective, callbacks=[context.after_trial])``: a
        design the study holds is not evaluated again (the trial is pruned)."""
        return self._evaluate(trial, suggest_point(self.spec.space, trial))

    def remaining(self) -> int:
        """Distinct designs still to evaluate."""
        return max(0, self.trials - len(self.designs) - len(self._batch))

    def done(self) -> bool:
        if self.stopped:
            return True
        held = len(self.designs) + len(self._batch)
        if held >= self.trials:
            return True
        if held >= self.space_size:
            self.stop(f"the space holds {self.space_size} designs and the study has "
                      f"evaluated them all: stopped at {held} of {self.trials} designs")
        elif self.repeats_in_a_row >= MAX_REPEATS_IN_A_ROW:
            self.stop(f"the searcher {self.searcher or 'in use'} proposed "
                      f"{self.repeats_in_a_row} designs in a row that the study already "
                      f"holds: stopped at {held} of {self.trials} designs (try another "
                      f"--sampler or --seed)")
        return bool(self.stopped)

    def stop(self, reason: str) -> None:
        """End the search early, and store why in the study (:func:`stop_reason`)."""
        self.stopped = reason
        self.study.set_user_attr(ATTR_STOPPED, reason)

    def after_trial(self, study: Any, trial: Any) -> None:
        """Optuna callback for a searcher that drives ``study.optimize`` itself."""
        self.refresh()
        if self.done():
            study.stop()

    def refresh(self) -> None:
        """Read what the study holds now (other workers' trials too), report each newly
        finished trial to ``on_trial``."""
        self._batch.clear()
        self._batch_values.clear()

        def report(trial: Any, designs: int) -> None:
            if self.on_trial is not None:
                self.on_trial(self.study, trial, designs)

        self.designs.refresh(report)

    def known(self, params: Mapping[str, Any]) -> int | None:
        """The number of the trial that evaluated this design, or None."""
        key = design_key(params)
        number = self.designs.first.get(key)
        return number if number is not None else self._batch.get(key)

    def evaluate_batch(self, size: int) -> None:
        """Ask the study's sampler for ``size`` trials, one after the other; evaluate each
        new design and tell its result, and tell a design the study already holds as a
        repeat (PRUNED, ``repeat_of``: the sampler counts it among the finished proposals,
        and the stored trial answers for the design). The trials' writes go to the journal
        in one append per trial (:meth:`JournalFile.deferred`)."""
        import optuna
        from optuna.storages._heartbeat import get_heartbeat_thread, is_heartbeat_enabled

        storage = self.study._storage
        with warnings.catch_warnings(), deferred_writes(storage):
            if is_heartbeat_enabled(storage):  # as Study.optimize does, batch by batch
                warnings.filterwarnings("ignore", "Heartbeat of storage is supposed")
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                optuna.storages.fail_stale_trials(self.study)
            for _ in range(size):
                trial = self.study.ask()
                with get_heartbeat_thread(trial._trial_id, storage):
                    self._tell(trial, suggest_point(self.spec.space, trial))
        self.refresh()

    def _evaluate(self, trial: Any, point: dict[str, Any],
                  metrics: Mapping[str, float] | None = None,
                  failure: str | None = None) -> tuple[float, ...]:
        """Evaluate a running trial's design and store the result in it; a design the
        study holds is not evaluated: the trial names the one that was (``repeat_of``).

        Raises:
            optuna.TrialPruned: for a design the study holds (the trial ends PRUNED).
            DesignFailed: for a design the generator rejects.
        """
        import optuna

        trial.set_user_attr(ATTR_WORKER, worker_id())
        first = self.known(trial.params)
        if first is None and self._claims:
            first = self._claimed_elsewhere(trial)
        if first is not None:
            trial.set_user_attr(ATTR_REPEAT_OF, first)
            if len(self.spec.objective_names) == 1:
                # the stored value answers: Optuna ranks pruned trials by their last
                # intermediate value, and a pruned trial's value is that one
                stored = self.designs.values.get(first, self._batch_values.get(first))
                if stored is not None:
                    trial.report(stored[0], step=0)
            self.repeats_in_a_row += 1
            raise optuna.TrialPruned(f"the design of trial {first}")
        self.repeats_in_a_row = 0
        self._batch[design_key(trial.params)] = trial.number
        values = store_evaluation(self.spec, trial, point, metrics, failure)
        self._batch_values[trial.number] = values
        return values

    def _claimed_elsewhere(self, trial: Any) -> int | None:
        """Under the study's claim lock (:func:`claim_lock`): the number of the trial that
        holds this design or evaluates it now in another worker (alive: a dead worker's
        running trial does not block the design); else claim the design for ``trial``
        (:data:`ATTR_CLAIM`, read by the other workers) and return None."""
        claim = json.dumps(design_key(trial.params))
        lock = claim_lock(self.study._storage, self.study.study_name)
        assert lock is not None
        with lock:
            # every worker claims its designs: a claimed trial that finished holds the
            # design; a running one evaluates it, if its worker lives. Finished trials
            # before the first unfinished one are indexed once.
            trials = self.study.get_trials(deepcopy=False)
            settled = None
            for index in range(self._claims_settled, len(trials)):
                other = trials[index]
                held = other.user_attrs.get(ATTR_CLAIM)
                if other.state.is_finished():
                    if held is not None and holds_design(other):
                        self._claimed.setdefault(held, other.number)
                    continue
                settled = index if settled is None else settled
                if (held == claim and other.number != trial.number
                        and other.state == TrialState.RUNNING
                        and _alive_here(other.user_attrs.get(ATTR_WORKER, ""))):
                    return int(other.number)
            self._claims_settled = len(trials) if settled is None else settled
            first = self._claimed.get(claim)
            if first is not None:
                return first
            self.study._storage.set_trial_user_attr(trial._trial_id, ATTR_CLAIM, claim)
        return None

    def _tell(self, trial: Any, point: dict[str, Any],
              metrics: Mapping[str, float] | None = None, failure: str | None = None) -> None:
        import optuna

        try:
            values = self._evaluate(trial, point, metrics, failure)
        except optuna.TrialPruned:
            self.study.tell(trial, state=TrialState.PRUNED)
        except DesignFailed:
            self.study.tell(trial, state=TrialState.FAIL)
        else:
            self.study.tell(trial, values)

    def record_all(self, designs: Iterable[tuple[dict[str, Any], Mapping[str, float] | None]]
                   ) -> None:
        """:meth:`record` each (point, metrics) of ``designs``, with the journal fsynced
        once at the end (:meth:`JournalFile.unsynced`), not after every write, and the
        study read once at the end."""
        with unsynced_writes(self.study._storage):
            for point, metrics in designs:
                self._store(point, metrics)
        self.refresh()

    def record(self, point: dict[str, Any], metrics: Mapping[str, float] | None,
               failure: str | None = None) -> None:
        """Store one design the searcher evaluated itself as a trial, exactly as the
        Optuna samplers' trials are stored (same attributes and constraints); a design the
        study holds is not stored again. An invalid design comes with ``metrics`` None and
        its ``failure`` (stored as it is; without one the design is evaluated here to learn
        why)."""
        self._store(point, metrics, failure)
        self.refresh()

    def _store(self, point: dict[str, Any], metrics: Mapping[str, float] | None,
               failure: str | None = None) -> None:
        """:meth:`record` without reading the study after it (a design stored here is
        known from this batch until the next read)."""
        if self.known(point) is not None:
            self.repeats_in_a_row += 1
            return
        self.study.enqueue_trial(point, skip_if_exists=False)
        with deferred_writes(self.study._storage):
            trial = self.study.ask()
            self._tell(trial, suggest_point(self.spec.space, trial), metrics, failure)


def run_worker(spec: SearchSpec, run_dir: Path, trials: int, sampler: str, seed: int | None,
               storage_url: str | None = None,
               on_trial: Callable[[Any, Any, int], None] | None = None,
               ready: Callable[[], None] | None = None) -> None:
    """Run trials of the spec's study with the searcher ``sampler`` until it holds
    ``trials`` distinct designs (or the space, or the searcher, runs out of new ones: see
    :func:`stop_reason`); ``on_trial(study, trial, designs)`` after each trial, ``ready()``
    once the study is open.

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
    search(spec, study, searcher, trials, on_trial=on_trial, run_dir=run_dir)


def search(spec: SearchSpec, study: Any, searcher: Searcher, trials: int, *,
           on_trial: Callable[[Any, Any, int], None] | None = None,
           run_dir: Path = Path(".")) -> None:
    """Search ``study`` (loaded with ``searcher.sampler()``, any storage) with ``searcher``
    until it holds ``trials`` distinct designs or runs out of new ones (see
    :func:`stop_reason`): the loop of one worker, also used by benchmarks on in-memory
    studies."""
    context = _Context(spec, study, trials, on_trial, searcher.name, run_dir)
    if searcher.uses_budget and context.done():
        return
    try:
        searcher.search(context)
    except searchers.SearcherError as error:  # e.g. a budget the searcher cannot split
        raise StudyError(str(error)) from None
    context.refresh()
    if searcher.uses_budget and not context.done():
        context.stop(f"the searcher {searcher.name} stopped after {context.max_proposals} "
                     f"proposals: stopped at {len(context.designs)} of {trials} designs")


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
    """Run (or resume) the study of ``spec`` until it holds ``trials`` distinct designs
    (or runs out of new ones: see :func:`stop_reason`), with ``workers`` processes on this
    machine. Worker ``i`` seeds its sampler with
    ``seed + i``. Returns the study.

    Raises:
        StudyError: for bad arguments or a stored study with other objectives.
    """
    import multiprocessing

    if isinstance(trials, bool) or trials < 1:
        raise StudyError(f"`trials` must be a positive integer, not {trials!r}")
    if workers < 1:
        raise StudyError(f"`workers` must be a positive integer, not {workers!r}")
    make_searcher(sampler, seed, workers, spec)  # validates the name, workers and spec
    storage = open_storage(run_dir, storage_url)
    study = open_study(spec, storage)
    recover_interrupted(study)
    if stop_reason(study):
        study.set_user_attr(ATTR_STOPPED, "")  # a new search, with its own budget
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
