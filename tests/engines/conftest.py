"""Fixtures shared with tests/run: the small cheap W potential."""

from ..run.conftest import cheap_npz  # noqa: F401
