"""How far a given network is from the global optimum of its training problem.

A user trained a network (with weight decay ``β``: problem (1); or to interpolation with minimum
norm: problem (2)) and asks whether it is globally optimal. :func:`certify_network` recomputes
the network's objective in NumPy from its weights, certifies the global optimum of the same
problem with :func:`cvxdual.certify`, and compares:

* ``gap_lower = objective − lower bound`` is **rigorous**: the lower bound is a dual objective at
  an exactly feasible dual point (weak duality), so the network is at most ``gap_lower`` above the
  global optimum whatever the solver's accuracy;
* ``gap = objective − optimum`` uses the certified optimum (the objective of the optimal network
  extracted from the dual, Corollary 2.1) when the certificate is ``certified``; otherwise only a
  bracket ``[lower, upper]`` of the optimum is known and ``gap`` is measured from the upper bound
  (the best network known), which ``reference`` says.

The true suboptimality ``objective − P*`` lies in ``[objective − upper, objective − lower]``.

The network's first-layer neurons are compared with the optimal neuron directions
``cert.neurons`` (the extreme points of Corollary 2.1) as in the paper's Fig. 5a: for each
trained neuron ``w_j``, ``|<w_j/||w_j||, u_i>|`` for every optimal unit neuron ``u_i``, and its
largest value (1 means the trained neuron points along an optimal one, up to sign).

Which networks the theory covers (and hence what is checked): linear networks (§2, §3) without any
bias or intercept; ReLU networks (§4) on rank-one data with at most a bias in the last hidden
layer and an output intercept (Proposition 4.1), or no bias at all (Theorem 4.1). Other bias
placements are refused with :class:`cvxdual.UnsupportedError`.

A network can be given as a list of arrays ``W_l`` of shape ``(m_{l-1}, m_l)`` (the last
``(m_{L-1},)`` or ``(m_{L-1}, k)``), as a :class:`cvxdual.Network`, or as a PyTorch
``nn.Sequential`` of ``Linear`` and ``ReLU`` layers (recognized by the layers' class names and
attributes, so PyTorch itself is not needed here; ``Linear.weight`` is ``(out, in)``, the
transpose of the convention above).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cvxdual.certificate import Certificate, certify
from cvxdual.data import as_dataset
from cvxdual.errors import DataError, ParameterError, UnsupportedError
from cvxdual.network import Network
from cvxdual.validation import check_beta, check_family

__all__ = ["NetworkCertificate", "certify_network", "network_from_layers",
           "DEFAULT_OPTIMAL_RTOL", "DEFAULT_INTERPOLATION_TOL"]

#: A network counts as globally optimal when ``gap_lower <= rtol * max(|objective|, |lower|)``.
DEFAULT_OPTIMAL_RTOL = 1e-6
#: Largest relative residual ``||f(X) - Y||_F / ||Y||_F`` for which a network is taken
#: to satisfy the constraint ``f(X) = Y`` of the minimum-norm problem (2).
DEFAULT_INTERPOLATION_TOL = 1e-6
#: Trained neurons with norm below this fraction of the largest one are "dead": no direction.
_DEAD_NEURON_RTOL = 1e-8


@dataclass(frozen=True, eq=False)
class NetworkCertificate:
    """Result of :func:`certify_network`.

    Attributes
    ----------
    family, problem : str
        The network family and ``"minimum norm (2)"`` or ``"regularized (1)"``.
    beta : float or None
    depth : int
    widths : tuple of int
        Hidden widths of the given network.
    bias : bool
        Whether the comparison is with the family with biases (Proposition 4.1) or without.
    network : Network
        The given network as arrays.
    objective : float
        Its training objective, (2) ``Σ_l ||W_l||_F^2`` or (1), recomputed in NumPy.
    residual : float or None
        Minimum norm only: relative residual ``||f(X) - Y||_F / max(||Y||_F, 1)``.
    feasible : bool
        False when a minimum-norm comparison is asked for a network that does not interpolate
        (residual above ``interpolation_tol``): then its objective is not a value of (2) and the
        gaps say nothing about optimality (``reasons`` says so).
    optimum_certified : bool
        Whether :func:`cvxdual.certify` certified the global optimum (``certificate.certified``);
        otherwise only the bracket ``[lower_bound, upper_bound]`` is known.
    optimum : float or None
        The certified global optimum (``None`` when not certified).
    lower_bound, upper_bound : float
        Rigorous lower bound on the optimum, and the objective of the best network known.
    gap, rel_gap : float
        ``objective − optimum`` (or ``objective − upper_bound`` when the optimum is not
        certified; see ``reference``), relative to ``max(|objective|, |reference value|)``.
    gap_lower, rel_gap_lower : float
        ``objective − lower_bound``: a rigorous bound on how far the network is from optimal.
    globally_optimal : bool
        ``feasible`` and ``gap_lower <= rtol · max(|objective|, |lower_bound|)``.
    reference : str
        What ``gap`` is measured from.
    projections : ndarray, shape (m_1, r)
        ``<w_j / ||w_j||, u_i>`` for the trained first-layer neurons ``w_j`` and the nonzero
        optimal unit neurons ``u_i`` (rows of dead neurons are NaN).
    alignment : ndarray, shape (m_1,)
        ``max_i |projections[j, i]|`` (Fig. 5a); NaN for dead neurons or when the optimum has
        no neuron.
    span_alignment : ndarray, shape (m_1,)
        Norm of the projection of ``w_j / ||w_j||`` onto the span of the optimal neurons (1: the
        neuron lies in it; linear networks are optimal only up to a rotation of the hidden
        units, Remark 2.1, so this is the measure that must reach 1 there).
    neuron_norms : ndarray, shape (m_1,)
        ``||w_j||`` of the trained first-layer neurons.
    width_sufficient : bool
        Whether every hidden width is at least the corresponding width of the optimal network
        found (``certificate.network.widths``). When false, the optimum may be out of reach of a
        network this narrow, and the gap need not close by training longer.
    reasons : tuple of str
        Why the result is not a complete certificate (empty when it is).
    certificate : Certificate
        The certificate of the global optimum.
    rtol, interpolation_tol : float
    """

    family: str
    problem: str
    beta: float | None
    depth: int
    widths: tuple[int, ...]
    bias: bool
    network: Network
    objective: float
    residual: float | None
    feasible: bool
    optimum_certified: bool
    optimum: float | None
    lower_bound: float
    upper_bound: float
    gap: float
    rel_gap: float
    gap_lower: float
    rel_gap_lower: float
    globally_optimal: bool
    reference: str
    projections: np.ndarray
    alignment: np.ndarray
    span_alignment: np.ndarray
    neuron_norms: np.ndarray
    width_sufficient: bool
    reasons: tuple[str, ...]
    certificate: Certificate
    rtol: float = DEFAULT_OPTIMAL_RTOL
    interpolation_tol: float = DEFAULT_INTERPOLATION_TOL
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def suboptimality_bracket(self) -> tuple[float, float]:
        """``(objective − upper_bound, objective − lower_bound)``: the true suboptimality
        ``objective − P*`` lies in this interval."""
        return self.objective - self.upper_bound, self.gap_lower

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (arrays as nested lists, NaN as ``None``)."""
        return {
            "family": self.family, "problem": self.problem, "beta": self.beta,
            "depth": self.depth, "widths": list(self.widths), "bias": self.bias,
            "objective": self.objective, "residual": self.residual, "feasible": self.feasible,
            "optimum_certified": self.optimum_certified, "optimum": self.optimum,
            "lower_bound": self.lower_bound, "upper_bound": self.upper_bound,
            "gap": self.gap, "rel_gap": self.rel_gap, "gap_lower": self.gap_lower,
            "rel_gap_lower": self.rel_gap_lower,
            "suboptimality_bracket": list(self.suboptimality_bracket),
            "globally_optimal": self.globally_optimal, "reference": self.reference,
            "alignment": _json_array(self.alignment),
            "span_alignment": _json_array(self.span_alignment),
            "projections": _json_array(self.projections),
            "neuron_norms": self.neuron_norms.tolist(),
            "width_sufficient": self.width_sufficient, "optimal_widths":
                list(self.certificate.network.widths),
            "reasons": list(self.reasons), "notes": list(self.notes),
            "tolerances": {"rtol": self.rtol, "interpolation_tol": self.interpolation_tol},
            "network": self.network.to_dict(),
            "certificate": self.certificate.to_dict(),
        }

    def __str__(self) -> str:
        opt = (f"{self.optimum:.10g}   (certified)" if self.optimum is not None else
               f"not certified; bracket [{self.lower_bound:.10g}, {self.upper_bound:.10g}]")
        live = self.alignment[np.isfinite(self.alignment)]
        align = ("n/a" if live.size == 0 else
                 f"min {live.min():.4f}, median {np.median(live):.4f}, max {live.max():.4f} "
                 f"over {live.size} live neuron(s)")
        inside = self.span_alignment[np.isfinite(self.span_alignment)]
        span = ("n/a" if inside.size == 0 else
                f"min {inside.min():.4f}, median {np.median(inside):.4f} (norm of the "
                f"projection onto the span of the optimal neurons)")
        lines = [
            f"cvxdual network check: {self.family} network, depth {self.depth}, widths "
            f"{self.widths}, {self.problem}"
            + ("" if self.beta is None else f", beta={self.beta:g}"),
            f"  objective       {self.objective:.10g}   (recomputed from the weights)",
        ]
        if self.residual is not None:
            lines.append(f"  residual        {self.residual:.3e}   (relative; tolerance "
                         f"{self.interpolation_tol:.0e})")
        lines += [
            f"  global optimum  {opt}",
            f"  lower bound     {self.lower_bound:.10g}   (rigorous)",
            f"  gap             {self.gap:.6g}   (relative {self.rel_gap:.3g}; from the "
            f"{self.reference})",
            f"  gap to bound    {self.gap_lower:.6g}   (relative {self.rel_gap_lower:.3g}; "
            f"rigorous)",
            f"  alignment       {align}   (|cos| with the optimal neurons, Fig. 5a)",
            f"  in their span   {span}",
            f"  widths          given {self.widths}, optimal network "
            f"{self.certificate.network.widths}"
            + ("" if self.width_sufficient else "  (narrower than the optimum found)"),
            f"  globally optimal {'yes' if self.globally_optimal else 'no'} "
            f"(within rtol {self.rtol:.0e})",
        ]
        lines.extend(f"    - {reason}" for reason in self.reasons)
        lines.extend(f"    note: {note}" for note in self.notes)
        return "\n".join(lines)


