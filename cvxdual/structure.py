"""The structure the paper proves for optimal layers, measured on any network.

Proposition 3.1 (hidden layers share operator and Frobenius norms), rank one for scalar outputs
and rank controlled by ``β`` for vector outputs (Remark 2.1, §3.3), alignment of consecutive
layers (21)/(26), and Corollary 3.1 (the first hidden layer alone carries the function). Each
helper returns numbers, so a test or a figure can state how closely a trained network follows
the theory.
"""

from __future__ import annotations

import numpy as np

from cvxdual.errors import ParameterError
from cvxdual.network import Network

__all__ = [
    "RANK_RTOL",
    "layer_norms",
    "layer_ranks",
    "layer_alignment",
    "end_to_end",
    "collapse_to_two_layer",
    "lemma_3_1_objective",
]

#: Singular values below this fraction of a layer's largest count as zero in :func:`layer_ranks`.
RANK_RTOL = 1e-6


def _matrix(W: np.ndarray) -> np.ndarray:
    return W[:, None] if W.ndim == 1 else W


def layer_norms(network: Network) -> list[tuple[float, float]]:
    """``(||W_l||_2, ||W_l||_F)`` for every layer (operator and Frobenius norms)."""
    return [(float(np.linalg.norm(_matrix(W), 2)), float(np.linalg.norm(W)))
            for W in network.weights]


def layer_ranks(network: Network, rtol: float = RANK_RTOL) -> list[int]:
    """Numerical rank of every layer: singular values above ``rtol * σ_max``."""
    ranks = []
    for W in network.weights:
        sigma = np.linalg.svd(_matrix(W), compute_uv=False)
        ranks.append(int(np.count_nonzero(sigma > rtol * sigma[0])) if sigma.size and sigma[0] > 0
                     else 0)
    return ranks


def layer_alignment(network: Network, rtol: float = RANK_RTOL) -> list[float]:
    """How well consecutive layers align: for each pair ``(W_l, W_{l+1})`` the smallest cosine
    of the principal angles between the row space of ``W_l`` and the column space of
    ``W_{l+1}`` (each truncated at its numerical rank). ``1`` means the output directions of
    one layer are exactly the input directions of the next, as in (21) and (26)."""
    cosines = []
    for W, W_next in zip(network.weights[:-1], network.weights[1:], strict=True):
        _, s, Vt = np.linalg.svd(_matrix(W), full_matrices=False)
        U_next, s_next, _ = np.linalg.svd(_matrix(W_next), full_matrices=False)
        rows = Vt[: int(np.count_nonzero(s > rtol * (s[0] if s.size else 0)))]
        cols = U_next[:, : int(np.count_nonzero(s_next > rtol * (s_next[0] if s_next.size else 0)))]
        if rows.shape[0] == 0 or cols.shape[1] == 0:
            cosines.append(1.0 if rows.shape[0] == cols.shape[1] else 0.0)
            continue
        overlap = np.linalg.svd(rows @ cols, compute_uv=False)
        smallest = overlap.min() if rows.shape[0] == cols.shape[1] else 0.0
        cosines.append(float(min(1.0, smallest)))
    return cosines


def end_to_end(network: Network) -> np.ndarray:
    """``W_1 W_2 ⋯ W_L`` of a linear network without biases, shape ``(d,)`` or ``(d, k)``."""
    if network.activation != "linear" or any(b is not None for b in network.biases):
        raise ParameterError("end_to_end needs a linear network without hidden biases.")
    product = network.weights[0]
    for W in network.weights[1:]:
        product = product @ W
    return product


def collapse_to_two_layer(network: Network) -> Network:
    """Corollary 3.1: the two-layer network ``(W_1, W_2 ⋯ W_L)`` computes the same function, so
    the layers after the first add no expressive power to a linear network."""
    if network.activation != "linear" or any(b is not None for b in network.biases):
        raise ParameterError("collapse_to_two_layer needs a linear network without hidden "
                             "biases.")
    rest = network.weights[1]
    for W in network.weights[2:]:
        rest = rest @ W
    return Network([network.weights[0], rest], intercept=network.intercept, activation="linear")


def lemma_3_1_objective(network: Network) -> float:
    """The objective of Lemma 3.1 (Lemma 3.2 for vector outputs), stated exactly:
    ``2 Σ_j ||w_{L-1,j}||_2 ||w_{L,j}||_2 + Σ_{l <= L-2} ||W_l||_F^2``.

    This is ``2 ||w_L||_1 + Σ t_l^2`` after rescaling every column ``w_{L-1,j}`` of the last
    hidden layer to unit norm (the paper prints ``||w_L||_1`` without the factor 2). It never
    exceeds ``Σ_l ||W_l||_F^2`` and equals it when the last two layers are balanced, as they are
    at the optimum.
    """
    *first, hidden, last = network.weights
    out_norms = np.abs(last) if last.ndim == 1 else np.linalg.norm(last, axis=1)
    in_norms = np.linalg.norm(hidden, axis=0)
    return float(2.0 * np.sum(in_norms * out_norms) + sum(np.sum(W * W) for W in first))
