"""Checkpoints of a run: atomic, versioned, checksummed ``.npz`` files.

A checkpoint holds what an engine needs to continue exactly where it was:
the step, positions, momenta and cell, the thermostat's random-generator
state, the region state (λ and its hysteresis memory), an integrator's own
state (FIRE's velocities, BFGS's Hessian ...), the sizes of the output files
at that step (to cut them back on resume) and the digest of the resolved
configuration (a changed configuration does not continue an old run).

Writing goes to a temporary file renamed over the old one
(:func:`os.replace`), so a kill leaves the previous checkpoint whole. Reading
checks a SHA-256 over every array: a truncated or corrupted file is an
error (:class:`CheckpointError`), never a silent start from zero.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mixpot.mixing import RegionState

FORMAT = "mixpot-run-checkpoint"
VERSION = 1
NAME = "checkpoint.npz"


class CheckpointError(ValueError):
    """A checkpoint cannot be read or does not belong to this run."""


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """The state of a run after ``step`` steps.

    Attributes
    ----------
    step : int
        Steps done.
    positions, momenta : ndarray of shape (n_atoms, 3)
        Å and ASE momentum units (amu·Å/ASE-time).
    cell : ndarray of shape (3, 3)
        Å.
    region : RegionState
        λ and the atom sets in use.
    rng_state : dict or None
        ``numpy.random.Generator.bit_generator.state`` of the thermostat.
    integrator : dict of str to ndarray
        The integrator's own state (empty for Verlet and Langevin).
    files : dict of str to int
        Output file name → size in bytes at ``step``.
    config_digest : str
        SHA-256 of the resolved configuration's TOML.
    finished : bool
        Whether the run had ended (all steps, or a converged relaxation).
    """

    step: int
    positions: np.ndarray
    momenta: np.ndarray
    cell: np.ndarray
    region: RegionState
    rng_state: dict | None
    integrator: dict[str, np.ndarray] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    config_digest: str = ""
    finished: bool = False

    def save(self, folder: Path) -> Path:
        """Write ``folder/checkpoint.npz`` atomically; return its path."""
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "step": int(self.step),
            "rng_state": self.rng_state,
            "files": self.files,
            "config_digest": self.config_digest,
            "finished": bool(self.finished),
        }
        arrays = {
            "meta": np.array(json.dumps(meta)),
            "positions": self.positions,
            "momenta": self.momenta,
            "cell": np.asarray(self.cell),
            **self.region.to_arrays("region_"),
            **{f"integrator_{k}": np.asarray(v) for k, v in self.integrator.items()},
        }
        arrays["checksum"] = np.array(_digest(arrays))
        path = Path(folder) / NAME
        temporary = path.with_suffix(".tmp")
        with temporary.open("wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        return path

    @classmethod
    def load(cls, path: Path) -> Checkpoint:
        """Read and verify a checkpoint.

        Raises
        ------
        CheckpointError
            If the file is truncated, corrupted, of another format or
            version, or its checksum does not match.
        """
        arrays = _read_arrays(path)
        stored = str(arrays.pop("checksum", ""))
        if stored != _digest(arrays):
            raise CheckpointError(
                f"The checkpoint {str(path)!r} is corrupted (checksum mismatch): "
                f"delete it to start the run again from step 0."
            )
        meta = json.loads(str(arrays["meta"]))
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise CheckpointError(
                f"The checkpoint {str(path)!r} has format {meta.get('format')!r} "
                f"version {meta.get('version')!r}; this mixpot reads {FORMAT!r} "
                f"version {VERSION}."
            )
        integrator = {
            name.removeprefix("integrator_"): value
            for name, value in arrays.items()
            if name.startswith("integrator_")
        }
        return cls(
            step=meta["step"],
            positions=arrays["positions"],
            momenta=arrays["momenta"],
            cell=arrays["cell"],
            region=RegionState.from_arrays(arrays, "region_"),
            rng_state=meta["rng_state"],
            integrator=integrator,
            files=meta["files"],
            config_digest=meta["config_digest"],
            finished=meta["finished"],
        )


def _read_arrays(path: Path) -> dict[str, Any]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise CheckpointError(
            f"The checkpoint {str(path)!r} cannot be read (truncated or "
            f"corrupted: {error}); delete it to start the run again from step 0."
        ) from None


def _digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the names, dtypes, shapes and bytes of the arrays."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def config_digest(toml_text: str) -> str:
    """SHA-256 of a configuration's TOML text.

    Examples
    --------
    >>> len(config_digest("[system]"))
    64
    """
    return hashlib.sha256(toml_text.encode()).hexdigest()


def read_if_present(folder: Path) -> Checkpoint | None:
    """Return the checkpoint in ``folder``, None if there is none."""
    path = Path(folder) / NAME
    return Checkpoint.load(path) if path.exists() else None


__all__ = ["Checkpoint", "CheckpointError", "config_digest", "read_if_present"]