def _json_array(values: np.ndarray) -> list[Any]:
    return [_json_array(v) if isinstance(v, np.ndarray) else
            (None if not math.isfinite(v) else float(v)) for v in values]


# --- reading a network from arrays, a Network, or a PyTorch nn.Sequential -------------------

def _to_numpy(tensor: Any, what: str) -> np.ndarray:
    if hasattr(tensor, "detach"):
        tensor = tensor.detach()
    if hasattr(tensor, "cpu"):
        tensor = tensor.cpu()
    if hasattr(tensor, "numpy"):
        tensor = tensor.numpy()
    try:
        return np.array(tensor, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"{what} is not a real numeric array.") from None


def _is_sequential(obj: Any) -> bool:
    if isinstance(obj, (np.ndarray, Network, str, bytes)) or not hasattr(obj, "__iter__"):
        return False
    try:
        layers = list(obj)
    except TypeError:
        return False
    return any(type(layer).__name__ in ("Linear", "ReLU") for layer in layers)


def network_from_layers(layers: Any, vector_output: bool | None = None) -> Network:
    """A :class:`Network` from a PyTorch ``nn.Sequential``-like sequence of layers.

    The layers must alternate ``Linear`` and an optional ``ReLU`` (``Linear, ReLU, Linear, …,
    Linear``: a ReLU network; ``Linear, Linear, …``: a deep linear network), ending with a
    ``Linear``. Only the class names ``Linear`` and ``ReLU`` and the attributes ``weight``
    (shape ``(out, in)``), ``bias`` (``(out,)`` or ``None``) are used, through
    ``.detach().cpu().numpy()`` when present. Hidden biases become ``Network.biases``, the last
    layer's bias the ``intercept``.

    Parameters
    ----------
    layers : iterable of layers
    vector_output : bool, optional
        Whether the network has vector outputs; by default, vector unless the last layer has one
        output.

    Raises
    ------
    ParameterError
        A layer other than ``Linear``/``ReLU`` (another activation), ReLU on some hidden layers
        only, ReLU after the output layer, or no ``Linear`` layer.
    """
    layers = list(layers)
    linears: list[Any] = []
    relu_after: list[bool] = []
    for index, layer in enumerate(layers):
        name = type(layer).__name__
        if name == "Linear":
            if not hasattr(layer, "weight"):
                raise ParameterError(f"layer {index} (Linear) has no attribute 'weight'.")
            linears.append(layer)
            relu_after.append(False)
        elif name == "ReLU":
            if not linears or relu_after[-1]:
                raise ParameterError(f"layer {index} is a ReLU that does not follow a Linear "
                                     f"layer; expected Linear, ReLU, Linear, ..., Linear.")
            relu_after[-1] = True
        else:
            raise ParameterError(f"layer {index} is {name}; the paper's networks have only "
                                 f"Linear and ReLU layers (wrong activation or an extra layer: "
                                 f"rebuild the model as Linear/ReLU layers).")
    if len(linears) < 2:
        raise ParameterError(f"the model has {len(linears)} Linear layer(s); a network needs at "
                             f"least two (a hidden layer and the output layer).")
    if relu_after[-1]:
        raise ParameterError("the model ends with a ReLU; the output layer must be Linear.")
    hidden = relu_after[:-1]
    if any(hidden) and not all(hidden):
        with_relu = [i + 1 for i, r in enumerate(hidden) if r]
        raise ParameterError(f"ReLU follows hidden Linear layers {with_relu} only; the paper's "
                             f"networks apply the same activation after every hidden layer.")
    weights = [_to_numpy(layer.weight, f"weight of Linear layer {i + 1}").T
               for i, layer in enumerate(linears)]
    biases = [None if getattr(layer, "bias", None) is None
              else _to_numpy(layer.bias, f"bias of Linear layer {i + 1}")
              for i, layer in enumerate(linears)]
    out = biases[-1]
    last = weights[-1]
    scalar = (last.ndim == 2 and last.shape[1] == 1) if vector_output is None else (
        not vector_output)
    if scalar:
        if last.ndim == 2 and last.shape[1] != 1:
            raise DataError(f"the model has {last.shape[1]} outputs but Y is 1-D; pass Y of "
                            f"shape (n, {last.shape[1]}).")
        weights[-1] = last.reshape(-1)
        intercept: float | np.ndarray = 0.0 if out is None else float(out.reshape(-1)[0])
    else:
        intercept = 0.0 if out is None else out.reshape(-1)
    return Network(weights, biases=biases[:-1], intercept=intercept,
                   activation="relu" if all(hidden) else "linear")


