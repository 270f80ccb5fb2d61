"""The bad-input catalogue: every rejected input raises its ``CvxdualError`` subclass with a
message that names the fix.

One parametrized test per group of README's "Bad input" table, then arrays, parameters, files
and command-line arguments (the command exits 2 with one line and no traceback). Each case is
``(id, call, error class, pattern the message must match)``; the pattern is the fix the message
names, not just the error's class.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import cvxdual as cd
import cvxdual.io as io_module
from cvxdual import semi_infinite
from cvxdual.cli import main
from cvxdual.data import MAX_ABS, RANGE_TOL
from cvxdual.errors import (
    CvxdualError,
    DataError,
    DataFileError,
    InfeasibleError,
    ParameterError,
    UnsupportedError,
)
from cvxdual.losses import get_loss

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 3))
Y = RNG.standard_normal(6)
YV = RNG.standard_normal((6, 2))
LABELS = np.where(Y >= 0, 1.0, -1.0)
ONE_HOT = np.eye(3)[[0, 1, 2, 0, 1, 2]]
LINE = np.linspace(0.5, 2.0, 6)[:, None]
RANK_ONE = np.outer(np.linspace(0.5, 2.0, 6), [1.0, -2.0])
WIDE = RNG.standard_normal((3, 5))
NET = [RNG.standard_normal((3, 2)), RNG.standard_normal(2)]

Case = tuple[str, Callable[[], object], type[CvxdualError], str]


def _cases(*cases: Case):
    return pytest.mark.parametrize("call, error, pattern",
                                   [pytest.param(c, e, p, id=i) for i, c, e, p in cases])


def _check(call: Callable[[], object], error: type[CvxdualError], pattern: str) -> None:
    with pytest.raises(error, match=pattern) as info:
        call()
    # One clear message: no traceback text, no chained exception from numpy/cvxpy shown.
    assert "Traceback" not in str(info.value)
    assert info.value.__suppress_context__ or info.value.__cause__ is None


# --- README rows: arrays ------------------------------------------------------------------------

@_cases(
    ("X-1d", lambda: cd.certify(X[:, 0], Y), DataError, r"reshape\(-1, 1\)"),
    ("X-3d", lambda: cd.certify(X[None], Y), DataError, r"2-D with shape \(n, d\)"),
    ("Y-0d", lambda: cd.certify(X, 1.0), DataError, r"shape \(n,\) for scalar"),
    ("Y-3d", lambda: cd.certify(X, Y[:, None, None]), DataError, r"\(n, k\) for vector"),
    ("rows", lambda: cd.certify(X, Y[:4]), DataError, "same number of rows"),
    ("X-empty", lambda: cd.certify(np.zeros((0, 3)), np.zeros(0)), DataError, "at least one"),
    ("X-no-features", lambda: cd.certify(np.zeros((6, 0)), Y), DataError, "at least one"),
    ("Y-no-columns", lambda: cd.certify(X, np.zeros((6, 0))), DataError, "k >= 1"),
    ("X-nan", lambda: cd.certify(np.where(X > 1, np.nan, X), Y), DataError, "impute"),
    ("Y-inf", lambda: cd.certify(X, np.r_[np.inf, Y[1:]]), DataError, "impute"),
    ("X-object", lambda: cd.certify(X.astype(object), Y), DataError, "dtype=float"),
    ("X-string", lambda: cd.certify(X.astype(str), Y), DataError, "dtype=float"),
    ("X-complex", lambda: cd.certify(X + 1j, Y), DataError, r"\.real"),
    ("Y-complex", lambda: cd.certify(X, Y + 0j), DataError, r"\.real"),
    ("X-ragged", lambda: cd.certify([[1.0, 2.0], [3.0]], [1.0, 2.0]), DataError, "NumPy array"),
    ("X-datetime", lambda: cd.certify(np.zeros((2, 2), "datetime64[s]"), [1.0, 2.0]),
     DataError, "real numbers"),
    ("X-masked", lambda: cd.certify(np.ma.masked_greater(X, 1.0), Y), DataError, "filled"),
    ("X-overflow", lambda: cd.certify(X * 1e300, Y, beta=1.0), DataError, "rescale"),
    ("Y-overflow", lambda: cd.certify(X, Y * 1e160, beta=1.0), DataError, "rescale"),
)
def test_arrays(call, error, pattern):
    _check(call, error, pattern)


def test_magnitude_limit_edges():
    """Just inside MAX_ABS the data is accepted and the value finite; just outside, an error."""
    inside = X / np.abs(X).max() * MAX_ABS * 0.5
    cert = cd.certify(inside, Y, beta=1.0)
    assert np.isfinite(cert.training_value) and np.isfinite(cert.dual_value)
    with pytest.raises(DataError, match="beyond 1e\\+150"):
        cd.certify(X / np.abs(X).max() * MAX_ABS * 2.0, Y, beta=1.0)


# --- README rows: parameters --------------------------------------------------------------------

@_cases(
    ("beta-zero", lambda: cd.certify(X, Y, beta=0.0), ParameterError, "beta=None"),
    ("beta-negative", lambda: cd.certify(X, Y, beta=-1.0), ParameterError, "beta=None"),
    ("beta-nan", lambda: cd.certify(X, Y, beta=float("nan")), ParameterError, "finite"),
    ("beta-inf", lambda: cd.certify(X, Y, beta=float("inf")), ParameterError, "finite"),
    ("beta-bool", lambda: cd.certify(X, Y, beta=True), ParameterError, "positive number"),
    ("beta-string", lambda: cd.certify(X, Y, beta="1"), ParameterError, "positive number"),
    ("beta-complex", lambda: cd.certify(X, Y, beta=1j), ParameterError, "positive number"),
    ("beta-array", lambda: cd.certify(X, Y, beta=np.array([1.0])), ParameterError,
     "positive scalar"),
    ("family", lambda: cd.certify(X, Y, family="cnn"), ParameterError, "choose one of"),
    ("family-none", lambda: cd.certify(X, Y, family=None), ParameterError, "choose one of"),
    ("loss", lambda: cd.certify(X, Y, beta=1.0, loss="l3"), ParameterError, "choose one of"),
    ("solver", lambda: cd.certify(X, Y, beta=1.0, method="cvxpy", solver="NOPE"),
     ParameterError, "installed solvers"),
    ("solver-type", lambda: cd.certify(X, Y, beta=1.0, method="cvxpy", solver=3),
     ParameterError, "such as 'CLARABEL'"),
    ("linear-depth", lambda: cd.certify(X, Y, depth=3), ParameterError, "deep-linear"),
    ("method", lambda: cd.certify(X, Y, beta=1.0, method="newton"), ParameterError,
     "'auto', 'cvxpy', 'fast'"),
    ("method-none", lambda: cd.certify(X, Y, beta=1.0, method=None), ParameterError,
     "'auto', 'cvxpy', 'fast'"),
    ("rtol", lambda: cd.certify(X, Y, beta=1.0, rtol=-1.0), ParameterError, ">= 0"),
    ("atol", lambda: cd.certify(X, Y, beta=1.0, atol="a"), ParameterError, ">= 0"),
    ("feas_tol", lambda: cd.certify(X, Y, beta=1.0, feas_tol=float("nan")), ParameterError,
     ">= 0"),
)
def test_parameters(call, error, pattern):
    _check(call, error, pattern)


@_cases(
    ("depth-1", lambda: cd.certify(X, Y, family="deep-linear", depth=1), ParameterError,
     ">= 2"),
    ("depth-float", lambda: cd.certify(X, Y, family="deep-linear", depth=2.0), ParameterError,
     "integer"),
    ("depth-bool", lambda: cd.certify(X, Y, family="deep-linear", depth=True), ParameterError,
     "integer"),
    ("widths-length", lambda: cd.certify(X, Y, family="deep-linear", depth=3, widths=(2,)),
     ParameterError, "one positive integer per hidden layer"),
    ("widths-negative", lambda: cd.certify(X, Y, family="deep-linear", depth=3,
                                           widths=(-1, 2)),
     ParameterError, "positive integer"),
    ("widths-float", lambda: cd.certify(X, Y, family="deep-linear", depth=3,
                                        widths=(1.5, 2)),
     ParameterError, "positive integer"),
    ("widths-string", lambda: cd.certify(X, Y, family="deep-linear", depth=3, widths="ab"),
     ParameterError, "positive integer"),
    ("widths-below-rank", lambda: cd.certify(X, YV, family="deep-linear", depth=3, beta=1e-3,
                                             widths=(1, 1)),
     ParameterError, "rank"),
    ("widths-linear", lambda: cd.certify(X, Y, beta=1.0, widths=(2,)), ParameterError,
     "widths"),
)
def test_depth_and_widths(call, error, pattern):
    _check(call, error, pattern)


@_cases(
    ("logistic-01", lambda: cd.certify(X, (Y > 0).astype(float), beta=1.0, loss="logistic"),
     DataError, r"2 \* Y - 1"),
    ("hinge-values", lambda: cd.certify(X, Y, beta=1.0, loss="hinge"), DataError, "-1, \\+1"),
    ("ce-1d", lambda: cd.certify(X, Y, beta=1.0, loss="cross-entropy"), DataError,
     r"np\.eye\(k\)\[c\]"),
    ("ce-one-column", lambda: cd.certify(X, np.ones((6, 1)), beta=1.0, loss="cross-entropy"),
     DataError, "one column per class"),
    ("ce-not-one-hot", lambda: cd.certify(X, np.abs(YV), beta=1.0, loss="cross-entropy"),
     DataError, r"np\.eye\(k\)\[c\]"),
    ("loss-min-norm", lambda: cd.certify(X, LABELS, loss="logistic"), ParameterError,
     "beta > 0"),
    ("huber-delta", lambda: cd.certify(X, Y, beta=1.0, loss=get_loss("huber", delta=-1.0)),
     ParameterError, "delta > 0"),
    ("loss-parameter", lambda: get_loss("huber", width=1.0), ParameterError, "delta"),
    ("loss-deep", lambda: cd.certify(X, Y, family="deep-linear", depth=3, beta=1.0,
                                     loss="absolute"),
     UnsupportedError, "squared"),
    ("loss-relu-deep", lambda: cd.certify(LINE, Y, family="relu", depth=3, beta=1.0,
                                          loss="absolute"),
     UnsupportedError, "depth"),
    ("loss-fast", lambda: cd.certify(X, Y, beta=1.0, loss="absolute", method="fast"),
     UnsupportedError, "cvxpy|auto"),
)
def test_losses_and_labels(call, error, pattern):
    _check(call, error, pattern)


@_cases(
    ("relu-deep-not-rank-one", lambda: cd.certify(X, Y, family="relu", depth=3),
     DataError, "rank one|rank-one"),
    ("relu-deep-both-signs", lambda: cd.certify(np.linspace(-1, 1, 6)[:, None], Y,
                                                family="relu", depth=3),
     DataError, "Shift"),
    ("relu-vector-rank-one", lambda: cd.certify(LINE, YV, family="relu", depth=3),
     DataError, "scalar|vector"),
    ("relu-general-vector", lambda: cd.certify(X, YV, family="relu", beta=1.0),
     UnsupportedError, "scalar|vector"),
    ("relu-general-widths", lambda: cd.certify(X, Y, family="relu", beta=1.0, widths=(4,)),
     UnsupportedError, "widths"),
    ("relu-duplicate-inputs", lambda: cd.certify(np.r_[X, X[:1]], np.r_[Y, Y[0] + 1.0],
                                                 family="relu"),
     InfeasibleError, "beta"),
    ("relu-fast", lambda: cd.certify(LINE, Y, family="relu", method="fast"),
     UnsupportedError, "auto|cvxpy"),
    ("bias-linear", lambda: cd.certify(X, Y, beta=1.0, bias=False), ParameterError, "relu"),
    ("bias-type", lambda: cd.certify(LINE, Y, family="relu", bias="yes"), ParameterError,
     "True|False|boolean"),
    ("relu-no-bias-unreachable", lambda: cd.certify(LINE, Y, family="relu", bias=False),
     InfeasibleError, "bias"),
)
def test_relu_family(call, error, pattern):
    _check(call, error, pattern)


@_cases(
    ("min-norm-out-of-range", lambda: cd.certify(X, Y), InfeasibleError, "beta > 0"),
    ("deep-min-norm-out-of-range", lambda: cd.certify(X, Y, family="deep-linear", depth=3),
     InfeasibleError, "beta > 0"),
    ("path-empty", lambda: cd.certify_path(X, Y, betas=[]), ParameterError, "geomspace"),
    ("path-2d", lambda: cd.certify_path(X, Y, betas=[[1.0]]), ParameterError, "1-D"),
    ("path-negative", lambda: cd.certify_path(X, Y, betas=[1.0, -1.0]), ParameterError,
     "> 0"),
    ("path-nan", lambda: cd.certify_path(X, Y, betas=[1.0, np.nan]), ParameterError,
     "finite"),
    ("path-none", lambda: cd.certify_path(X, Y, betas=None), ParameterError, "1-D"),
    ("path-string", lambda: cd.certify_path(X, Y, betas="ab"), ParameterError, "1-D"),
)
def test_feasibility_and_paths(call, error, pattern):
    _check(call, error, pattern)


def test_range_tolerance_edges():
    """Minimum norm accepts Y within RANGE_TOL of the range of X, and refuses it just beyond."""
    Xt = RNG.standard_normal((8, 3))
    inside = Xt @ RNG.standard_normal(3)
    normal = np.linalg.svd(Xt, full_matrices=True)[0][:, -1]  # orthogonal to range(X)
    for factor, accepted in ((0.5, True), (2.0, False)):
        y = inside + factor * RANGE_TOL * np.linalg.norm(inside) * normal
        if accepted:
            cert = cd.certify(Xt, y)
            assert cert.certified
            reference = 2 * np.linalg.norm(np.linalg.pinv(Xt) @ y)
            assert abs(cert.training_value - reference) <= 1e-6 * reference
        else:
            with pytest.raises(InfeasibleError, match="beta > 0"):
                cd.certify(Xt, y)


@_cases(
    ("train-widths-length", lambda: cd.train(X, Y, widths=(2, 2), beta=1.0), ParameterError,
     "one"),
    ("train-widths-zero", lambda: cd.train(X, Y, widths=(0,), beta=1.0), ParameterError,
     "positive integer"),
    ("train-widths-empty", lambda: cd.train(X, Y, widths=(), beta=1.0), ParameterError,
     "widths"),
    ("train-beta-none", lambda: cd.train(X, Y, widths=(3,), beta=None), ParameterError,
     "small beta"),
    ("train-method", lambda: cd.train(X, Y, widths=(3,), beta=1.0, method="adam"),
     ParameterError, "method"),
    ("train-restarts", lambda: cd.train(X, Y, widths=(3,), beta=1.0, restarts=0),
     ParameterError, "restarts"),
    ("train-max-iter", lambda: cd.train(X, Y, widths=(3,), beta=1.0, max_iter=0),
     ParameterError, "max_iter"),
)
def test_train(call, error, pattern):
    _check(call, error, pattern)


@_cases(
    ("cn-input-dim", lambda: cd.certify_network([np.ones((4, 2)), np.ones(2)], X, Y, beta=1.0),
     DataError, r"pass X of shape \(n, 4\)"),
    ("cn-output", lambda: cd.certify_network(NET, X, YV, beta=1.0), DataError, r"\(n, k\)"),
    ("cn-relu-vector", lambda: cd.certify_network([np.ones((3, 2)), np.ones((2, 2))], X, YV,
                                                  beta=1.0, family="relu"),
     DataError, "scalar|vector"),
    ("cn-chain", lambda: cd.certify_network([np.ones((3, 2)), np.ones(4)], X, Y, beta=1.0),
     ParameterError, "chain"),
    ("cn-nan", lambda: cd.certify_network([np.full((3, 2), np.nan), np.ones(2)], X, Y,
                                          beta=1.0),
     ParameterError, "NaN"),
    ("cn-one-layer", lambda: cd.certify_network([np.ones((3, 2))], X, Y, beta=1.0),
     ParameterError, "at least two"),
    ("cn-not-arrays", lambda: cd.certify_network([object(), object()], X, Y, beta=1.0),
     ParameterError, "numeric array"),
    ("cn-linear-deep", lambda: cd.certify_network([np.ones((3, 2)), np.ones((2, 2)),
                                                   np.ones(2)], X, Y, beta=1.0,
                                                  family="linear"),
     ParameterError, "deep-linear"),
    ("cn-rtol", lambda: cd.certify_network(NET, X, Y, beta=1.0, rtol=-1.0), ParameterError,
     ">= 0"),
    ("cn-linear-biases", lambda: cd.certify_network(NET, X, Y, beta=1.0, biases=[np.ones(2)]),
     UnsupportedError, "bias"),
)
def test_certify_network(call, error, pattern):
    _check(call, error, pattern)


@_cases(
    ("si-neurons-shape", lambda: semi_infinite.exchange(semi_infinite.ReluNeurons(X), Y,
                                                        beta=1.0, neurons=np.ones((3, 2))),
     ParameterError, r"shape \(4, m\)"),
    ("si-zero-neuron", lambda: semi_infinite.exchange(semi_infinite.ReluNeurons(X), Y,
                                                      beta=1.0, neurons=np.zeros((4, 2))),
     ParameterError, "zero|nonzero"),
    ("si-max-iter", lambda: semi_infinite.exchange(semi_infinite.ReluNeurons(X), Y, beta=1.0,
                                                   max_iter=0),
     ParameterError, "positive integer"),
    ("si-initial", lambda: semi_infinite.exchange(semi_infinite.ReluNeurons(X), Y, beta=1.0,
                                                  initial=1.5),
     ParameterError, "positive integer"),
    ("si-rtol", lambda: semi_infinite.exchange(semi_infinite.ReluNeurons(X), Y, beta=1.0,
                                               rtol=-1.0),
     ParameterError, "finite number > 0"),
    ("si-family", lambda: semi_infinite.exchange("relu", Y, beta=1.0), ParameterError,
     "LinearNeurons, ReluNeurons"),
    ("si-vector-relu", lambda: semi_infinite.exchange(semi_infinite.ReluNeurons(X), YV,
                                                      beta=1.0),
     UnsupportedError, "scalar outputs"),
    ("si-unreachable", lambda: semi_infinite.exchange(semi_infinite.LinearNeurons(X), Y),
     InfeasibleError, "not reachable"),
)
def test_semi_infinite(call, error, pattern):
    _check(call, error, pattern)


# --- files --------------------------------------------------------------------------------------

def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _file_cases(tmp: Path) -> dict[str, tuple[Path, str]]:
    np.savez(tmp / "no_y.npz", X=X)
    np.save(tmp / "single.npy", X)
    np.savez(tmp / "objects.npz", X=np.array([{"a": 1}] * 6, dtype=object), Y=Y)
    np.savez(tmp / "good.npz", X=X, Y=Y)
    corrupt = (tmp / "good.npz").read_bytes()
    return {
        "missing": (tmp / "absent.npz", "does not exist"),
        "directory": (tmp, "directory"),
        "not-npz": (_write(tmp / "text.npz", b"X,Y\n1,2\n"), "not a readable .npz"),
        "single-array": (tmp / "single.npy", "single array"),
        "missing-key": (tmp / "no_y.npz", "no array Y"),
        "object-arrays": (tmp / "objects.npz", "object arrays"),
        "truncated": (_write(tmp / "truncated.npz", corrupt[: len(corrupt) // 2]),
                      "not a readable .npz|could not read"),
        "empty-file": (_write(tmp / "empty.npz", b""), "not a readable .npz"),
    }


@pytest.mark.parametrize("name", ["missing", "directory", "not-npz", "single-array",
                                  "missing-key", "object-arrays", "truncated", "empty-file"])
def test_data_files(tmp_path, name):
    path, pattern = _file_cases(tmp_path)[name]
    with pytest.raises(DataFileError, match=pattern) as info:
        io_module.load_npz(path)
    assert "np.savez" in str(info.value) or "numeric arrays" in str(info.value) \
        or "pass an .npz" in str(info.value)


def test_huge_archive_is_refused_before_decompressing(tmp_path, monkeypatch):
    """A compressed archive expanding beyond MAX_NPZ_BYTES is refused from its zip directory."""
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, X=np.zeros((2000, 500)), Y=np.zeros(2000))  # 8 MB of zeros
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(io_module, "MAX_NPZ_BYTES", 4_000_000)
    with pytest.raises(DataFileError, match="MAX_NPZ_BYTES"):
        io_module.load_npz(path)
    with pytest.raises(DataFileError, match="MAX_NPZ_BYTES"):
        io_module.load_network_npz(path)
    # Just inside the limit the same file loads.
    monkeypatch.setattr(io_module, "MAX_NPZ_BYTES", 9_000_000)
    X_loaded, Y_loaded = io_module.load_npz(path)
    assert X_loaded.shape == (2000, 500) and Y_loaded.shape == (2000,)
    with zipfile.ZipFile(path) as archive:
        assert sum(i.file_size for i in archive.infolist()) <= io_module.MAX_NPZ_BYTES


@pytest.mark.parametrize("name", ["missing", "not-npz", "truncated"])
def test_weight_files(tmp_path, name):
    path, _ = _file_cases(tmp_path)[name]
    with pytest.raises(DataFileError, match="W1=W1"):
        io_module.load_network_npz(path)


def test_weight_file_without_w2(tmp_path):
    np.savez(tmp_path / "w.npz", W1=np.ones((3, 2)))
    with pytest.raises(DataFileError, match="W2"):
        io_module.load_network_npz(tmp_path / "w.npz")


# --- command line -------------------------------------------------------------------------------

def _cli_cases(tmp: Path) -> dict[str, list[str]]:
    files = _file_cases(tmp)
    good = str(tmp / "good.npz")
    np.savez(tmp / "inf.npz", X=np.where(X > 1, np.inf, X), Y=Y)
    return {
        "no-command": [],
        "unknown-command": ["fit"],
        "missing-data": ["certify", "--family", "linear"],
        "missing-family": ["certify", "--data", good],
        "beta-text": ["certify", "--family", "linear", "--data", good, "--beta", "abc"],
        "beta-negative": ["certify", "--family", "linear", "--data", good, "--beta", "-1"],
        "beta-nan": ["certify", "--family", "linear", "--data", good, "--beta", "nan"],
        "depth-text": ["certify", "--family", "deep-linear", "--data", good, "--depth", "x"],
        "depth-one": ["certify", "--family", "deep-linear", "--data", good, "--depth", "1"],
        "widths-text": ["certify", "--family", "deep-linear", "--data", good, "--depth", "3",
                        "--widths", "a,b"],
        "widths-zero": ["certify", "--family", "deep-linear", "--data", good, "--depth", "3",
                        "--widths", "0,2"],
        "family": ["certify", "--family", "cnn", "--data", good],
        "loss": ["certify", "--family", "linear", "--data", good, "--beta", "1", "--loss", "l3"],
        "labels": ["certify", "--family", "linear", "--data", good, "--beta", "1", "--loss",
                   "logistic"],
        "method": ["certify", "--family", "linear", "--data", good, "--method", "newton"],
        "solver": ["certify", "--family", "linear", "--data", good, "--beta", "1", "--method",
                   "cvxpy", "--solver", "NOPE"],
        "infeasible": ["certify", "--family", "linear", "--data", good],
        "missing-file": ["certify", "--family", "linear", "--data", str(files["missing"][0])],
        "not-npz": ["certify", "--family", "linear", "--data", str(files["not-npz"][0])],
        "missing-key": ["certify", "--family", "linear", "--data", str(files["missing-key"][0])],
        "truncated": ["certify", "--family", "linear", "--data", str(files["truncated"][0])],
        "inf-entries": ["certify", "--family", "linear", "--data", str(tmp / "inf.npz"),
                        "--beta", "1"],
        "suite": ["bench", "--suite", "nope"],
        "weights-missing": ["certify-network", "--weights", str(files["missing"][0]), "--data",
                            good, "--beta", "1"],
        "tour-seed": ["tour", "--seed", "x"],
    }


CLI_NAMES = ["no-command", "unknown-command", "missing-data", "missing-family", "beta-text",
             "beta-negative", "beta-nan", "depth-text", "depth-one", "widths-text",
             "widths-zero", "family", "loss", "labels", "method", "solver", "infeasible",
             "missing-file", "not-npz", "missing-key", "truncated", "inf-entries", "suite",
             "weights-missing", "tour-seed"]


@pytest.mark.parametrize("name", CLI_NAMES)
def test_cli_exits_2_with_one_line(tmp_path, capsys, name):
    argv = _cli_cases(tmp_path)[name]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    captured = capsys.readouterr()
    assert code == 2, (code, captured.err)
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("cvxdual") and "Traceback" not in captured.err
    assert captured.out == ""


@pytest.mark.parametrize("name", ["beta-text", "missing-file", "not-npz", "labels", "family"])
def test_cli_subprocess_has_no_traceback(tmp_path, name):
    argv = _cli_cases(tmp_path)[name]
    run = subprocess.run([sys.executable, "-m", "cvxdual.cli", *argv], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
