"""A tiny run of the reliability suite (``cvxdual bench --suite reliability``)."""

from __future__ import annotations

import json

from cvxdual.cli import main


def test_tiny_reliability_run(tmp_path, capsys):
    code = main(["bench", "--suite", "reliability", "--size", "tiny", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    result = json.loads((tmp_path / "reliability.json").read_text())
    assert code == 0, printed
    assert result["instances"] >= 30 and result["bad_inputs"] >= 30
    assert result["solver_faults"] >= 20
    assert result["false certificate"] == result["crash"] == result["silent failure"] == 0
    assert result["outcomes"].get("certified", 0) > 0
    assert sum(result["by_group"]["bad input"].values()) == result["bad_inputs"]
    assert "false certificates 0, crashes 0, silent failures 0" in printed
    assert "| false certificate | 0 |" in (tmp_path / "reliability.md").read_text()


def test_judge_catches_a_forged_certificate():
    """The suite's checks are not vacuous: a certificate forged to claim too low a value, or
    certified while uncertifiable, is counted as false."""
    import dataclasses
    import importlib.util
    from pathlib import Path

    import numpy as np

    import cvxdual as cd

    script = Path(__file__).resolve().parents[1] / "benchmarks/reliability/reliability_suite.py"
    spec = importlib.util.spec_from_file_location("reliability_suite_under_test", script)
    suite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(suite)
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((5, 8)), rng.standard_normal(5)
    cert = cd.certify(X, y)
    assert suite.judge(cert, X, y, None, 2, "linear") == ("certified", "")
    # The same weights scaled: a real network's objective, certified, but not the optimum.
    worse = cd.Network([2.0 * cert.network.weights[0], 0.5 * cert.network.weights[1]])
    forged = dataclasses.replace(cert, network=worse,
                                 training_value=worse.objective(X, y), gap=0.0)
    assert suite.judge(forged, X, y, None, 2, "linear")[0] == "false certificate"
    lying = dataclasses.replace(cert, training_value=0.5 * cert.training_value)
    assert suite.judge(lying, X, y, None, 2, "linear")[0] == "silent failure"
