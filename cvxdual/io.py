"""Reading training data from files (the command-line tool's ``--data FILE.npz``)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from cvxdual.errors import DataFileError

__all__ = ["load_npz"]


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
        If the file is missing, is not an ``.npz`` archive, is corrupt, holds object arrays, or
        lacks ``X`` or ``Y``.
    """
    file = Path(path)
    if not file.exists():
        raise DataFileError(f"data file {str(file)!r} does not exist; create it with "
                            f"np.savez('{file.name}', X=X, Y=Y).")
    if file.is_dir():
        raise DataFileError(f"{str(file)!r} is a directory; pass an .npz file holding X and Y.")
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
