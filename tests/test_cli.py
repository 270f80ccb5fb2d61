"""The command-line tool: certify from .npz files, the tour, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from cvxdual.cli import main
from cvxdual.tour import EXAMPLES
from cvxdual.validation import LOSSES


@pytest.fixture
def data_file(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 30))
    y = rng.standard_normal(12)
    path = tmp_path / "data.npz"
    np.savez(path, X=X, Y=y)
    return path, X, y


def test_certify_json_min_norm(data_file, capsys):
    path, X, y = data_file
    code = main(["certify", "--family", "linear", "--data", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["certified"] is True
    expected = 2 * np.linalg.norm(np.linalg.pinv(X) @ y)
    assert out["training_value"] == pytest.approx(expected, rel=1e-6)
    W1, w2 = (np.array(w) for w in out["network"]["weights"])
    assert np.sum(W1**2) + np.sum(w2**2) == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(X @ W1 @ w2, y, atol=1e-6)
    for key in ("primal_value", "dual_value", "gap", "rel_gap", "neurons", "closed_form",
                "primal_status", "dual_status", "timings"):
        assert key in out


def test_certify_text_regularized(data_file, capsys):
    path, _, _ = data_file
    code = main(["certify", "--family", "linear", "--data", str(path), "--beta", "0.5"])
    out = capsys.readouterr().out
    assert code == 0
    assert "certified       yes" in out and "regularized (1)" in out


def _one_line_error(capsys, argv, fragment, code=2):
    assert main(argv) == code
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("cvxdual:") and fragment in lines[0]
    assert "Traceback" not in captured.err


def _exit_code(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cvxdual: error:"), captured.err
    return info.value.code, lines[0]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["certify", "--family", "linear"], "--data"),
        (["certify", "--family", "linear", "--data", "x.npz", "--beta", "abc"], "invalid float"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
        (["certify", "--family", "deep-linear", "--data", "x.npz", "--widths", "5,a"],
         "comma-separated"),
        (["certify", "--family", "deep-linear", "--data", "x.npz", "--widths", "5,0"],
         "positive"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(capsys, argv, fragment):
    code, line = _exit_code(capsys, argv)
    assert code == 2 and fragment in line


def test_bad_inputs_exit_2_with_one_line(tmp_path, data_file, capsys):
    path, X, y = data_file
    base = ["certify", "--family", "linear", "--data"]
    _one_line_error(capsys, [*base, str(tmp_path / "missing.npz")], "does not exist")
    text = tmp_path / "text.npz"
    text.write_text("not an archive")
    _one_line_error(capsys, [*base, str(text)], "not a readable .npz")
    single = tmp_path / "single.npy"
    np.save(single, X)
    _one_line_error(capsys, [*base, str(single)], "single array")
    nokeys = tmp_path / "nokeys.npz"
    np.savez(nokeys, A=X, B=y)
    _one_line_error(capsys, [*base, str(nokeys)], "no array X or Y")
    objects = tmp_path / "objects.npz"
    np.savez(objects, X=np.array([[1, "a"]], dtype=object), Y=np.ones(1))
    _one_line_error(capsys, [*base, str(objects)], "object")
    _one_line_error(capsys, [*base, str(tmp_path)], "directory")
    _one_line_error(capsys, [*base, str(path), "--beta", "-1"], "beta must be > 0")
    _one_line_error(capsys, [*base, str(path), "--beta", "nan"], "finite")
    _one_line_error(capsys, ["certify", "--family", "cnn", "--data", str(path)], "unknown family")
    _one_line_error(capsys, ["certify", "--family", "relu", "--depth", "3", "--data", str(path)],
                    "rank-one")
    _one_line_error(capsys, [*base, str(path), "--loss", "l3"], "unknown loss")
    _one_line_error(capsys, [*base, str(path), "--depth", "3"], "depth must be 2")
    _one_line_error(capsys, [*base, str(path), "--widths", "4"], "widths applies to")
    deep = ["certify", "--family", "deep-linear", "--data", str(path)]
    _one_line_error(capsys, [*deep, "--depth", "1"], "depth must be >= 2")
    _one_line_error(capsys, [*deep, "--depth", "3", "--widths", "4"], "one positive integer per")
    nan = tmp_path / "nan.npz"
    np.savez(nan, X=np.array([[np.nan, 1.0]]), Y=np.ones(1))
    _one_line_error(capsys, [*base, str(nan)], "NaN")
    rows = tmp_path / "rows.npz"
    np.savez(rows, X=X, Y=y[:-1])
    _one_line_error(capsys, [*base, str(rows)], "same number of rows")
    cube = tmp_path / "cube.npz"
    np.savez(cube, X=X, Y=np.ones((12, 2, 2)))
    _one_line_error(capsys, [*base, str(cube)], "3 dimensions")
    tall = tmp_path / "tall.npz"
    rng = np.random.default_rng(3)
    np.savez(tall, X=rng.standard_normal((20, 3)), Y=rng.standard_normal(20))
    _one_line_error(capsys, [*base, str(tall)], "not in the range of X")


def test_installed_entry_point_runs_as_a_module(data_file):
    path, _, _ = data_file
    result = subprocess.run(
        [sys.executable, "-m", "cvxdual.cli", "certify", "--family", "linear", "--data",
         str(path), "--beta", "nan"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_tour_certifies_every_example(capsys):
    assert main(["tour"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    for column in ("family", "form", "training", "primal", "dual", "gap", "closed",
                   "certified", "seconds"):
        assert column in header
    bounds = sum(example.bounds_only for example in EXAMPLES)
    summary = f"{len(EXAMPLES) - bounds} of {len(EXAMPLES) - bounds} certified; {bounds} case(s)"
    assert "NO" not in out and summary in out and "(consistent)" in out


def test_tour_json(capsys):
    assert main(["tour", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(EXAMPLES) >= 22
    assert {row["family"] for row in rows} == {"linear", "deep-linear", "relu"}
    assert {row["loss"] for row in rows} == set(LOSSES)
    for row in rows:
        assert row["passed"]
        assert row["certified"] is not row["bounds_only"]
        assert row["dual_value"] <= row["training_value"] * (1 + 1e-9) + 1e-12


def test_certify_relu_spline_and_no_bias(tmp_path, capsys):
    x = np.array([0.0, 0.5, 1.5, 2.0, 3.0])
    path = tmp_path / "spline.npz"
    np.savez(path, X=x[:, None], Y=np.array([0.0, 1.0, 0.0, 2.0, 1.0]))
    code = main(["certify", "--family", "relu", "--depth", "3", "--data", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["certified"] is True and out["network"]["activation"] == "relu"
    line = tmp_path / "line.npz"
    np.savez(line, X=x[:, None], Y=3.0 * x)
    code = main(["certify", "--family", "relu", "--no-bias", "--data", str(line), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["certified"] is True
    assert out["training_value"] == pytest.approx(2 * 3.0 * np.linalg.norm(x) / np.linalg.norm(x))
    _one_line_error(capsys, ["certify", "--family", "relu", "--no-bias", "--data", str(path)],
                    "multiple of c")


def test_certify_deep_linear_with_widths(data_file, capsys):
    path, X, y = data_file
    code = main(["certify", "--family", "deep-linear", "--depth", "4", "--widths", "5,3,4",
                 "--data", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["certified"] is True and out["depth"] == 4
    expected = 4 * np.linalg.norm(np.linalg.pinv(X) @ y) ** 0.5
    assert out["training_value"] == pytest.approx(expected, rel=1e-6)
    shapes = [np.array(w).shape for w in out["network"]["weights"]]
    assert shapes == [(30, 5), (5, 3), (3, 4), (4,)]
