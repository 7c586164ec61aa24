"""Versioned ``.npz`` files: the one portable format of mixpot's models.

Every file carries a ``format`` tag naming what it holds and an integer
``format_version``; readers refuse other tags and versions with a message
saying what was found and what to do. Arrays are read with
``allow_pickle=False``, so loading never runs code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def npz_path(path: str | Path) -> Path:
    """``path`` with ``.npz`` appended when it has another suffix."""
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def write_versioned(path: Path, tag: str, version: int, arrays: dict) -> Path:
    """Write ``arrays`` with the format tag and version; return the path."""
    path = npz_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(
            handle,
            format=np.array(tag),
            format_version=np.array(version),
            **arrays,
        )
    return path


def read_versioned(path: str | Path, tag: str, version: int) -> dict[str, np.ndarray]:
    """Read every array of a file written by :func:`write_versioned`.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If it is not a readable npz file, holds another tag, or has another
        format version.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "x"
    >>> written = write_versioned(path, "demo", 1, {"a": np.arange(3)})
    >>> read_versioned(written, "demo", 1)["a"].tolist()
    [0, 1, 2]
    """
    path = Path(path)
    kind = tag.rsplit(".", 1)[-1]  # "mixpot.POPSRegressor" -> "POPSRegressor"
    if not path.is_file():
        raise FileNotFoundError(f"No {kind} file at {path}.")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(f"{path} is not a readable .npz file: {error}") from error
    with archive:
        if "format" not in archive or str(archive["format"]) != tag:
            raise ValueError(f"{path} is not a {kind} file.")
        found = int(archive["format_version"])
        if found != version:
            raise ValueError(
                f"{path} has {kind} format version {found}; this mixpot reads "
                f"version {version}. Load it with the mixpot release that wrote "
                "it, or refit."
            )
        return {name: archive[name] for name in archive.files}
