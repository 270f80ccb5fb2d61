"""The paper's figures at tiny size: every task runs and reports a measured verdict."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from cvxdual.cli import main
from cvxdual.errors import ParameterError

SUITE = Path(__file__).resolve().parents[1] / "benchmarks" / "paper" / "suite.py"
FIGURES = ["fig1", "fig2a", "fig2b", "fig3", "fig4", "fig5a", "fig5b", "fig6"]
KEYS = {"name", "claim", "verdict", "evidence", "command", "seconds", "png"}
VERDICTS = {"holds", "holds with caveat", "does not hold"}


def _load_suite():
    spec = importlib.util.spec_from_file_location("paper_suite_under_test", SUITE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    suite = _load_suite()
    out = tmp_path_factory.mktemp("paper")
    results = [suite.TASKS[name](out, "tiny") for name in suite.TASKS]
    return suite, out, results


def test_tasks_are_the_figures_in_order(tiny_run):
    suite, _, _ = tiny_run
    assert list(suite.TASKS) == FIGURES


@pytest.mark.parametrize("index", range(len(FIGURES)))
def test_every_figure_writes_png_and_json_with_a_measured_verdict(tiny_run, index):
    _, out, results = tiny_run
    result = results[index]
    name = FIGURES[index]
    assert KEYS <= set(result) and result["name"] == name
    assert result["verdict"] in VERDICTS
    assert any(ch.isdigit() for ch in result["evidence"])          # numbers, not a slogan
    assert result["command"].startswith(f"cvxdual reproduce {name} ")
    assert result["seconds"] > 0 and result["png"] == f"{name}.png"
    assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    on_disk = json.loads((out / f"{name}.json").read_text())
    assert {k: on_disk[k] for k in KEYS} == {k: result[k] for k in KEYS}


def test_index_names_every_figure_with_its_image_and_verdict(tiny_run):
    suite, out, results = tiny_run
    page = suite.write_index(out, results).read_text()
    for result in results:
        assert f'id="{result["name"]}"' in page and f'src="{result["png"]}"' in page
        assert result["verdict"] in page
    assert "http" not in page                                        # no external assets


def test_fig2a_breakpoints_equal_singular_values_when_columns_are_orthonormal(tiny_run):
    # Independent of the figure's bisection: with XᵀX = I the optimal V is XᵀY soft-
    # thresholded at β, so rank r is lost exactly at β = σ_r(XᵀY).
    _, out, _ = tiny_run
    data = json.loads((out / "fig2a.json").read_text())["data"]
    rng = np.random.default_rng(0)
    X = np.linalg.qr(rng.standard_normal((30, 20)))[0]
    Y = rng.standard_normal((30, 5))
    sigma = np.linalg.svd(X.T @ Y, compute_uv=False)
    np.testing.assert_allclose(data["orthonormal"]["exact_breakpoints"], sigma, rtol=1e-3)
    assert data["orthonormal"]["all_certified"] and data["gaussian"]["all_certified"]


def test_fig5b_certified_singular_values_follow_the_soft_threshold(tiny_run):
    _, out, _ = tiny_run
    data = json.loads((out / "fig5b.json").read_text())["data"]
    betas, sigma = np.array(data["betas"]), np.array(data["sigma_XtY"])
    closed = np.sqrt(np.clip(sigma[None, :] - betas[:, None], 0.0, None))
    np.testing.assert_allclose(data["certified_sv"], closed, atol=1e-6)


def test_bad_size_is_rejected():
    suite = _load_suite()
    with pytest.raises(ParameterError, match="size must be one of"):
        suite.TASKS["fig3"](Path("unused"), "huge")


def test_cli_runs_one_figure(tmp_path, capsys):
    assert main(["reproduce", "fig4", "--size", "tiny", "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[0] == "fig4" and lines[-1].startswith("index: ")
    assert {p.name for p in tmp_path.iterdir()} == {"fig4.png", "fig4.json", "index.html"}


def test_cli_rejects_an_unknown_figure(tmp_path, capsys):
    assert main(["reproduce", "fig9", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown figure fig9" in err
    assert not any(tmp_path.iterdir())
