"""Moving a mixed step's data between the ranks of a LAMMPS run and rank 0.

Rank 0 alone evaluates the expensive model (and rebuilds the regions); the
other ranks send it their atoms of the expensive set and wait. Two things
make this more than a gather and a scatter:

* a failure on rank 0 inside LAMMPS' callback must not leave the other
  ranks waiting forever, nor vanish (LAMMPS swallows exceptions raised in
  callbacks): :meth:`RootExchange.guarded` keeps it, :meth:`RootExchange.shared`
  tells every rank, and :meth:`RootExchange.raise_failure` raises it after
  the LAMMPS command returns;
* MPICH busy-polls in blocking calls, so waiting ranks would take the cores
  torch needs on rank 0: :meth:`RootExchange.wait_for_root` waits on a
  nonblocking barrier polled with short sleeps.
"""

from __future__ import annotations

import logging
import time

import numpy as np

logger = logging.getLogger(__name__)

#: Seconds between polls of the ranks that wait for rank 0.
WAIT_POLL_S = 0.0005


class RootExchange:
    """Gather to rank 0, share its outcome, and carry its failures.

    Parameters
    ----------
    comm : mpi4py communicator
        The ranks of the LAMMPS run.

    Examples
    --------
    >>> from mpi4py import MPI
    >>> exchange = RootExchange(MPI.COMM_SELF)
    >>> exchange.shared(exchange.guarded(lambda: 1 / 0))   # fails on rank 0
    >>> exchange.raise_failure()
    Traceback (most recent call last):
    ...
    RuntimeError: the expensive correction failed inside LAMMPS: division by zero
    """

    def __init__(self, comm) -> None:
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.failure: BaseException | str | None = None

    def guarded(self, function, *args):
        """Return ``function(*args)`` (rank 0), or None after keeping its failure."""
        try:
            return function(*args)
        except Exception as error:  # noqa: BLE001  (raised by raise_failure)
            logger.exception("expensive correction failed")
            self.failure = error
            return None

    def shared(self, outcome):
        """Broadcast rank 0's outcome to every rank; None on every rank if it failed."""
        message = None
        if self.rank == 0 and self.failure is not None:
            message = str(self.failure)
        outcome, message = self.comm.bcast((outcome, message), root=0)
        if message is None:
            return outcome
        if self.failure is None:
            self.failure = message
        return None

    def raise_failure(self) -> None:
        """Raise the kept failure, if any, as a RuntimeError (then forget it)."""
        failure, self.failure = self.failure, None
        if failure is None:
            return
        cause = failure if isinstance(failure, BaseException) else None
        raise RuntimeError(
            f"the expensive correction failed inside LAMMPS: {failure}"
        ) from cause

    def wait_for_root(self) -> None:
        """Wait until rank 0 arrives here, sleeping instead of spinning."""
        if self.size == 1:
            return
        request = self.comm.Ibarrier()
        if self.rank == 0:
            request.Wait()
            return
        while not request.Test():
            time.sleep(WAIT_POLL_S)

    def gather_to_root(self, tags: np.ndarray, values_nc: np.ndarray):
        """Rank 0: list of every rank's ``(tags, values)``; others: None."""
        return self.comm.gather((np.array(tags), np.array(values_nc)), root=0)

    def allgather_by_tag(
        self, tags: np.ndarray, values_nc: np.ndarray, n_atoms: int
    ) -> np.ndarray:
        """Every rank: the values of all atoms, row ``tag - 1`` (O(N) each)."""
        parts = self.comm.allgather((np.array(tags), np.array(values_nc)))
        ordered = np.empty((n_atoms, *np.shape(values_nc)[1:]))
        for part_tags, values in parts:
            ordered[part_tags - 1] = values
        return ordered
