"""The parallel, resumable task runner (cvxdual.runner) and ``cvxdual bench`` on task suites.

The fake suite below is what a task suite looks like: module-level functions ``task(out_dir,
size) -> dict`` in ``TASKS``, seeded, each leaving a file behind so that calls can be counted.
Values are checked against NumPy recomputations and the closed form ``2 ||X^+ y||_2`` of the
minimum-norm two-layer linear problem (Theorem 2.1), never against the runner itself.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from references import min_norm_reference

import cvxdual as cd
from cvxdual import cli, runner
from cvxdual.errors import ParameterError, UnsupportedError
from cvxdual.runner import run_tasks, summarize, task_file

SUITE = str(Path(__file__).resolve())


def _count(out: Path, name: str) -> None:
    with open(Path(out) / f"{name}.calls", "a") as handle:
        handle.write("x\n")


def calls(out: Path, name: str) -> int:
    path = Path(out) / f"{name}.calls"
    return len(path.read_text().splitlines()) if path.exists() else 0


def _data(seed: int, n: int = 6, d: int = 9) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal(n)


def task_moments(out: Path, size: str) -> dict:
    _count(out, "moments")
    sample = np.random.default_rng(11).standard_normal(200 if size == "tiny" else 2000)
    return {"mean": float(sample.mean()), "std": float(sample.std()), "n": int(sample.size)}


def task_singular(out: Path, size: str) -> dict:
    _count(out, "singular")
    X, _ = _data(12)
    return {"sigma": np.linalg.svd(X, compute_uv=False).tolist()}


def task_certify(out: Path, size: str) -> dict:
    _count(out, "certify")
    X, y = _data(13)
    cert = cd.certify(X, y, family="linear", beta=None)
    (Path(out) / "certify.txt").write_text(f"{cert.training_value!r}\n")
    return {"training_value": float(cert.training_value), "certified": bool(cert.certified)}


def task_flaky(out: Path, size: str) -> dict:
    """Fails until the file ``allow`` exists in ``out``: a task that can be fixed and rerun."""
    _count(out, "flaky")
    if not (Path(out) / "allow").exists():
        raise RuntimeError("flaky needs the file 'allow'")
    return {"fixed": True}


def task_crash(out: Path, size: str) -> dict:
    """Kills its worker process, as a segfault or the out-of-memory killer would."""
    import os

    os._exit(3)


def task_array_result(out: Path, size: str) -> dict:
    return {"value": np.arange(3)}  # not JSON-ready: an array inside the dict


def task_not_a_dict(out: Path, size: str) -> list:
    return [1, 2]


TASKS = {"moments": task_moments, "singular": task_singular, "certify": task_certify}


def write_index(out: Path, results: list[dict]) -> Path:
    """What a suite's index writer gets: the results of the tasks that succeeded, in order."""
    index = Path(out) / "index.html"
    index.write_text("<ul>" + "".join(f"<li>{sorted(r)}</li>" for r in results) + "</ul>")
    return index


def check_values(records: list[dict]) -> None:
    """Every fake task's result, recomputed independently."""
    by_name = {r["name"]: r for r in records}
    assert [r["name"] for r in records] == list(TASKS)
    assert all(r["ok"] and r["error"] is None for r in records)
    sample = np.random.default_rng(11).standard_normal(200)
    assert by_name["moments"]["result"]["mean"] == pytest.approx(np.sum(sample) / 200, abs=1e-14)
    X, y = _data(12)
    sigma = np.sqrt(np.sort(np.linalg.eigvalsh(X @ X.T))[::-1])
    np.testing.assert_allclose(by_name["singular"]["result"]["sigma"], sigma, rtol=1e-10)
    X, y = _data(13)
    value = by_name["certify"]["result"]["training_value"]
    assert value == pytest.approx(min_norm_reference(X, y), rel=1e-6)
    assert by_name["certify"]["result"]["certified"] is True


@pytest.fixture(scope="module")
def local_records(tmp_path_factory) -> list[dict]:
    return run_tasks(TASKS, tmp_path_factory.mktemp("local"), "tiny", progress=False)


@pytest.fixture(scope="module", autouse=True)
def _no_lingering_workers():
    yield
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)


def test_local_run_is_right(local_records):
    check_values(local_records)


def test_loky_two_jobs_matches_local(local_records, tmp_path):
    records = run_tasks(TASKS, tmp_path, "tiny", jobs=2, progress=False)
    assert records == local_records
    check_values(records)
    assert all(calls(tmp_path, name) == 1 for name in TASKS)


def test_dask_cluster_matches_local(local_records, tmp_path):
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                      host="127.0.0.1",
                      dashboard_address=None) as cluster:
        records = run_tasks(TASKS, tmp_path, "tiny", backend="dask",
                            scheduler=cluster.scheduler_address, progress=False)
    assert records == local_records
    assert (tmp_path / "certify.txt").exists()  # the workers wrote into out


