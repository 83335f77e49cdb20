"""The tutorial (examples/tutorial.py) runs top to bottom and writes its plots."""

import os
import subprocess
import sys
from pathlib import Path

TUTORIAL = Path(__file__).resolve().parents[1] / "examples" / "tutorial.py"
PLOTS = ("a_charge_radius_running.png", "b_dresden2_sm.png", "b_dresden2_mu.png", "b_csi_sm.png", "b_csi_mu.png",
         "b_dresden2_signal_vs_mu.png", "c_mu_e_profile.png", "d_r2_ee_r2_emu_contour.png")


def test_tutorial_runs_and_writes_plots(tmp_path, data_available):
    out = tmp_path / "plots"
    # CEVNSFIT_DATA is inherited (conftest sets it when unset and ../shared/data exists)
    env = dict(os.environ, MPLBACKEND="Agg")
    r = subprocess.run([sys.executable, str(TUTORIAL), str(out)], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    for name in PLOTS:
        f = out / name
        assert f.is_file(), f"{name} missing; wrote {sorted(p.name for p in out.glob('*'))}"
        assert f.stat().st_size > 10_000, name
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    # the numbers printed along the way
    for text in ("g_V^p(nu_e", "90% CL allowed: 0.000 <= mu_e <=", "without ES: mu_e <=", "grid points inside the 90% CL"):
        assert text in r.stdout, text
    assert not (tmp_path / "tutorial_output").exists()     # the argument is honoured
