"""``cvxdual certify-network``: round trips through .npz files, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from references import min_norm_reference

import cvxdual
from cvxdual.cli import main
from cvxdual.io import load_network_npz, save_network_npz


def _data(tmp_path, X, Y):
    path = tmp_path / "data.npz"
    np.savez(path, X=X, Y=Y)
    return str(path)


def _one_line_error(capsys, argv, fragment):
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("cvxdual:") and fragment in lines[0]
    assert "Traceback" not in captured.err


def test_round_trip_trained_linear_json(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 5))
    Y = X @ rng.standard_normal((5, 2)) + 0.3 * rng.standard_normal((12, 2))
    trained = cvxdual.train(X, Y, "linear", (4,), beta=0.5, restarts=2, seed=0)
    weights = tmp_path / "net.npz"
    save_network_npz(weights, trained.network)
    code = main(["certify-network", "--weights", str(weights), "--data", _data(tmp_path, X, Y),
                 "--beta", "0.5", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["optimum_certified"] is True
    assert out["objective"] == pytest.approx(trained.objective, rel=1e-14)
    # The optimum, checked against a separate certify call, and the gap between them.
    cert = cvxdual.certify(X, Y, beta=0.5)
    assert out["optimum"] == pytest.approx(cert.training_value, rel=1e-9)
    assert out["gap"] == pytest.approx(trained.objective - out["optimum"], abs=1e-9)
    assert abs(out["rel_gap"]) <= 1e-4 and out["gap_lower"] >= -1e-8
    for key in ("lower_bound", "upper_bound", "alignment", "projections", "certificate",
                "network", "reasons", "suboptimality_bracket", "span_alignment"):
        assert key in out


def test_relu_archive_infers_the_family_text_output(tmp_path, capsys):
    x = np.sort(np.random.default_rng(1).uniform(0.0, 3.0, 7))
    y = np.sin(2 * x)
    cert = cvxdual.certify(x[:, None], y, family="relu", depth=3)
    weights = tmp_path / "relu.npz"
    save_network_npz(weights, cert.network)
    loaded = load_network_npz(weights)
    assert loaded["activation"] == "relu" and len(loaded["weights"]) == 3
    code = main(["certify-network", "--weights", str(weights), "--data",
                 _data(tmp_path, x[:, None], y)])
    out = capsys.readouterr().out
    assert code == 0
    assert "relu network, depth 3" in out and "minimum norm (2)" in out
    assert "globally optimal yes" in out


def test_min_norm_gap_of_hand_written_archive(tmp_path, capsys):
    # Unbalanced interpolating layers W1 = 3v, w2 = 1/3: objective 9||v||^2 + 1/9.
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((5, 8)), rng.standard_normal(5)
    v = np.linalg.pinv(X) @ y
    weights = tmp_path / "hand.npz"
    np.savez(weights, W1=3 * v[:, None], W2=np.array([1 / 3]))
    code = main(["certify-network", "--weights", str(weights), "--data", _data(tmp_path, X, y),
                 "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["gap"] == pytest.approx(9 * v @ v + 1 / 9 - min_norm_reference(X, y), rel=1e-7)


def test_non_interpolating_min_norm_exits_1(tmp_path, capsys):
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((5, 8)), rng.standard_normal(5)
    weights = tmp_path / "off.npz"
    np.savez(weights, W1=np.ones((8, 2)), W2=np.ones(2))
    code = main(["certify-network", "--weights", str(weights), "--data", _data(tmp_path, X, y)])
    assert code == 1
    assert "does not interpolate" in capsys.readouterr().out


def test_bad_inputs_one_line(tmp_path, capsys):
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((6, 4)), rng.standard_normal(6)
    data = _data(tmp_path, X, y)
    only_one = tmp_path / "one.npz"
    np.savez(only_one, W1=np.ones((4, 2)))
    _one_line_error(capsys, ["certify-network", "--weights", str(only_one), "--data", data],
                    "needs at least W1 and W2")
    typo = tmp_path / "typo.npz"
    np.savez(typo, W1=np.ones((4, 2)), W2=np.ones(2), w3=np.ones(2))
    _one_line_error(capsys, ["certify-network", "--weights", str(typo), "--data", data],
                    "unexpected arrays w3")
    wrong_d = tmp_path / "wrong_d.npz"
    np.savez(wrong_d, W1=np.ones((3, 2)), W2=np.ones(2))
    _one_line_error(capsys, ["certify-network", "--weights", str(wrong_d), "--data", data],
                    "input features")
    nan = tmp_path / "nan.npz"
    np.savez(nan, W1=np.full((4, 2), np.nan), W2=np.ones(2))
    _one_line_error(capsys, ["certify-network", "--weights", str(nan), "--data", data,
                             "--beta", "1"], "NaN")
    relu = tmp_path / "relu.npz"
    np.savez(relu, W1=np.ones((4, 2)), W2=np.ones(2), activation="relu")
    _one_line_error(capsys, ["certify-network", "--weights", str(relu), "--data", data,
                             "--family", "linear"], "does not match")
    biased = tmp_path / "biased.npz"
    np.savez(biased, W1=np.ones((4, 2)), W2=np.ones(2), b1=np.ones(2))
    _one_line_error(capsys, ["certify-network", "--weights", str(biased), "--data", data,
                             "--beta", "1"], "without biases")
    _one_line_error(capsys, ["certify-network", "--weights", str(tmp_path / "missing.npz"),
                             "--data", data], "does not exist")
    bad_act = tmp_path / "act.npz"
    np.savez(bad_act, W1=np.ones((4, 2)), W2=np.ones(2), activation="tanh")
    _one_line_error(capsys, ["certify-network", "--weights", str(bad_act), "--data", data],
                    "activation")


def test_console_entry_point(tmp_path):
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((6, 9)), rng.standard_normal(6)
    cert = cvxdual.certify(X, y)
    weights = tmp_path / "opt.npz"
    save_network_npz(weights, cert.network)
    run = subprocess.run([sys.executable, "-m", "cvxdual.cli", "certify-network", "--weights",
                          str(weights), "--data", _data(tmp_path, X, y), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["globally_optimal"] is True
    assert out["objective"] == pytest.approx(min_norm_reference(X, y), rel=1e-7)
