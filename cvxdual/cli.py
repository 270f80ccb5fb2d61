"""The ``cvxdual`` command.

``cvxdual certify --family F --data FILE.npz [--beta B] [--depth L] [--loss NAME] [--json]``
certifies one problem; ``cvxdual tour`` certifies the built-in examples.

Exit codes: 0 certified (or the tour all certified), 1 computed but not certified,
2 bad input or usage (one line on standard error, no traceback), 3 the solver failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

from cvxdual import __version__
from cvxdual.certificate import certify
from cvxdual.errors import CvxdualError, SolverError
from cvxdual.io import load_npz
from cvxdual.validation import FAMILIES, LOSSES

__all__ = ["main", "build_parser"]

EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_BAD_INPUT, EXIT_SOLVER = 0, 1, 2, 3


class _OneLineParser(argparse.ArgumentParser):
    """Usage errors as a single line on standard error, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"cvxdual: error: {message} (see '{self.prog} --help')\n")


def _widths(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"widths must be comma-separated integers such as "
                                         f"50,30,40; got {text!r}") from None
    if any(m < 1 for m in widths):
        raise argparse.ArgumentTypeError(f"widths must be positive; got {text!r}")
    return widths


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="cvxdual", description="Certify the global optimum of neural "
                            "network training problems through convex duality.")
    parser.add_argument("--version", action="version", version=f"cvxdual {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    one = commands.add_parser("certify", help="certify one training problem from an .npz file",
                              description="Certify the global optimum of one training problem.")
    one.add_argument("--family", required=True, help=f"network family: {', '.join(FAMILIES)}")
    one.add_argument("--data", required=True, metavar="FILE.npz",
                     help="archive with arrays X (n, d) and Y (n,) or (n, k)")
    one.add_argument("--beta", type=float, default=None,
                     help="regularization weight of problem (1); omit for minimum norm (2)")
    one.add_argument("--depth", type=int, default=2, help="number of weight layers (default 2)")
    one.add_argument("--widths", type=_widths, default=None, metavar="M1,M2,...",
                     help="hidden widths of the returned network (deep-linear), e.g. 50,30,40")
    one.add_argument("--no-bias", dest="bias", action="store_false",
                     help="relu: Theorem 4.1 without biases (default: bias in the last hidden "
                          "layer, Proposition 4.1)")
    one.add_argument("--loss", default="squared", help=f"loss: {', '.join(LOSSES)}")
    one.add_argument("--solver", default=None, help="CVXPY solver (default CLARABEL)")
    one.add_argument("--method", default="auto", choices=("auto", "cvxpy", "fast"),
                     help="auto (default): exact NumPy paths where they exist, else CVXPY")
    one.add_argument("--json", action="store_true", help="print the certificate as JSON")

    tour = commands.add_parser("tour", help="certify every family on built-in examples",
                               description="Certify every available family on seeded examples "
                               "and print one table.")
    tour.add_argument("--seed", type=int, default=0, help="seed of the examples (default 0)")
    tour.add_argument("--json", action="store_true", help="print the certificates as JSON")

    bench = commands.add_parser("bench", help="run a benchmark suite (timings, plots, JSON)",
                                description="Run a benchmark suite of the source tree's "
                                "benchmarks/ folder and write JSON, Markdown and PNG results.")
    bench.add_argument("--suite", required=True, choices=tuple(_BENCH_SUITES),
                       help="which suite: " + ", ".join(_BENCH_SUITES))
    bench.add_argument("--out", default=None, metavar="DIR",
                       help="output folder (default: the suite's results/ folder)")
    bench.add_argument("--size", default="full", choices=("tiny", "full"),
                       help="tiny: a seconds-long smoke run; full: the reported sizes")
    bench.add_argument("--jobs", type=int, default=1, metavar="N",
                       help="tasks run at a time (task suites such as paper; default 1)")
    bench.add_argument("--backend", default=None, choices=("loky", "dask"),
                       help="loky: local worker processes (default); dask: a Dask cluster")
    bench.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="address of a running Dask scheduler, e.g. tcp://127.0.0.1:8786 "
                            "(implies --backend dask; without it dask starts a local cluster)")
    bench.add_argument("--no-resume", dest="resume", action="store_false",
                       help="run every task again instead of reusing finished results")

    net = commands.add_parser(
        "certify-network", help="how far a given network is from the certified optimum",
        description="Recompute a network's training objective and compare it with the "
        "certified global optimum of the same problem. Exit 0 when the optimum is certified "
        "(whatever the network's gap, which is printed), 1 when only bounds on the optimum are "
        "known or a minimum-norm network does not interpolate, 2 bad input, 3 solver failure.")
    net.add_argument("--weights", required=True, metavar="W.npz",
                     help="archive with W1..WL (W_l of shape (m_{l-1}, m_l); the last (m,) or "
                          "(m, k)), optional b1..b{L-1}, intercept, activation ('linear' or "
                          "'relu')")
    net.add_argument("--data", required=True, metavar="D.npz",
                     help="archive with arrays X (n, d) and Y (n,) or (n, k)")
    net.add_argument("--beta", type=float, default=None,
                     help="regularization weight of problem (1); omit for minimum norm (2)")
    net.add_argument("--family", default=None,
                     help=f"network family: {', '.join(FAMILIES)} (default: from the archive's "
                          f"activation and the depth)")
    net.add_argument("--json", action="store_true", help="print the result as JSON")

    rep = commands.add_parser(
        "reproduce", help="regenerate the paper's figures with measured verdicts",
        description="Regenerate figures of the paper (source tree's benchmarks/paper/) one after "
        "the other: PNG and JSON per figure and an index.html. Exit 0 when every figure ran "
        "(whatever its verdict), 2 bad input.")
    rep.add_argument("figures", nargs="*", default=["all"], metavar="FIGURE",
                     help="fig1, fig2a, fig2b, fig3, fig4, fig5a, fig5b, fig6 or all (default)")
    rep.add_argument("--out", required=True, metavar="DIR", help="output folder")
    rep.add_argument("--size", default="full", choices=("tiny", "full"),
                     help="tiny: seconds per figure; full: the paper's sizes (default)")
    return parser


