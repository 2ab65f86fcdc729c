"""Start a Celery worker that dies with the test run that started it.

``WorkerProcess`` runs ``python -m tests.celery_worker <celery worker args>`` instead of ``celery``. On
Linux the kernel sends SIGKILL to this process when its parent (pytest) dies, however it dies, SIGKILL
included (``PR_SET_PDEATHSIG``); each pool process asks the same of its own parent, this worker. So a
test run killed by a CI timeout leaves no worker consuming the broker's queues.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(expected_parent: int | None = None) -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:  # not Linux: the per-run queue names still keep runs apart
        return
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # The parent may have died before the request took effect: then we are orphaned already.
    if expected_parent is not None and os.getppid() != expected_parent:
        os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    parent = os.environ.get("TEST_WORKER_PARENT_PID")
    die_with_parent(int(parent) if parent else None)
    worker_pid = os.getpid()

    from celery.signals import worker_process_init

    def pool_process_dies_with_worker(**kwargs) -> None:
        die_with_parent(worker_pid)

    worker_process_init.connect(pool_process_dies_with_worker, weak=False)

    from celery.__main__ import main as celery_main

    sys.argv = ["celery", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