def _as_network(weights: Any, biases: Any, intercept: Any, vector_output: bool,
                activation: str | None) -> Network:
    if isinstance(weights, Network):
        if biases is not None or not _is_zero(intercept):
            raise ParameterError("pass biases and intercept inside the Network, not beside it.")
        return weights
    if _is_sequential(weights):
        if biases is not None or not _is_zero(intercept):
            raise ParameterError("a PyTorch model carries its own biases; do not pass biases "
                                 "or intercept beside it.")
        return network_from_layers(weights, vector_output)
    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence):
        raise ParameterError("weights must be a list of arrays W_1, ..., W_L of shapes "
                             "(m_{l-1}, m_l), a cvxdual.Network, or a PyTorch nn.Sequential.")
    arrays = [_to_numpy(w, f"weight {i + 1}") for i, w in enumerate(weights)]
    if (len(arrays) >= 2 and not vector_output and arrays[-1].ndim == 2
            and arrays[-1].shape[1] == 1):
        arrays[-1] = arrays[-1][:, 0]          # (m, 1) with 1-D targets is the scalar output
    return Network(arrays, biases=biases, intercept=intercept,
                   activation="relu" if activation == "relu" else "linear")


def _is_zero(value: Any) -> bool:
    try:
        return bool(np.all(np.asarray(value, dtype=np.float64) == 0.0))
    except (TypeError, ValueError):
        return False


