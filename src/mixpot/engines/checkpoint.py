"""The engine's own state, written beside a LAMMPS restart file.

LAMMPS' ``write_restart`` keeps positions, velocities, the box and the
integrators' state; what mixpot adds (λ by atom ID, the expensive set, the
step of the last region rebuild, the ASE frame, the thermostat forces of
the last step) goes into ``STEM.npz`` beside ``STEM.restart``, written
atomically so that a kill never leaves half a file.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

STATE_FORMAT = "mixpot.LammpsMixedEngine.state/1"


def write_state(path: str | Path, **arrays: np.ndarray) -> Path:
    """Write ``arrays`` to ``path`` (an ``.npz``) atomically.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "state.npz"
    >>> _ = write_state(path, weights=np.ones(3))
    >>> read_state(path)["weights"].tolist()
    [1.0, 1.0, 1.0]
    """
    path = Path(path)
    partial = path.with_suffix(".npz.partial")
    with open(partial, "wb") as handle:
        np.savez(handle, format=np.array(STATE_FORMAT), **arrays)
    partial.replace(path)
    return path


def read_state(path: str | Path) -> dict[str, np.ndarray]:
    """Read a state written by :func:`write_state`.

    Raises
    ------
    FileNotFoundError
        If the file is missing.
    ValueError
        If it is unreadable (truncated, corrupt) or not an engine state.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"mixpot engine state {path} is missing.")
    try:
        with np.load(path, allow_pickle=False) as data:
            state = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"{path} is not a readable mixpot engine state ({error}); delete it "
            "and its .restart to start the run again."
        ) from error
    if str(state.get("format")) != STATE_FORMAT:
        raise ValueError(f"{path} is not a {STATE_FORMAT} file.")
    return state
