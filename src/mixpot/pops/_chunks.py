"""Row chunks for the out-of-core fit: checked, replayed once per pass."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from sklearn.utils.validation import check_array

from ._validation import as_target_matrix, check_sample_weight


class ChunkSource:
    """Validate user chunks and replay them once per pass."""

    def __init__(self, chunks, owner: str) -> None:
        if callable(chunks):
            self._open = chunks
        elif isinstance(chunks, Iterable) and iter(chunks) is not chunks:
            self._open = lambda: iter(chunks)
        else:
            raise ValueError(
                f"The 'chunks' parameter of {owner}.fit_chunks must be a list of "
                "(X, y[, w]) tuples or a function returning a new iterator of "
                "them: a one-shot iterator cannot be read once per pass. Got "
                f"{type(chunks).__name__}."
            )
        self._owner = owner
        self._start = f"The 'chunks' parameter of {owner}.fit_chunks must"
        self._layout: tuple[int, int] | None = None
        self._rows_per_pass: int | None = None

    def peek(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Validate the first chunk and fix the layout (P, K, y.ndim)."""
        for item in self._open():
            X, y_nk, w_n, y_ndim = self._validate(item, 0)
            self._layout = (X.shape[1], y_nk.shape[1])
            return X, y_nk, w_n, y_ndim
        raise ValueError(f"{self._start} yield at least one chunk. Got none.")

    def __call__(self):
        n_rows = 0
        for index, item in enumerate(self._open()):
            X, y_nk, w_n, _ = self._validate(item, index)
            n_rows += len(X)
            yield X, y_nk, w_n
        if self._rows_per_pass is None:
            self._rows_per_pass = n_rows
        elif n_rows != self._rows_per_pass:
            raise ValueError(
                f"{self._start} replay the same rows on every call. Got "
                f"{n_rows} rows on a later pass and {self._rows_per_pass} on "
                "the first."
            )

    def _validate(self, item, index: int):
        if not isinstance(item, tuple | list) or len(item) not in (2, 3):
            raise ValueError(
                f"{self._start} yield tuples (X, y) or (X, y, sample_weight). "
                f"Got {type(item).__name__} as chunk {index}."
            )
        X = check_array(item[0], dtype=np.float64, input_name=f"X of chunk {index}")
        y = check_array(
            item[1], dtype=np.float64, ensure_2d=False, input_name=f"y of chunk {index}"
        )
        if y.ndim not in (1, 2) or len(y) != len(X):
            raise ValueError(
                f"{self._start} yield y with as many rows as X. Got y of shape "
                f"{y.shape} for {len(X)} rows of X in chunk {index}."
            )
        y_nk = as_target_matrix(y)
        if self._layout is not None and (X.shape[1], y_nk.shape[1]) != self._layout:
            raise ValueError(
                f"{self._start} yield chunks of one layout. Got chunk {index} "
                f"has {X.shape[1]} features and {y_nk.shape[1]} targets; the "
                f"first chunk had {self._layout[0]} and {self._layout[1]}."
            )
        w_n = check_sample_weight(
            item[2] if len(item) == 3 else None,
            len(X),
            f"{self._owner}.fit_chunks (chunk {index})",
        )
        return X, y_nk, w_n, y.ndim
