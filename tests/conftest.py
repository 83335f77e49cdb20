"""Test configuration: the data releases are found through CEVNSFIT_DATA (README)."""

import os
from pathlib import Path

import pytest

_SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
if not os.environ.get("CEVNSFIT_DATA") and _SHARED.is_dir():
    os.environ["CEVNSFIT_DATA"] = str(_SHARED)
elif os.environ.get("CEVNSFIT_DATA"):
    # subprocesses (tutorial, worker pools) may run elsewhere: make a relative path absolute
    os.environ["CEVNSFIT_DATA"] = str(Path(os.environ["CEVNSFIT_DATA"]).expanduser().resolve())
# hermetic template cache for the test session (inherited by worker processes)
if "CEVNSFIT_CACHE" not in os.environ:
    import tempfile

    os.environ["CEVNSFIT_CACHE"] = tempfile.mkdtemp(prefix="cevnsfit-test-cache-")


@pytest.fixture(scope="session")
def data_available():
    from cevnsfit import data

    bad = [s for s in data.verify() if not s.ok]
    if bad:
        pytest.fail(f"data files missing/altered: {[s.name for s in bad]}; set CEVNSFIT_DATA")
    return True
