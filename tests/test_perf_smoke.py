"""A tiny run of the performance suite, so the benchmarks never rot."""

from __future__ import annotations

import json

from cvxdual.cli import main


def test_perf_suite_tiny_run_writes_every_result(tmp_path, capsys):
    code = main(["bench", "--suite", "perf", "--size", "tiny", "--out", str(tmp_path)])
    assert code in (0, 1)                      # 1: a target missed (tiny sizes miss speed-ups)
    for name in ("perf.json", "perf.md", "speedups.png", "scaling.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    results = json.loads((tmp_path / "perf.json").read_text())
    assert results["all_targets_met"] is (code == 0)
    for key in ("cpus", "numpy", "cvxpy", "loadavg_start", "loadavg_end"):
        assert key in results["machine"]
    rows = [*results["cvxpy"], results["training"], results["svd"], results["path"]]
    for row in rows:
        assert isinstance(row["met"], bool) and len(row["loadavg"]) == 2
    for row in results["cvxpy"]:
        assert row["certified"] and row["cvxpy_rel_error"] <= 1e-6
        assert row["cvxdual_s"] > 0 and row["cvxpy_s"] > 0
    assert results["path"]["all_certified"] and results["path"]["cvxpy_path_all_certified"]
    scaling = results["scaling"]
    assert all(row["certified"] for row in scaling["by_n"] + scaling["by_d"])
    assert all(row["peak_rss_mb"] > 0 for row in scaling["by_n"])
    assert "| comparison |" in (tmp_path / "perf.md").read_text()
    assert "Performance suite" in capsys.readouterr().out


def test_unknown_suite_is_a_usage_error(capsys):
    try:
        main(["bench", "--suite", "nope"])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("an unknown suite must be rejected")
    assert "invalid choice" in capsys.readouterr().err
