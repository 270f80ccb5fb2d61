"""cvxdual: convex duality of deep neural networks, made usable.

Build the primal and dual convex programs of each theorem of *Convex Duality of Deep Neural
Networks* (Ergen & Pilanci), solve them, certify the global optimum of the non-convex training
problem, and read the optimal neurons from the dual solution.

>>> import numpy as np, cvxdual as cd
>>> rng = np.random.default_rng(0)
>>> X, y = rng.standard_normal((20, 50)), rng.standard_normal(20)
>>> cert = cd.certify(X, y, family="linear")
>>> cert.certified
True
"""

from __future__ import annotations

from cvxdual import families
from cvxdual.certificate import Certificate, certify
from cvxdual.data import Dataset, as_dataset
from cvxdual.errors import (
    CvxdualError,
    DataError,
    DataFileError,
    InfeasibleError,
    ParameterError,
    SolverError,
    UnsupportedError,
)
from cvxdual.extract import extreme_points, network_from_dual, two_layer_network
from cvxdual.network import Network
from cvxdual.network_certificate import NetworkCertificate, certify_network
from cvxdual.path import PathResult, certify_path
from cvxdual.program import Program, Solution
from cvxdual.solve import solve
from cvxdual.train import TrainResult, train

__version__ = "0.1.0"

__all__ = [
    "Certificate",
    "CvxdualError",
    "DataError",
    "DataFileError",
    "Dataset",
    "InfeasibleError",
    "Network",
    "NetworkCertificate",
    "ParameterError",
    "PathResult",
    "Program",
    "Solution",
    "SolverError",
    "TrainResult",
    "UnsupportedError",
    "as_dataset",
    "certify",
    "certify_network",
    "certify_path",
    "extreme_points",
    "families",
    "network_from_dual",
    "solve",
    "train",
    "two_layer_network",
    "__version__",
]