def _certify(args: argparse.Namespace) -> int:
    X, Y = load_npz(args.data)
    cert = certify(X, Y, family=args.family, beta=args.beta, depth=args.depth, loss=args.loss,
                   solver=args.solver, widths=args.widths, bias=args.bias, method=args.method)
    print(json.dumps(cert.to_dict()) if args.json else cert)
    return EXIT_CERTIFIED if cert.certified else EXIT_NOT_CERTIFIED


def _tour(args: argparse.Namespace) -> int:
    from cvxdual.tour import format_table, run_tour

    rows = run_tour(seed=args.seed)
    if args.json:
        print(json.dumps([{"form": r.form, "seconds": r.seconds, "bounds_only": r.bounds_only,
                           "passed": r.passed, **r.certificate.to_dict()} for r in rows]))
    else:
        print(format_table(rows))
        certified = sum(r.certificate.certified for r in rows if not r.bounds_only)
        bounds = [r for r in rows if r.bounds_only]
        consistent = "consistent" if all(r.passed for r in bounds) else "INCONSISTENT"
        print(f"\n{certified} of {len(rows) - len(bounds)} certified; {len(bounds)} case(s) "
              f"where only proven bounds are known ({consistent}).")
    return EXIT_CERTIFIED if all(r.passed for r in rows) else EXIT_NOT_CERTIFIED


#: Benchmark suite name -> its script under the source tree's ``benchmarks/`` folder. A script
#: defines either ``TASKS`` (name -> ``task(out_dir, size) -> dict``, run in parallel and
#: resumably by :func:`cvxdual.runner.run_tasks`, then ``write_index(out, results)`` if present)
#: or ``run(out: pathlib.Path | None, size: str) -> bool`` (True: targets met), run as is in
#: this process: timings must not share the cores.
_BENCH_SUITES = {"perf": "perf/perf_suite.py", "paper": "paper/suite.py",
                 "reliability": "reliability/reliability_suite.py"}


