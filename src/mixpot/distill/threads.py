"""One BLAS thread around small dense work (ASE relaxations and MD).

ASE's BFGS updates a 3N × 3N Hessian at every step, and Langevin MD does a
few small array operations per step. On a multithreaded BLAS these tiny
calls spin up every thread; with a core busy elsewhere the threads wait for
each other and a distillation slowed more than tenfold (issue 11: 44 s with
one BLAS thread, over 10 min without). :func:`small_dense_work` limits BLAS
to one thread for the block (threadpoolctl, a scikit-learn dependency); the
large least-squares fit runs outside it with all threads.

Examples
--------
>>> import numpy as np
>>> with small_dense_work():
...     float(np.ones((3, 3)) @ np.ones(3) @ np.ones(3))
9.0
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from threadpoolctl import threadpool_limits


def small_dense_work() -> AbstractContextManager:
    """Context manager: BLAS limited to one thread inside the block."""
    return threadpool_limits(limits=1, user_api="blas")
