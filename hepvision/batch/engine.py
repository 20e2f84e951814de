"""Running per-clip tasks on Dask (``dask.distributed``), or in a plain loop.

``scheduler``: ``local`` starts a :class:`distributed.LocalCluster` on this machine (worker
processes, by default one per core with one thread each); an address (``tcp://HOST:PORT``)
joins an existing cluster, e.g. one that ``dask-jobqueue`` started on Slurm (see the README);
``none`` runs the tasks one after another in this process (no engine at all).

Tasks are submitted through a window of a few per worker thread and gathered with
``as_completed`` as they finish, each result released once read: the scheduler never holds
more than the window (a 100,000-clip archive is 100,000 small tasks over time, not at once),
and a result lives on a worker only until it is read, so a worker that dies afterwards has
nothing left to recompute. A task that was running on a dead worker is re-run elsewhere by
Dask (up to ``distributed.scheduler.allowed-failures`` times); the per-clip done marks make a
re-run of finished work a read of its mark.

Worker memory settings: Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_=65536`` in each worker so
glibc returns freed memory at once. Setting any malloc threshold turns off glibc's adaptive
mmap threshold, so each decoded frame (6 MB at 1080p) is mmap-ed and unmapped again, page
faults and all: decoding a 1080p clip here took 7.2-8.7 s instead of 4.0-5.1 s. Local workers
get :data:`WORKER_MALLOC_ENV` instead: frames up to 32 MiB come from the heap again
(4.5-5.1 s), and memory above 64 MiB free at the heap's top is still returned. Dask's
statistical profiler (every worker thread's stack sampled every 10 ms, for the dashboard) is
off on a local cluster and its periodic monitors run less often (:data:`LOCAL_WORKER_CONFIG`):
with Dask's defaults the run took 15-17 % more CPU per frame than a plain process pool of the
same shape, with these ~2 % (benchmarks/README.md, issue 16).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from hepvision.errors import HepvisionError

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["EngineInfo", "EngineOptions", "SCHEDULER_LOCAL", "SCHEDULER_NONE",
           "WORKER_MALLOC_ENV", "map_unordered"]

log = logging.getLogger(__name__)

SCHEDULER_LOCAL = "local"
SCHEDULER_NONE = "none"

#: Environment of local worker processes (see the module docstring).
WORKER_MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20),
                     "MALLOC_TRIM_THRESHOLD_": str(64 << 20)}
#: Dask settings of a local cluster: the statistical profiler (a sample of every thread's
#: stack every 10 ms, for the dashboard's profile page) is off, and the periodic checks of
#: each worker's memory (0.1 s), the machine (0.5 s) and each event loop (20 ms) run less
#: often; a task here lasts seconds, so nothing needs finer watching.
LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False,
                       "distributed.worker.memory.monitor-interval": "1s",
                       "distributed.admin.system-monitor.interval": "2s",
                       "distributed.admin.tick.interval": "200ms"}
#: Tasks in flight per worker thread.
WINDOW_PER_THREAD = 2
#: Seconds to wait for a remote scheduler, and for ``--workers`` to join it.
CONNECT_TIMEOUT_S = 30.0

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Where and how wide tasks run.

    ``workers``: local worker processes (default: this machine's cores divided by
    ``threads_per_worker``); with a scheduler address, the workers to wait for before
    starting (default: start at once). ``dashboard_address``: the local cluster's dashboard
    (None: none; it is served only when ``bokeh`` is installed).
    """

    scheduler: str = SCHEDULER_LOCAL
    workers: int | None = None
    threads_per_worker: int = 1
    dashboard_address: str | None = ":8787"

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise HepvisionError("--workers must be at least 1")
        if self.threads_per_worker < 1:
            raise HepvisionError("--threads-per-worker must be at least 1")

    def local_workers(self) -> int:
        return self.workers or max(1, (os.cpu_count() or 1) // self.threads_per_worker)


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """What a run is running on (printed at start)."""

    scheduler: str
    workers: int
    threads: int
    dashboard: str | None


def map_unordered(fn: Callable[[T], R], items: Sequence[T], engine: EngineOptions, *,
                  failed: Callable[[T, BaseException], R],
                  started: Callable[[EngineInfo], None] | None = None) -> Iterator[R]:
    """``fn`` over ``items``, yielding each result as it finishes (in any order).

    ``fn`` must be a module-level function (it is pickled by reference). A task that raises
    on the engine (its worker died too often, it was cancelled) yields ``failed(item, exc)``.
    ``started`` is called once the engine is up.

    Raises:
        HepvisionError: the scheduler cannot be reached.
    """
    if engine.scheduler == SCHEDULER_NONE:
        if started is not None:
            started(EngineInfo(SCHEDULER_NONE, 1, 1, None))
        for item in items:
            yield fn(item)
        return
    from distributed import as_completed

    with dask_client(engine) as client:
        info = _info(client, engine)
        if started is not None:
            started(info)
        pending = iter(items)
        window = max(1, WINDOW_PER_THREAD * info.threads)
        running = as_completed()
        owner: dict[object, T] = {}
        for _ in range(window):
            _submit_next(client, fn, pending, running, owner)
        for future in running:
            item = owner.pop(future.key)
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a task's failure is its row
                log.warning("task for %s failed on the cluster: %s", item, exc)
                result = failed(item, exc)
            future.release()
            del future
            _submit_next(client, fn, pending, running, owner)
            yield result


def _submit_next(client: Client, fn: Callable[[T], R], pending: Iterator[T],
                 running: object, owner: dict[object, T]) -> None:
    item = next(pending, _END)
    if item is _END:
        return
    future = client.submit(fn, item, pure=False)
    owner[future.key] = item  # type: ignore[assignment]  # T, once _END is ruled out
    running.add(future)  # type: ignore[attr-defined]


_END = object()


@contextmanager
def dask_client(engine: EngineOptions) -> Iterator[Client]:
    """A client of a new local cluster (closed on exit) or of the scheduler at an address."""
    import dask
    from distributed import Client, LocalCluster

    if engine.scheduler == SCHEDULER_LOCAL:
        env: dict[str, object] = {f"distributed.nanny.pre-spawn-environ.{k}": v
                                  for k, v in WORKER_MALLOC_ENV.items()}
        env.update(LOCAL_WORKER_CONFIG)
        with dask.config.set(env):
            try:
                cluster = LocalCluster(n_workers=engine.local_workers(),
                                       threads_per_worker=engine.threads_per_worker,
                                       processes=True,
                                       dashboard_address=engine.dashboard_address,
                                       silence_logs=logging.ERROR)
            except (OSError, TimeoutError, RuntimeError) as exc:
                raise HepvisionError(
                    f"could not start a local Dask cluster: {exc} (workers are started with "
                    "'spawn': a script that starts one must do so under "
                    "if __name__ == '__main__':)") from None
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(engine.scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise HepvisionError(f"cannot reach the Dask scheduler at {engine.scheduler}: "
                             f"{exc}") from None
    with client:
        if engine.workers:
            try:
                client.wait_for_workers(engine.workers, timeout=CONNECT_TIMEOUT_S)
            except TimeoutError:
                raise HepvisionError(f"fewer than {engine.workers} workers joined "
                                     f"{engine.scheduler} within {CONNECT_TIMEOUT_S:.0f} s"
                                     ) from None
        yield client


def _info(client: Client, engine: EngineOptions) -> EngineInfo:
    info = client.scheduler_info()
    workers = info.get("workers", {})
    threads = sum(int(w.get("nthreads", 1)) for w in workers.values()) or 1
    dashboard = client.dashboard_link if "dashboard" in info.get("services", {}) else None
    return EngineInfo(str(info.get("address", engine.scheduler)), len(workers), threads,
                      dashboard)
