"""Every plot type renders, returns Axes, leaves the backend alone and says what it shows:
units in the axis labels, log scales where bounds span decades, the SM point on contours."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt

from cevnsfit.report import plots
from cevnsfit.report.style import param_label


@pytest.fixture(autouse=True)
def _close():
    backend = matplotlib.get_backend()
    yield
    assert matplotlib.get_backend() == backend
    plt.close("all")


def test_importing_plots_selects_no_backend():
    import subprocess
    import sys

    code = (
        "import matplotlib; b = matplotlib.rcParams._get('backend'); import cevnsfit.report.plots, "
        "cevnsfit.api; print(matplotlib.rcParams._get('backend') == b)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "True", r.stderr


def test_labels_in_physics_notation():
    assert param_label("r2_ee") == r"$\langle r^2_{\nu_{ee}}\rangle$ [$10^{-32}$ cm$^2$]"
    assert param_label("mu_e") == r"$|\mu_{\nu_{e}}|$ [$10^{-10}\,\mu_B$]"
    assert param_label("q_ee").endswith("[$e$]") and param_label("r2_emu").startswith("$|")
    assert param_label("sin2w") == r"$\sin^2\theta_W$"


def test_prediction_plot(data_available, tmp_path):
    import cevnsfit as cf

    axes = cf.load("csi").predict().plot()
    assert axes.shape == (2, 2)
    assert "PE" in axes[1, 0].get_xlabel() and r"\mu" in axes[1, 1].get_xlabel()  # t [μs]
    assert "events" in axes[0, 0].get_ylabel()
    assert "data − bkg" in axes[1, 0].get_ylabel()  # the background-subtracted panel
    labels = [t.get_text() for t in axes[0, 0].get_legend().get_texts()]
    assert any("CEvNS" in t for t in labels) and any(t.startswith("data") for t in labels)
    assert "Standard Model" in axes[0, 0].figure._suptitle.get_text()
    d2 = cf.load("dresden2").predict(mu_e=3.0).plot()
    assert "keV" in d2[1, 0].get_xlabel() and "10 eV 3 kg day" in d2[0, 0].get_ylabel()
    assert "mu_e = 3" in d2[0, 0].figure._suptitle.get_text()
    fig = d2[0, 0].figure  # the title (several lines on one column) stays above the panels
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    assert fig._suptitle.get_window_extent(r).y0 >= d2[0, 0].get_window_extent(r).y1
    plots.stacked_prediction(cf.load("ar").predict(), tmp_path / "ar.png")
    assert (tmp_path / "ar.png").stat().st_size > 20_000


def _limit(param, expected=False):
    g = np.linspace(0, 3, 31) if param.startswith("mu") else np.linspace(-3, 3, 31)
    d = {
        "param": param,
        "unit": "1e-10 mu_B",
        "cl": 0.9,
        "delta_chi2": 2.706,
        "intervals": [[0.0, 2.2]],
        "scan": {"grid": g.tolist(), "delta_chi2": (g**2 / 1.8).tolist()},
        "options": {"data": ["dresden2"]},
    }
    if expected:
        d["expected_scan"] = {"grid": g.tolist(), "delta_chi2": (g**2 / 1.5).tolist()}
    return d


def test_profile_plot_draws_expected_dashed():
    ax = plots.plot_profile([_limit("mu_e", expected=True)])
    assert "10^{-10}" in ax.get_xlabel() and "chi" in ax.get_ylabel()
    styles = [ln.get_linestyle() for ln in ax.get_lines()]
    assert "--" in styles  # the expected curve
    assert any("expected" in t.get_text() for t in ax.get_legend().get_texts())


def test_contour_plot_filled_with_sm_and_legend():
    x = np.linspace(-60, 20, 21)
    y = np.linspace(0, 40, 21)
    X, Y = np.meshgrid(x, y)
    z = ((X + 10) / 15) ** 2 + (Y / 12) ** 2
    res = {
        "params": ["r2_ee", "r2_emu"],
        "units": ["1e-32 cm^2"] * 2,
        "x": x.tolist(),
        "y": y.tolist(),
        "delta_chi2": z.tolist(),
        "levels": {"90%": 4.605, "1sigma": 2.30, "2sigma": 6.18, "3sigma": 11.83},
        "best_fit": {"r2_ee": -10.0, "r2_emu": 0.0},
        "options": {"data": ["csi", "ar"]},
    }
    ax = plots.plot_contour(res)
    assert "10^{-32}" in ax.get_xlabel() and "10^{-32}" in ax.get_ylabel()
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    for want in (r"1$\sigma$", r"2$\sigma$", r"3$\sigma$", "SM", "best fit"):
        assert want in texts, texts
    assert any("90 % CL" in t for t in texts)
    assert any(ln.get_marker() == "*" for ln in ax.get_lines())  # the SM point
    assert len(ax.collections) >= 2  # filled regions + the CL line
    lo, hi = ax.get_ylim()
    assert lo <= 0.0 <= hi  # best fit not clipped


def test_comparison_scales():
    ax = plots.plot_comparison(
        "mu_e", [("Dresden-II (Fef), CEvNS + ES", [[0, 2.2]])], [("GEMMA", 0.0, 0.29), ("XENONnT (solar)", 0.0, 0.064)]
    )
    assert ax.get_xscale() == "log" and "10^{-10}" in ax.get_xlabel()
    assert next(t.get_text() for t in ax.get_yticklabels()).startswith("Dresden-II")
    ax = plots.plot_comparison("q_ee", [("Dresden-II", [[-1e-11, 1e-11]])], [("LZ", -1.5e-13, 1.5e-13)])
    assert ax.get_xscale() == "symlog" and "[$e$]" in ax.get_xlabel()
    ax = plots.plot_comparison("r2_ee", [("CsI + Ar", [[-56, -43], [-10, 2]])], [("TEXONO", -4.2, 6.6)])
    assert ax.get_xscale() == "linear"