@pytest.mark.slow
def test_dask_local_cluster_started_by_the_runner(local_records, tmp_path):
    records = run_tasks(TASKS, tmp_path, "tiny", jobs=2, backend="dask", progress=False)
    assert records == local_records


def test_progress_bar_goes_to_stderr(tmp_path, capsys):
    run_tasks({"moments": task_moments}, tmp_path, "tiny", progress=True)
    captured = capsys.readouterr()
    assert "1/1" in captured.err and captured.out == ""
    run_tasks({"moments": task_moments}, tmp_path / "quiet", "tiny", progress=False)
    assert capsys.readouterr().err == ""


def test_resume_skips_finished_tasks_and_reruns_missing_ones(local_records, tmp_path):
    first = run_tasks(TASKS, tmp_path, "tiny", progress=False)
    second = run_tasks(TASKS, tmp_path, "tiny", jobs=2, progress=False)
    assert first == second == local_records
    assert [calls(tmp_path, name) for name in TASKS] == [1, 1, 1]

    task_file(tmp_path, "singular").unlink()
    task_file(tmp_path, "certify").write_text('{"format": 1, "compl')  # cut off mid-write
    assert run_tasks(TASKS, tmp_path, "tiny", progress=False) == local_records
    assert [calls(tmp_path, name) for name in TASKS] == [1, 2, 2]

    run_tasks(TASKS, tmp_path, "full", progress=False)  # another size is another result
    assert [calls(tmp_path, name) for name in TASKS] == [2, 3, 3]
    run_tasks(TASKS, tmp_path, "full", resume=False, progress=False)
    assert [calls(tmp_path, name) for name in TASKS] == [3, 4, 4]


def test_task_file_is_complete_json_and_no_temporaries_remain(tmp_path):
    run_tasks(TASKS, tmp_path, "tiny", progress=False)
    payload = json.loads(task_file(tmp_path, "moments").read_text())
    assert payload["complete"] is True and payload["size"] == "tiny"
    assert payload["seconds"] >= 0 and payload["record"]["name"] == "moments"
    assert not list(tmp_path.glob(".*.tmp"))


def test_failed_task_is_reported_without_stopping_the_others(tmp_path):
    suite = {"moments": task_moments, "flaky": task_flaky, "singular": task_singular}
    records = run_tasks(suite, tmp_path, "tiny", jobs=2, progress=False)
    assert [r["ok"] for r in records] == [True, False, True]
    assert records[1]["error"] == "RuntimeError: flaky needs the file 'allow'"
    assert records[1]["result"] is None
    assert "Traceback" in json.loads(task_file(tmp_path, "flaky").read_text())["traceback"]
    text = summarize(records)
    assert text.splitlines()[-1] == "2 of 3 tasks ok; failed: flaky"

    (tmp_path / "allow").touch()
    again = run_tasks(suite, tmp_path, "tiny", progress=False)
    assert all(r["ok"] for r in again) and again[1]["result"] == {"fixed": True}
    assert [calls(tmp_path, n) for n in suite] == [1, 2, 1]  # only the failed one ran again


def test_a_dead_worker_fails_its_tasks_and_the_run_still_returns(tmp_path):
    records = run_tasks({"crash": task_crash, "moments": task_moments}, tmp_path, "tiny",
                        jobs=2, progress=False)
    assert [r["name"] for r in records] == ["crash", "moments"]
    assert not records[0]["ok"] and "TerminatedWorkerError" in records[0]["error"]
    # Whether "moments" finished before the pool broke depends on timing; either way a resumed
    # run without the crashing task completes it.
    again = run_tasks({"moments": task_moments}, tmp_path, "tiny", progress=False)
    assert again[0]["ok"] and calls(tmp_path, "moments") in (1, 2)


def test_results_that_are_not_json_ready_fail_that_task(tmp_path):
    records = run_tasks({"np": task_array_result, "list": task_not_a_dict}, tmp_path, "tiny",
                        progress=False)
    assert not records[0]["ok"] and ".tolist()" in records[0]["error"]
    assert not records[1]["ok"] and "returned list" in records[1]["error"]


@pytest.mark.parametrize("jobs", [0, -1, 1.5, True, "2"])
def test_bad_jobs(tmp_path, jobs):
    with pytest.raises(ParameterError, match="jobs must be a positive integer"):
        run_tasks(TASKS, tmp_path, "tiny", jobs=jobs)