def _bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cvxdual.errors import ParameterError

    relative = _BENCH_SUITES[args.suite]
    module = _load_benchmark_script(relative, f"benchmark suite {args.suite!r}")
    script = Path(__file__).resolve().parents[1] / "benchmarks" / relative
    backend = args.backend or ("dask" if args.scheduler is not None else "loky")
    if not hasattr(module, "TASKS"):
        if args.jobs != 1 or args.backend is not None or args.scheduler is not None:
            raise ParameterError(f"suite {args.suite!r} is one timed run on all cores; drop "
                                 f"--jobs, --backend and --scheduler (they apply to task "
                                 f"suites such as paper).")
        met = module.run(None if args.out is None else Path(args.out), args.size)
        return EXIT_CERTIFIED if met else EXIT_NOT_CERTIFIED

    from cvxdual.runner import run_tasks, summarize

    out = Path(args.out) if args.out is not None else script.parent / "results"
    records = run_tasks(module.TASKS, out, args.size, jobs=args.jobs, backend=backend,
                        scheduler=args.scheduler, resume=args.resume)
    print(summarize(records))
    write_index = getattr(module, "write_index", None)
    if write_index is not None:
        print(f"index: {write_index(out, [r['result'] for r in records if r['ok']])}")
    return EXIT_CERTIFIED if all(r["ok"] for r in records) else EXIT_NOT_CERTIFIED


def _certify_network(args: argparse.Namespace) -> int:
    from cvxdual.errors import ParameterError
    from cvxdual.io import load_network_npz
    from cvxdual.network_certificate import certify_network

    layers = load_network_npz(args.weights)
    X, Y = load_npz(args.data)
    family, activation = args.family, layers["activation"]
    if activation is not None and family is not None and (family == "relu") != (
            activation == "relu"):
        raise ParameterError(f"--family {family} does not match the archive's activation "
                             f"{activation!r}; omit --family or save the right activation.")
    if family is None and activation == "relu":
        family = "relu"
    result = certify_network(layers["weights"], X, Y, beta=args.beta, family=family,
                             biases=layers["biases"], intercept=layers["intercept"])
    print(json.dumps(result.to_dict()) if args.json else result)
    complete = result.optimum_certified and result.feasible
    return EXIT_CERTIFIED if complete else EXIT_NOT_CERTIFIED


def _load_benchmark_script(relative: str, what: str) -> object:
    """Load ``benchmarks/<relative>`` of the source tree as a module (like :func:`_bench`)."""
    import importlib.util
    from pathlib import Path

    from cvxdual.errors import UnsupportedError

    script = Path(__file__).resolve().parents[1] / "benchmarks" / relative
    if not script.is_file():
        raise UnsupportedError(f"{what} needs the source tree's benchmarks/ folder "
                               f"({script.name} not found); run it from a checkout with an "
                               f"editable install (pip install -e .).")
    spec = importlib.util.spec_from_file_location(
        "cvxdual_script_" + relative.replace("/", "_").removesuffix(".py"), script)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _reproduce(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cvxdual.errors import ParameterError

    suite = _load_benchmark_script("paper/suite.py", "cvxdual reproduce")
    names = list(suite.TASKS) if "all" in args.figures else list(dict.fromkeys(args.figures))
    unknown = [name for name in names if name not in suite.TASKS]
    if unknown:
        raise ParameterError(f"unknown figure {', '.join(unknown)}; choose from "
                             f"{', '.join(suite.TASKS)} or all.")
    out = Path(args.out)
    results = []
    for name in names:
        result = suite.TASKS[name](out, args.size)
        results.append(result)
        print(f"{name:6s} {result['verdict']:18s} {result['seconds']:8.1f} s", flush=True)
    print(f"index: {suite.write_index(out, results)}")
    return EXIT_CERTIFIED


#: Subcommand name -> handler returning the exit code.
_COMMANDS = {"certify": _certify, "tour": _tour, "certify-network": _certify_network,
             "bench": _bench, "reproduce": _reproduce}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cvxdual`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except SolverError as exc:
        print(f"cvxdual: solver error: {exc}", file=sys.stderr)
        return EXIT_SOLVER
    except CvxdualError as exc:
        print(f"cvxdual: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