def _strip_zero_biases(network: Network) -> Network:
    """Biases that are exactly zero are absent (e.g. a PyTorch layer trained with bias frozen)."""
    biases = [None if b is None or not np.any(b) else b for b in network.biases]
    intercept = network.intercept if np.any(network.intercept) else 0.0
    return Network(list(network.weights), biases=biases, intercept=intercept,
                   activation=network.activation)


def _check_structure(network: Network, family: str) -> bool:
    """Refuse networks outside the theory of ``family``; return whether biases are used."""
    has_intercept = bool(np.any(network.intercept))
    placed = [i + 1 for i, b in enumerate(network.biases) if b is not None]
    if family in ("linear", "deep-linear"):
        if network.activation != "linear":
            raise ParameterError(f"family {family!r} is a linear network, but the network has "
                                 f"ReLU activations; use family='relu'.")
        if placed or has_intercept:
            where = (f"biases in hidden layer(s) {placed}" if placed else "an output intercept")
            raise UnsupportedError(f"the network has {where}; the paper's theory of linear "
                                   f"networks (§2, §3) covers networks without biases only.")
        return False
    if network.activation != "relu":
        raise ParameterError("family 'relu' needs ReLU activations, but the network is linear "
                             "(no ReLU layers); use family='linear' or 'deep-linear'.")
    if network.vector_output:
        raise DataError("the ReLU family of §4 has scalar outputs; the network has vector "
                        "outputs.")
    last = len(network.biases)
    wrong = [i for i in placed if i != last]
    if wrong:
        raise UnsupportedError(f"the network has biases in hidden layer(s) {wrong}; the paper's "
                               f"theory of ReLU networks (Proposition 4.1) covers a bias in the "
                               f"last hidden layer (layer {last}) and an output intercept only.")
    return bool(placed) or has_intercept


