"""Start-up: short commands do not import the heavy libraries they do not need (the speed itself
is measured in benchmarks/), and the numpy normal distribution function that makes this possible
for Dresden-II equals scipy's."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from cevnsfit.special import ndtr


def test_ndtr_equals_scipy():
    from scipy.special import ndtr as scipy_ndtr

    x = np.concatenate([np.linspace(-38.0, 38.0, 200001), np.geomspace(1e-300, 1.0, 500),
                        -np.geomspace(1e-300, 1.0, 500), [0.0, np.inf, -np.inf, np.sqrt(0.5), -np.sqrt(0.5)]])
    ours, ref = ndtr(x), scipy_ndtr(x)
    np.testing.assert_allclose(ours, ref, rtol=2e-15, atol=0)
    assert ndtr(np.array([0.0]))[0] == 0.5 and np.isnan(ndtr(np.array([np.nan]))[0])
    # symmetry Phi(-x) = 1 - Phi(x) where both are O(1)
    y = np.linspace(-5, 5, 1001)
    np.testing.assert_allclose(ndtr(-y), 1.0 - ndtr(y), atol=3e-16)


def _modules_after(args, tmp_path):
    """The modules a command has imported when it ends (run in a fresh interpreter)."""
    code = ("import sys, runpy, json, atexit\n"
            "atexit.register(lambda: open(sys.argv.pop(1), 'w').write(json.dumps(sorted(sys.modules))))\n"
            "sys.argv = ['cevnsfit'] + sys.argv[1:]\n"
            "from cevnsfit.cli import main\n"
            "main()\n")
    out = tmp_path / "mods.json"
    env = dict(os.environ)
    subprocess.run([sys.executable, "-c", code, str(out), *args], env=env, capture_output=True, check=False)
    return set(json.loads(out.read_text()))


@pytest.mark.parametrize("args,absent", [
    (["--help"], ("numpy", "scipy", "iminuit", "rich.markdown")),
    (["predict", "dresden2", "--json"], ("scipy", "scipy.special", "iminuit", "matplotlib")),
])
def test_short_commands_import_little(args, absent, tmp_path, data_available):
    mods = _modules_after(args, tmp_path)
    assert "cevnsfit.cli" in mods
    loaded = [m for m in absent if m in mods]
    assert not loaded, f"'cevnsfit {' '.join(args)}' imported {loaded}"
