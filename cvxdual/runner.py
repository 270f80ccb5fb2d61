"""Run the independent tasks of a benchmark suite in parallel, resumably.

A *task suite* is a Python file with a module-level ``TASKS: dict[str, Callable[[Path, str],
dict]]``: task name -> ``task(out_dir, size)``, which writes its files (figures, tables) into
``out_dir`` and returns a JSON-ready dict. :func:`run_tasks` runs them

- one after the other (``jobs=1``), in joblib worker processes (``backend="loky"``), or on a Dask
  distributed cluster (``backend="dask"``: a running scheduler, or a loopback
  ``LocalCluster`` started and closed here);
- resumably: each finished task leaves ``out/<name>.task.json`` (written atomically, with a
  completion marker and the ``size`` it ran at); a later run with ``resume=True`` returns the
  stored result instead of running the task again. Failed tasks are recorded with their error,
  never stop the others, and run again on the next resumed run.

The returned records are in task order and do not depend on the backend or on ``jobs``: results
go through a JSON round trip in every case (so a stored, a local and a remote result compare
equal) and timings are kept in the task files only. Tasks must seed their own random numbers.

Functions are not pickled: a worker receives the path of the file defining the task and the
task's name, loads that file and calls the function there. Tasks must therefore be module-level
functions of a file the workers can read (on a remote cluster the suite file and ``out`` must be
at the same path on every worker, e.g. a shared file system).

The suites reproduce the figures of the paper (Ergen & Pilanci) and time the package; nothing
here depends on a particular theorem.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import time
import traceback
import types
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from cvxdual.errors import ParameterError, UnsupportedError

__all__ = ["run_tasks", "summarize", "task_file", "BACKENDS", "CONNECT_TIMEOUT"]

#: Execution backends of :func:`run_tasks`.
BACKENDS = ("loky", "dask")
#: Seconds to wait for a Dask scheduler before giving up.
CONNECT_TIMEOUT = 5.0
#: Version of the task-file layout; files of another version are run again.
_FORMAT = 1
_INSTALL = "install the bench extra: pip install 'cvxdual[bench]'"

Task = Callable[[Path, str], dict]


def task_file(out: Path, name: str) -> Path:
    """The resume marker of task ``name``: ``out/<name>.task.json``.

    Not ``<name>.json``, which a task may write itself (a figure's data).
    """
    return Path(out) / f"{name}.task.json"


#: Where a worker finds a task: (file, importable module name or None, its sys.path root).
Where = tuple[str, "str | None", "str | None"]


def _locate(name: str, task: Any) -> tuple[Where, str]:
    """Where a worker can load ``task`` again (see :func:`_load`), and its attribute name."""
    if not callable(task):
        raise ParameterError(f"task {name!r} is {type(task).__name__}, not a function; TASKS "
                             f"maps names to functions task(out_dir, size) -> dict.")
    module_globals = getattr(task, "__globals__", None)
    attr = getattr(task, "__name__", "")
    path = None if module_globals is None else module_globals.get("__file__")
    if path is None or module_globals.get(attr) is not task:
        raise ParameterError(f"task {name!r} must be a module-level function of a Python file "
                             f"(not a lambda, closure, method or partial), so that worker "
                             f"processes can load it by file path; define it with 'def' at "
                             f"the top level of the suite file.")
    file = Path(path).resolve()
    module = getattr(task, "__module__", None) or ""
    loaded = sys.modules.get(module)
    parts = module.split(".")
    base = file.parent if file.name == "__init__.py" else file.with_suffix("")
    if (module and module != "__main__" and loaded is not None
            and Path(getattr(loaded, "__file__", "") or "").resolve() == file
            and len(base.parts) > len(parts) and list(base.parts[-len(parts):]) == parts):
        # Imported under its own name (e.g. ``paper.relu``, whose siblings it imports as
        # ``paper.common``): the worker imports it the same way, from the same root.
        return (str(file), module, str(base.parents[len(parts) - 1])), attr
    return (str(file), None, None), attr


_LOADED: dict[Where, types.ModuleType] = {}


def _load(where: Where) -> types.ModuleType:
    """The module of a task, loaded once per process (workers reuse it across tasks)."""
    module = _LOADED.get(where)
    if module is not None:
        return module
    path, name, root = where
    if name is not None and root is not None:
        if root not in sys.path:
            sys.path.append(root)
        try:
            module = importlib.import_module(name)
        except ImportError:
            module = None
        if module is not None and Path(getattr(module, "__file__", "")).resolve() != Path(path):
            module = None  # another module of that name comes first on this worker's path
    if module is None:
        # A name of its own, so the loaded copy never shadows the module it was defined in.
        digest = hashlib.sha1(path.encode()).hexdigest()[:12]
        spec = importlib.util.spec_from_file_location(f"cvxdual_task_{digest}", path)
        if spec is None or spec.loader is None:
            raise UnsupportedError(f"cannot load tasks from {path}; it must be a .py file.")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses and pickling look their module up here
        spec.loader.exec_module(module)
    _LOADED[where] = module
    return module


def _failure(name: str, exc: BaseException, seconds: float = 0.0) -> dict[str, Any]:
    """The outcome of a task that raised ``exc`` (call inside its ``except`` block)."""
    return {"record": {"name": name, "ok": False, "result": None,
                       "error": f"{type(exc).__name__}: {exc}"},
            "seconds": seconds, "traceback": traceback.format_exc()}


def _execute(task: Task, name: str, out: str, size: str) -> dict[str, Any]:
    """Run one task; any exception becomes a failed record instead of stopping the suite."""
    start = time.perf_counter()
    try:
        result = task(Path(out), size)
        if not isinstance(result, dict):
            raise ParameterError(f"task {name!r} returned {type(result).__name__}; tasks "
                                 f"return a JSON-ready dict.")
        try:
            # The round trip is what makes fresh, remote and stored results compare equal.
            result = json.loads(json.dumps(result, allow_nan=True))
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"task {name!r} returned a dict that is not JSON-ready "
                                 f"({exc}); convert arrays with .tolist() and numpy scalars "
                                 f"with float()/int().") from None
    except Exception as exc:  # noqa: BLE001 - a task's failure is data, not a crash
        return _failure(name, exc, time.perf_counter() - start)
    return {"record": {"name": name, "ok": True, "result": result, "error": None},
            "seconds": time.perf_counter() - start, "traceback": None}


def _remote(where: Where, attr: str, name: str, out: str, size: str) -> dict[str, Any]:
    """Worker side: load the task's module, then run the task like :func:`_execute`."""
    try:
        task = getattr(_load(where), attr)
    except Exception as exc:  # noqa: BLE001 - e.g. the file is not readable on this worker
        return _failure(name, exc)
    return _execute(task, name, out, size)


def _write_atomic(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON so that a reader sees the old file or the whole new one, never a part."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, indent=1, allow_nan=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _stored(out: Path, name: str, size: str) -> dict[str, Any] | None:
    """The stored record of a finished, successful task at this size, else None."""
    try:
        payload = json.loads(task_file(out, name).read_text())
    except (OSError, ValueError):
        return None
    if (not isinstance(payload, dict) or payload.get("complete") is not True
            or payload.get("format") != _FORMAT or payload.get("size") != size
            or not isinstance(payload.get("record"), dict) or not payload["record"].get("ok")):
        return None
    return payload["record"]


def _check(tasks: Mapping[str, Task], jobs: Any, backend: Any, scheduler: Any, size: Any) -> None:
    if not isinstance(tasks, Mapping) or not tasks:
        raise ParameterError("tasks must be a non-empty dict of name -> task(out_dir, size).")
    for name in tasks:
        if not isinstance(name, str) or not name or name.strip(".") == "" or any(
                c in name for c in "/\\\0"):
            raise ParameterError(f"task name {name!r} cannot be a file name; use letters, "
                                 f"digits, '-' and '_'.")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"jobs must be a positive integer (1 runs the tasks one after the "
                             f"other); got {jobs!r}.")
    if backend not in BACKENDS:
        raise ParameterError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}.")
    if scheduler is not None and backend != "dask":
        raise ParameterError("a scheduler address needs backend='dask' (--backend dask).")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler):
        raise ParameterError(f"scheduler must be an address such as 'tcp://127.0.0.1:8786'; "
                             f"got {scheduler!r}.")
    if not isinstance(size, str):
        raise ParameterError(f"size must be a string such as 'tiny' or 'full'; got {size!r}.")