def _neuron_projections(network: Network, optimal: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    W1 = network.weights[0]
    norms = np.linalg.norm(W1, axis=0)
    live = norms > _DEAD_NEURON_RTOL * (norms.max() if norms.size else 0.0)
    units = np.where(live, 1.0, np.nan) * W1 / np.where(live, norms, 1.0)
    keep = np.linalg.norm(optimal, axis=0) > 0
    directions = optimal[:, keep] / np.linalg.norm(optimal[:, keep], axis=0)
    projections = units.T @ directions
    if directions.shape[1] == 0:
        alignment = np.full(W1.shape[1], np.nan)
        in_span = np.full(W1.shape[1], np.nan)
    else:
        alignment = np.max(np.abs(projections), axis=1)
        # Linear networks are optimal up to W_1 Q, Q^T W_2 (Q orthogonal): a trained neuron may
        # mix optimal directions, so also measure how much of it lies in their span.
        U, sigma, _ = np.linalg.svd(directions, full_matrices=False)
        basis = U[:, sigma > 1e-8 * sigma[0]]
        in_span = np.linalg.norm(basis.T @ units, axis=0)
    return projections, alignment, in_span, norms


def certify_network(weights: Any, X: Any, Y: Any, beta: float | None = None,
                    family: str | None = None, biases: Sequence[Any] | None = None,
                    intercept: float | np.ndarray = 0.0, *, bias: bool | None = None,
                    solver: str | None = None, rtol: float = DEFAULT_OPTIMAL_RTOL,
                    interpolation_tol: float = DEFAULT_INTERPOLATION_TOL) -> NetworkCertificate:
    """Compare a given network with the certified global optimum of its training problem.

    Parameters
    ----------
    weights : list of array_like, Network, or PyTorch nn.Sequential
        ``W_l`` of shape ``(m_{l-1}, m_l)``, the last ``(m_{L-1},)`` or ``(m_{L-1}, k)``
        (``(m_{L-1}, 1)`` is taken as scalar output when ``Y`` is 1-D). The depth ``L`` is the
        number of weight layers.
    X : array_like, shape (n, d)
    Y : array_like, shape (n,) or (n, k)
    beta : float, optional
        ``β > 0``: the regularized problem (1), ``||f(X) - Y||_F^2 + β Σ_l ||W_l||_F^2``;
        ``None``: minimum norm (2), which needs the network to interpolate.
    family : {"linear", "deep-linear", "relu"}, optional
        Inferred when omitted: ``"relu"`` for ReLU networks, else ``"linear"`` for two layers
        and ``"deep-linear"`` deeper. List-of-arrays input is linear unless ``family="relu"``.
    biases : sequence, optional
        One entry per hidden layer (array ``(m_l,)`` or ``None``), for list-of-arrays input.
    intercept : float or array_like, shape (k,)
        Unregularized output bias, for list-of-arrays input.
    bias : bool, optional
        ``"relu"``: compare with the family with a last-hidden bias and intercept
        (Proposition 4.1, ``True``) or without biases (Theorem 4.1, ``False``). By default
        ``True`` when the network has any nonzero bias or intercept, else ``False``.
    solver : str, optional
        CVXPY solver for :func:`cvxdual.certify`.
    rtol : float
        Relative tolerance of ``globally_optimal``.
    interpolation_tol : float
        Largest relative residual accepted as interpolation for ``beta=None``.

    Returns
    -------
    NetworkCertificate

    Raises
    ------
    DataError
        Bad ``X``/``Y``, or their shapes do not match the network's input or output.
    ParameterError
        Bad weights (shapes that do not chain, NaN entries), an activation other than the
        family's, or bad options.
    UnsupportedError
        Biases placed where the paper's theory does not cover them.
    InfeasibleError
        ``beta=None`` and no network of the family interpolates the data.
    """
    data = as_dataset(X, Y)
    beta = check_beta(beta)
    if family is not None:
        family = check_family(family)
    for name, tol in (("rtol", rtol), ("interpolation_tol", interpolation_tol)):
        if isinstance(tol, bool) or not (isinstance(tol, int | float) and math.isfinite(tol)
                                         and tol >= 0):
            raise ParameterError(f"{name} must be a finite number >= 0; got {tol!r}.")
    if bias is not None and not isinstance(bias, bool):
        raise ParameterError(f"bias must be True, False or None (inferred); got {bias!r}.")
    network = _strip_zero_biases(_as_network(weights, biases, intercept, data.vector_output,
                                             family))
    if network.input_dim != data.d:
        raise DataError(f"the network's first layer expects {network.input_dim} input features "
                        f"(W_1 has shape {network.weights[0].shape}) but X has shape "
                        f"{data.X.shape}; pass X of shape (n, {network.input_dim}).")
    outputs = network.weights[-1].shape[1] if network.vector_output else None
    if outputs != (data.k if data.vector_output else None):
        raise DataError(f"the network's output layer W_{network.depth} has shape "
                        f"{network.weights[-1].shape} but Y has shape {data.Y.shape}; a network "
                        f"with k outputs needs Y of shape (n, k), a scalar one Y of shape (n,).")
    if family is None:
        family = ("relu" if network.activation == "relu" else
                  "linear" if network.depth == 2 else "deep-linear")
    if family == "linear" and network.depth != 2:
        raise ParameterError(f"family 'linear' is the two-layer network of §2, but the network "
                             f"has {network.depth} layers; use family='deep-linear'.")
    has_bias = _check_structure(network, family)
    notes: list[str] = []
    if family == "relu":
        if bias is None:
            bias = has_bias
        elif not bias and has_bias:
            raise UnsupportedError("bias=False compares with networks without biases "
                                   "(Theorem 4.1), but this network has a bias or intercept; "
                                   "use bias=True.")
        if not bias:
            notes.append("compared with ReLU networks without biases (Theorem 4.1); pass "
                         "bias=True to compare with the larger family of Proposition 4.1")
    else:
        bias = False
    cert = certify(data.X, data.targets, family=family, beta=beta, depth=network.depth,
                   solver=solver, bias=bool(bias) if family == "relu" else True)

    objective = network.objective(data.X, data.targets, beta)
    reasons: list[str] = []
    residual = None
    feasible = True
    if beta is None:
        # Relative to ||Y||_F itself: Network.interpolation_residual divides by
        # max(||Y||_F, 1), which accepts any network on targets of size 1e-6.
        norm_targets = float(np.linalg.norm(data.Y))
        residual = float(np.sqrt(network.fit_error(data.X, data.targets))) / (
            norm_targets if norm_targets > 0 else 1.0)
        if residual > interpolation_tol:
            feasible = False
            reasons.append(f"the network does not interpolate (relative residual "
                           f"{residual:.3e} > {interpolation_tol:.0e}), so its objective is not "
                           f"a value of the minimum-norm problem (2); pass beta > 0 for the "
                           f"regularized problem (1)")
    if not cert.certified:
        reasons.append("the global optimum is not certified, only bracketed: "
                       + "; ".join(cert.reasons))
    lower, upper = float(cert.dual_value), float(cert.training_value)
    reference_value = upper
    reference = ("certified optimum" if cert.certified else
                 "best network known (upper bound; the optimum is not certified)")
    gap = objective - reference_value
    gap_lower = objective - lower
    scale = max(abs(objective), abs(reference_value))
    scale_lower = max(abs(objective), abs(lower))
    rel_gap = gap / scale if scale > 0 else 0.0
    rel_gap_lower = gap_lower / scale_lower if scale_lower > 0 else 0.0
    if feasible and gap_lower < -(cert.tolerances.get("rtol", 1e-6) * scale_lower + 1e-10):
        if beta is None:
            notes.append(f"the objective is below the lower bound by {-gap_lower:.3e}, which "
                         f"its interpolation residual {residual:.1e} allows: the comparison is "
                         f"accurate only to about that residual")
        else:
            reasons.append(f"the network's objective {objective:.10g} is below the lower bound "
                           f"{lower:.10g}: numerical trouble in the certificate")
    projections, alignment, in_span, norms = _neuron_projections(network, cert.neurons)
    sufficient = all(m >= m_opt for m, m_opt in zip(network.widths, cert.network.widths,
                                                     strict=False))
    # The absolute floor of globally_optimal is in the units of the objective (||Y||_F^2 for
    # (1), ||Y||_F / ||X||_2 for (2)): a fixed 1e-12 would accept any network on data scaled
    # by 1e-6, whose objectives are themselves about 1e-12.
    norm_y, norm_x = float(np.linalg.norm(data.Y)), float(np.linalg.norm(data.X, 2))
    unit = norm_y ** 2 if beta is not None else norm_y / max(norm_x, 1e-300)
    if not sufficient:
        notes.append(f"the network is narrower than the optimal network found "
                     f"({network.widths} < {cert.network.widths} in some layer): it may be unable "
                     f"to reach the optimum at any training length")
    return NetworkCertificate(
        family=family, problem="minimum norm (2)" if beta is None else "regularized (1)",
        beta=beta, depth=network.depth, widths=network.widths, bias=bool(bias),
        network=network, objective=objective, residual=residual, feasible=feasible,
        optimum_certified=cert.certified, optimum=upper if cert.certified else None,
        lower_bound=lower, upper_bound=upper, gap=gap, rel_gap=rel_gap, gap_lower=gap_lower,
        rel_gap_lower=rel_gap_lower,
        globally_optimal=bool(feasible and gap_lower <= rtol * scale_lower + 1e-12 * unit),
        reference=reference, projections=projections, alignment=alignment,
        span_alignment=in_span, neuron_norms=norms, width_sufficient=sufficient,
        reasons=tuple(reasons),
        certificate=cert, rtol=rtol, interpolation_tol=interpolation_tol, notes=tuple(notes))
