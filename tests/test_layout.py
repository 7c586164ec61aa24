"""House rules of the package layout, checked on the source tree."""

from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "mixpot"


def test_library_code_never_imports_the_test_kit():
    """Only mixpot.testing itself may name mixpot.testing (docstrings included)."""
    offenders = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if "testing" not in path.relative_to(SOURCE).parts
        and "mixpot.testing" in path.read_text()
    ]
    assert offenders == []
