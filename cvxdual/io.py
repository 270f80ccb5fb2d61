"""Reading training data from files (the command-line tool's ``--data FILE.npz``)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from cvxdual.errors import DataFileError, ParameterError
from cvxdual.network import Network

__all__ = ["load_npz", "load_network_npz", "save_network_npz", "MAX_NPZ_BYTES"]

#: Largest total uncompressed size of the arrays in an ``.npz`` file that cvxdual reads (2 GiB):
#: above the largest problems its solvers handle (n = 100,000, d = 1,000 is 0.8 GB), and a
#: guard against archives whose compressed members expand without bound.
MAX_NPZ_BYTES = 2 ** 31


def _check_size(file: Path) -> None:
    """Refuse archives whose members expand beyond :data:`MAX_NPZ_BYTES` (read from the zip
    directory, before any array is decompressed)."""
    try:
        with zipfile.ZipFile(file) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # np.load reports unreadable files with its own message
    if total > MAX_NPZ_BYTES:
        raise DataFileError(f"{str(file)!r} holds {total / 2 ** 30:.2f} GiB of arrays, more "
                            f"than the {MAX_NPZ_BYTES / 2 ** 30:.0f} GiB cvxdual reads "
                            f"(cvxdual.io.MAX_NPZ_BYTES); subsample the data or raise that "
                            f"limit.")


def load_npz(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Load the arrays ``X`` and ``Y`` from a NumPy ``.npz`` archive.

    Write one with ``np.savez("data.npz", X=X, Y=Y)``. Pickled (object) arrays are refused.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    X, Y : ndarray
        As stored; validate them with :func:`cvxdual.as_dataset`.

    Raises
    ------
    DataFileError
        If the file is missing, is not an ``.npz`` archive, is corrupt, holds object arrays,
        lacks ``X`` or ``Y``, or expands beyond :data:`MAX_NPZ_BYTES`.
    """
    file = Path(path)
    if not file.exists():
        raise DataFileError(f"data file {str(file)!r} does not exist; create it with "
                            f"np.savez('{file.name}', X=X, Y=Y).")
    if file.is_dir():
        raise DataFileError(f"{str(file)!r} is a directory; pass an .npz file holding X and Y.")
    _check_size(file)
    try:
        archive = np.load(file, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataFileError(f"{str(file)!r} is not a readable .npz archive ({exc}); create it "
                            f"with np.savez('{file.name}', X=X, Y=Y).") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataFileError(f"{str(file)!r} holds a single array, not an .npz archive; save X and "
                            f"Y together with np.savez('{file.stem}.npz', X=X, Y=Y).")
    with archive:
        missing = [key for key in ("X", "Y") if key not in archive.files]
        if missing:
            raise DataFileError(f"{str(file)!r} has no array {' or '.join(missing)} (it holds "
                                f"{', '.join(archive.files) or 'nothing'}); save the data as "
                                f"np.savez(file, X=X, Y=Y).")
        try:
            return archive["X"], archive["Y"]
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise DataFileError(f"could not read X and Y from {str(file)!r} ({exc}); object "
                                f"arrays are refused, store numeric arrays only.") from None


#: Keys of a network archive besides ``W1``, ``W2``, ... and ``b1``, ``b2``, ...
_NETWORK_EXTRAS = ("intercept", "activation")


def load_network_npz(path: str | Path) -> dict[str, object]:
    """Load a network's arrays from a NumPy ``.npz`` archive (``cvxdual certify-network``).

    The archive holds ``W1``, ..., ``WL`` (``W_l`` of shape ``(m_{l-1}, m_l)``, the last
    ``(m_{L-1},)`` or ``(m_{L-1}, k)``: inputs times outputs, the transpose of PyTorch's
    ``Linear.weight``), optionally hidden biases ``b1``, ..., ``b{L-1}`` (shape ``(m_l,)``), an
    output ``intercept`` (scalar or ``(k,)``) and ``activation`` (the string ``"linear"`` or
    ``"relu"``). Write one with :func:`save_network_npz`, or
    ``np.savez("net.npz", W1=W1, W2=w2, b1=b1, intercept=c, activation="relu")``.

    Returns
    -------
    dict
        ``weights`` (list of arrays), ``biases`` (list with one array or ``None`` per hidden
        layer), ``intercept`` (float or array), ``activation`` (str or ``None`` when absent).

    Raises
    ------
    DataFileError
        Missing or unreadable file, object arrays, no ``W1``/``W2``, gaps in the numbering,
        biases beyond the hidden layers, unknown keys, or a bad ``activation``.
    """
    file = Path(path)
    if not file.is_file():
        raise DataFileError(f"weights file {str(file)!r} does not exist or is not a file; save "
                            f"the layers with np.savez('{file.name}', W1=W1, W2=W2, ...).")
    _check_size(file)
    try:
        with np.load(file, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, AttributeError, TypeError) as exc:
        raise DataFileError(f"{str(file)!r} is not a readable .npz archive of numeric arrays "
                            f"({exc}); save the layers with np.savez(file, W1=W1, W2=W2, ...)."
                            ) from None
    layers = 0
    while f"W{layers + 1}" in arrays:
        layers += 1
    if layers < 2:
        raise DataFileError(f"{str(file)!r} needs at least W1 and W2 (it holds "
                            f"{', '.join(sorted(arrays)) or 'nothing'}).")
    known = {f"W{i}" for i in range(1, layers + 1)} | {f"b{i}" for i in range(1, layers)}
    unknown = sorted(set(arrays) - known - set(_NETWORK_EXTRAS))
    if unknown:
        raise DataFileError(f"{str(file)!r} has unexpected arrays {', '.join(unknown)}; a "
                            f"network with {layers} layers holds W1..W{layers}, optional "
                            f"b1..b{layers - 1}, intercept and activation.")
    activation = None
    if "activation" in arrays:
        value = arrays["activation"]
        if value.dtype.kind != "U" or value.shape != () or str(value) not in ("linear", "relu"):
            raise DataFileError(f"activation in {str(file)!r} must be the string 'linear' or "
                                f"'relu'; got {value!r}.")
        activation = str(value)
    intercept = arrays.get("intercept", np.float64(0.0))
    return {
        "weights": [arrays[f"W{i}"] for i in range(1, layers + 1)],
        "biases": [arrays.get(f"b{i}") for i in range(1, layers)],
        "intercept": float(intercept) if np.ndim(intercept) == 0 else intercept,
        "activation": activation,
    }


def save_network_npz(path: str | Path, network: Network) -> None:
    """Write a :class:`cvxdual.Network` in the format of :func:`load_network_npz`."""
    if not isinstance(network, Network):
        raise ParameterError(f"save_network_npz needs a cvxdual.Network; got "
                             f"{type(network).__name__}.")
    arrays: dict[str, np.ndarray] = {f"W{i + 1}": W for i, W in enumerate(network.weights)}
    arrays.update({f"b{i + 1}": b for i, b in enumerate(network.biases) if b is not None})
    arrays["intercept"] = np.asarray(network.intercept)
    arrays["activation"] = np.array(network.activation)
    np.savez(Path(path), **arrays)
