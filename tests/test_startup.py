"""Start-up: short commands do not import the heavy libraries they do not need (the speed itself
is measured in benchmarks/)."""

import json
import os
import subprocess
import sys

import pytest


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
    (["predict", "dresden2", "--json"], ("scipy.interpolate", "scipy.optimize", "scipy.stats", "iminuit",
                                         "matplotlib")),
])
def test_short_commands_import_little(args, absent, tmp_path, data_available):
    mods = _modules_after(args, tmp_path)
    assert "cevnsfit.cli" in mods
    loaded = [m for m in absent if m in mods]
    assert not loaded, f"'cevnsfit {' '.join(args)}' imported {loaded}"