def _run_loky(todo: list[tuple[str, Where, str]], out: str, size: str,
              jobs: int) -> Iterator[dict[str, Any]]:
    try:
        from joblib import Parallel, delayed
    except ImportError:
        raise UnsupportedError(f"backend='loky' with jobs > 1 needs joblib; {_INSTALL}.") from None
    calls = (delayed(_remote)(where, attr, name, out, size) for name, where, attr in todo)
    yield from Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")(calls)


def _connect(scheduler: str | None, jobs: int) -> tuple[Any, Any]:
    """A Dask client, and the LocalCluster started for it (None when given a scheduler)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UnsupportedError(f"backend='dask' needs dask.distributed; {_INSTALL}.") from None
    if scheduler is None:
        # Loopback only and no dashboard: nothing of a benchmark run listens on the network.
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, host="127.0.0.1",
                               dashboard_address=None, processes=True)
        try:
            return Client(cluster), cluster
        except BaseException:
            cluster.close()
            raise
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT), None
    except (OSError, TimeoutError, ValueError) as exc:
        raise ParameterError(
            f"cannot reach the Dask scheduler at {scheduler!r} within {CONNECT_TIMEOUT:g} s "
            f"({type(exc).__name__}); start one with 'dask scheduler' and workers with "
            f"'dask worker ADDRESS', pass the address it prints, or omit the scheduler to run "
            f"on a local cluster.") from None


def _run_dask(client: Any, todo: list[tuple[str, Where, str]], out: str,
              size: str) -> Iterator[dict[str, Any]]:
    from dask.distributed import as_completed

    # Unique keys: a long-lived cluster must not hand back a cached result of an earlier run.
    futures = {client.submit(_remote, where, attr, name, out, size, pure=False,
                             key=f"cvxdual-task-{name}-{os.urandom(4).hex()}"): name
               for name, where, attr in todo}
    for future in as_completed(futures):
        try:
            yield future.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker fails its task only
            yield _failure(futures[future], exc)


def run_tasks(tasks: Mapping[str, Task], out: Path, size: str, *, jobs: int = 1,
              backend: str = "loky", scheduler: str | None = None, progress: bool = True,
              resume: bool = True) -> list[dict[str, Any]]:
    """Run every task of a suite, in parallel and resumably.

    Parameters
    ----------
    tasks : dict of str -> callable
        Task name -> module-level function ``task(out_dir: Path, size: str) -> dict`` returning
        a JSON-ready dict. Names become file names (``out/<name>.task.json``).
    out : Path
        Output folder, created if needed; tasks write their files there.
    size : str
        Passed to every task (``"tiny"`` or ``"full"`` for the bundled suites); a stored result
        is reused only at the same size.
    jobs : int
        Number of tasks run at a time: worker processes for ``"loky"``, workers of the local
        cluster for ``"dask"`` (a given ``scheduler``'s cluster decides for itself). ``1`` with
        ``"loky"`` runs the tasks in this process.
    backend : {"loky", "dask"}
        joblib worker processes, or a Dask distributed cluster.
    scheduler : str, optional
        Address of a running Dask scheduler (``"tcp://127.0.0.1:8786"``), with
        ``backend="dask"``. Without it, a ``LocalCluster`` on 127.0.0.1 (no dashboard) is
        started and closed again.
    progress : bool
        Show a progress bar (tqdm) on standard error.
    resume : bool
        Reuse the stored result of every task that finished successfully at this ``size``;
        ``False`` runs every task again.

    Returns
    -------
    list of dict
        One record per task, in the order of ``tasks``: ``{"name", "ok", "result", "error"}``
        (``result`` the task's dict after a JSON round trip, ``error`` ``"Type: message"`` of a
        failed task). Identical for every backend and ``jobs`` when the tasks are seeded.

    Raises
    ------
    ParameterError
        Empty ``tasks``, a name that is not a file name, a task that is not a module-level
        function, ``jobs`` not a positive integer, an unknown ``backend``, a ``scheduler``
        without ``backend="dask"`` or one that does not answer within
        :data:`CONNECT_TIMEOUT` seconds.
    UnsupportedError
        joblib or dask is not installed (the ``bench`` extra).
    """
    _check(tasks, jobs, backend, scheduler, size)
    located = {name: _locate(name, task) for name, task in tasks.items()}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    records: dict[str, dict[str, Any]] = {}
    if resume:
        for name in tasks:
            stored = _stored(out, name, size)
            if stored is not None:
                records[name] = stored
    todo = [(name, *located[name]) for name in tasks if name not in records]

    # Connect before anything runs, so an unreachable scheduler is an error, not a failed task.
    session = _connect(scheduler, jobs) if todo and backend == "dask" else None
    try:
        if not todo:
            outcomes: Iterator[dict[str, Any]] = iter(())
        elif session is not None:
            outcomes = _run_dask(session[0], todo, str(out), size)
        elif jobs == 1:
            outcomes = (_execute(tasks[name], name, str(out), size) for name, _, _ in todo)
        else:
            outcomes = _run_loky(todo, str(out), size, jobs)
        _collect(outcomes, [name for name, _, _ in todo], records, out, size,
                 _progress_bar(len(tasks), len(records), progress))
    finally:
        if session is not None:
            session[0].close()
            if session[1] is not None:
                session[1].close()
    return [records[name] for name in tasks]


def _collect(outcomes: Iterator[dict[str, Any]], todo: list[str],
             records: dict[str, dict[str, Any]], out: Path, size: str, bar: Any) -> None:
    """Store each outcome as it arrives: task file (so an interrupted run resumes), record, bar."""

    def store(outcome: dict[str, Any]) -> None:
        record = outcome["record"]
        _write_atomic(task_file(out, record["name"]),
                      {"format": _FORMAT, "complete": True, "size": size, "record": record,
                       "seconds": outcome["seconds"], "traceback": outcome["traceback"]})
        records[record["name"]] = record
        if bar is not None:
            bar.set_postfix_str(record["name"] + ("" if record["ok"] else " FAILED"))
            bar.update(1)

    try:
        while True:
            try:
                outcome = next(outcomes)
            except StopIteration:
                break
            except Exception as exc:  # noqa: BLE001 - the executor broke (a worker died)
                for name in todo:
                    if name not in records:
                        store(_failure(name, exc))
                break
            store(outcome)
    finally:
        if bar is not None:
            bar.close()
        close = getattr(outcomes, "close", None)
        if close is not None:
            close()


def _progress_bar(total: int, done: int, show: bool) -> Any:
    if not show:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None  # a missing progress bar is no reason to refuse the run
    return tqdm(total=total, initial=done, file=sys.stderr, unit="task", desc="tasks")


def summarize(records: list[dict[str, Any]]) -> str:
    """One line per task (``ok`` or ``FAILED`` with its error), then the counts.

    The full traceback of a failed task is in its ``<name>.task.json``.
    """
    width = max((len(r["name"]) for r in records), default=0)
    lines = [f"{r['name']:<{width}}  {'ok' if r['ok'] else 'FAILED  ' + str(r['error'])}"
             for r in records]
    failed = [r["name"] for r in records if not r["ok"]]
    tail = f"{len(records) - len(failed)} of {len(records)} tasks ok"
    lines.append(tail + (f"; failed: {', '.join(failed)}" if failed else ""))
    return "\n".join(lines)
