"""Start-up: short commands do not import the heavy libraries they do not need (the speed itself
is measured in benchmarks/)."""

import json
import os
import subprocess
import sys

import pytest


def _modules_after(args, tmp_path):
    """The modules a command has imported when it ends (run in a fresh interpreter)."""
    code = (
        "import sys, runpy, json, atexit\n"
        "atexit.register(lambda: open(sys.argv.pop(1), 'w').write(json.dumps(sorted(sys.modules))))\n"
        "sys.argv = ['cevnsfit'] + sys.argv[1:]\n"
        "from cevnsfit.cli import main\n"
        "main()\n"
    )
    out = tmp_path / "mods.json"
    env = dict(os.environ)
    subprocess.run([sys.executable, "-c", code, str(out), *args], env=env, capture_output=True, check=False)
    return set(json.loads(out.read_text()))


@pytest.mark.parametrize(
    "args,absent",
    [
        (["--help"], ("numpy", "scipy", "iminuit", "rich.markdown")),
        (["predict", "dresden2", "--json"], ("scipy", "iminuit", "matplotlib")),
    ],
)
def test_short_commands_import_little(args, absent, tmp_path, data_available):
    mods = _modules_after(args, tmp_path)
    assert "cevnsfit.cli" in mods
    loaded = [m for m in absent if m in mods]
    assert not loaded, f"'cevnsfit {' '.join(args)}' imported {loaded}"


def test_dresden_normal_cdf_both_ways(data_available):
    """The Dresden-II peaks' Phi: math.erfc for one prediction, scipy.special.ndtr for batches --
    the same values (to 1e-12 relative), and the same background either way."""
    import numpy as np
    from scipy.special import ndtr

    from cevnsfit.experiments import dresden2 as d

    x = np.linspace(-30.0, 30.0, 10 * d.SMALL_NDTR)
    small = np.concatenate([d._ndtr(x[i : i + d.SMALL_NDTR]) for i in range(0, x.size, d.SMALL_NDTR)])
    np.testing.assert_allclose(small, ndtr(x), rtol=1e-12, atol=0)
    np.testing.assert_allclose(d._ndtr(x), ndtr(x), rtol=0, atol=0)
    one = d.background_batch(d.E_EDGES, [12.0], [120.0], [0.3], [1500.0], None, [1.293], [0.07], True)
    many = d.background_batch(
        d.E_EDGES, [12.0] * 3, [120.0] * 3, [0.3] * 3, [1500.0] * 3, None, [1.293] * 3, [0.07] * 3, True
    )
    np.testing.assert_allclose(many[0], np.repeat(one[0], 3, axis=0), rtol=1e-12)
    for k in one[1]:
        np.testing.assert_allclose(many[1][k], np.repeat(np.atleast_2d(one[1][k]), 3, axis=0), rtol=1e-10, atol=1e-14)
