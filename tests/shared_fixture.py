"""A fixture value computed once for the whole test run, also when pytest-xdist spreads a
module's tests over several workers (each worker would otherwise set up a module fixture
of its own): the first worker computes it under a file lock and pickles it into the run's
shared temporary folder; the others wait and load it. Without xdist it is computed
directly. (``--dist loadgroup`` would keep a module on one worker, but it does not group
under pytest 9.2: pytest-xdist issue 1386.)"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import TypeVar

import pytest
from filelock import FileLock

T = TypeVar("T")


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str,
                 compute: Callable[[], T]) -> T:
    """``compute()``, run by one worker of this test run and shared with the others."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return compute()
    # each worker's base folder is <run folder>/popen-gwN: the run folder is shared
    shared = tmp_path_factory.getbasetemp().parent
    path = shared / f"{name}.pickle"
    with FileLock(f"{path}.lock"):
        if path.is_file():
            return pickle.loads(path.read_bytes())
        value = compute()
        path.write_bytes(pickle.dumps(value))
        return value