def test_bad_backend_names_and_tasks(tmp_path):
    with pytest.raises(ParameterError, match="unknown backend 'threads'; use one of loky, dask"):
        run_tasks(TASKS, tmp_path, "tiny", backend="threads")
    with pytest.raises(ParameterError, match="needs backend='dask'"):
        run_tasks(TASKS, tmp_path, "tiny", scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(ParameterError, match="module-level function"):
        run_tasks({"anon": lambda out, size: {}}, tmp_path, "tiny")
    with pytest.raises(ParameterError, match="cannot be a file name"):
        run_tasks({"../up": task_moments}, tmp_path, "tiny")
    with pytest.raises(ParameterError, match="non-empty dict"):
        run_tasks({}, tmp_path, "tiny")
    assert not list(tmp_path.iterdir())  # nothing ran


def test_unreachable_scheduler_times_out_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT", 1.0)
    start = time.perf_counter()
    with pytest.raises(ParameterError, match="cannot reach the Dask scheduler") as info:
        run_tasks(TASKS, tmp_path, "tiny", scheduler="tcp://127.0.0.1:9", backend="dask",
                  progress=False)
    assert time.perf_counter() - start < 10
    assert "dask scheduler" in str(info.value) and "omit the scheduler" in str(info.value)
    assert calls(tmp_path, "moments") == 0


def test_missing_dask_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if absent
    with pytest.raises(UnsupportedError, match=r"cvxdual\[bench\]"):
        run_tasks(TASKS, tmp_path, "tiny", backend="dask", progress=False)


def test_cli_runs_a_task_suite(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(cli._BENCH_SUITES, "fake", SUITE)
    code = cli.main(["bench", "--suite", "fake", "--size", "tiny", "--out", str(tmp_path),
                     "--jobs", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "3 of 3 tasks ok" in out and "index:" in out
    assert (tmp_path / "index.html").read_text().count("<li>") == 3
    assert cli.main(["bench", "--suite", "fake", "--size", "tiny", "--out", str(tmp_path)]) == 0
    assert [calls(tmp_path, name) for name in TASKS] == [1, 1, 1]  # resumed
    assert cli.main(["bench", "--suite", "fake", "--size", "tiny", "--out", str(tmp_path),
                     "--no-resume"]) == 0
    assert [calls(tmp_path, name) for name in TASKS] == [2, 2, 2]


FAILING_SUITE = """
def good(out, size):
    return {"size": size}


def bad(out, size):
    raise ValueError("bad input on purpose")


TASKS = {"good": good, "bad": bad}
"""


def test_cli_failed_task_exits_1_and_names_it(tmp_path, monkeypatch, capsys):
    suite = tmp_path / "failing_suite.py"
    suite.write_text(FAILING_SUITE)
    monkeypatch.setitem(cli._BENCH_SUITES, "failing", str(suite))
    code = cli.main(["bench", "--suite", "failing", "--size", "tiny", "--out",
                     str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 1
    assert "bad   FAILED  ValueError: bad input on purpose" in out
    assert out.splitlines()[-1] == "1 of 2 tasks ok; failed: bad"


def test_cli_bad_runner_options_are_one_line_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(cli._BENCH_SUITES, "fake", SUITE)
    assert cli.main(["bench", "--suite", "fake", "--out", str(tmp_path), "--jobs", "0"]) == 2
    assert "jobs must be a positive integer" in capsys.readouterr().err
    assert cli.main(["bench", "--suite", "perf", "--jobs", "2", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "drop --jobs" in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())  # perf did not run


def _load_paper_suite():
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "benchmarks" / cli._BENCH_SUITES["paper"]
    spec = importlib.util.spec_from_file_location("paper_suite_for_runner_test", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _without_timing(result: dict) -> dict:
    return {key: value for key, value in result.items() if key != "seconds"}


def test_a_paper_figure_agrees_in_process_on_loky_and_on_dask(tmp_path):
    from dask.distributed import LocalCluster

    suite = _load_paper_suite()
    task = {"fig6": suite.TASKS["fig6"]}
    direct = json.loads(json.dumps(task["fig6"](tmp_path / "direct", "tiny")))
    loky = run_tasks(task, tmp_path / "loky", "tiny", jobs=2, progress=False)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                      host="127.0.0.1", dashboard_address=None) as cluster:
        dask = run_tasks(task, tmp_path / "dask", "tiny", backend="dask",
                         scheduler=cluster.scheduler_address, progress=False)
    assert loky[0]["ok"] and dask[0]["ok"], (loky, dask)
    assert _without_timing(loky[0]["result"]) == _without_timing(direct)
    assert _without_timing(dask[0]["result"]) == _without_timing(direct)
    assert direct["data"]["fraction_aligned"]  # a figure with numbers behind it
    for folder in ("loky", "dask"):
        assert (tmp_path / folder / "fig6.png").stat().st_size > 0
        assert json.loads((tmp_path / folder / "fig6.task.json").read_text())["complete"]
