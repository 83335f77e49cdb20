"""The Python API: data sets, analyses and result objects agree with the command line."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import cevnsfit as cf
from cevnsfit.api import ContourResult, LimitResult, Prediction, from_dict


def _cli(*args):
    r = subprocess.run(
        [sys.executable, "-m", "cevnsfit.cli", *args], capture_output=True, text=True, timeout=300, env=dict(os.environ)
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_import_is_lazy():
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, cevnsfit; print('matplotlib' in sys.modules, "
            "'cevnsfit.api' in sys.modules, 'scipy' in sys.modules)",
        ],
        capture_output=True,
        text=True,
    )
    assert r.stdout.split() == ["False", "False", "False"]
    assert callable(cf.load) and cf.Analysis is cf.api.Analysis


def test_predict_equals_cli_json(data_available):
    pred = cf.load("dresden2", qf="ybe").predict(mu_e=3.0)
    cli = _cli("predict", "dresden2", "--qf", "ybe", "--set", "mu_e=3", "--json")
    for k in pred.bins:
        assert np.allclose(pred.bins[k], cli["bins"][k], rtol=1e-9, atol=0)
    assert np.array_equal(pred.observed, cli["observed"])
    assert [a["edges"] for a in pred.axes] == [a["edges"] for a in cli["axes"]]
    assert cli["totals"] == pytest.approx(pred.totals, rel=1e-9)
    assert cli["nuisances"] == pytest.approx(pred.nuisances, rel=1e-7, abs=1e-9)
    # the components are arrays shaped like the data, with their bin edges
    d = cf.load("csi")
    p = d.predict()
    assert p.components["cevns"].shape == d.observed.shape == tuple(len(e) - 1 for e in p.edges)
    assert np.allclose(p.total, sum(p.components.values()))
    # the magnetic moment only adds events (cross section + mu^2 term)
    assert d.predict(mu_mu=30).totals["cevns"] > p.totals["cevns"]


def test_chi2_is_data_plus_priors(data_available):
    d = cf.load("ar")
    nuis = {n["name"]: n["central"] for n in d.nuisances}
    assert d.chi2() == pytest.approx(d.dataset.chi2(cf.api.core.Data._params({}), nuis))
    assert d.chi2(profile=True) <= d.chi2() + 1e-9  # fitting the nuisances can only lower it


@pytest.mark.parametrize(
    "data,param,extra",
    [
        ("dresden2", "mu_e", []),
        ("ar", "sin2w", []),
        ("dresden2", "q_ee", ["--no-es"]),
    ],
)
def test_limit_equals_cli_json(data, param, extra, data_available):
    model = {"es": False} if "--no-es" in extra else {}
    res = cf.Analysis(data=[data], model=model).limit(param, points=21)
    cli = _cli("limit", "--data", data, "--param", param, "--points", "21", "--json", *extra)
    assert len(res.intervals) == len(cli["intervals"])
    for ours, theirs in zip(res.intervals, cli["intervals"], strict=True):
        assert ours == pytest.approx(tuple(theirs), rel=1e-6, abs=1e-15)
    assert res.best_fit == pytest.approx(cli["best_fit"], rel=1e-6, abs=1e-12)
    assert res.unit == cli["unit"] and res.method == cli["method"]
    assert cli["meta"]["cevnsfit"] == cf.__version__ and "date" in cli["meta"]


def test_results_round_trip_and_plot(data_available, tmp_path):
    import matplotlib

    backend = matplotlib.get_backend()
    ana = cf.Analysis(data=[cf.load("dresden2")])
    lim = ana.limit("mu_e", points=15)
    back = LimitResult.from_json(lim.to_json())
    assert back.to_dict() == lim.to_dict() and back.intervals == lim.intervals
    assert from_dict(json.loads(lim.to_json())).intervals == lim.intervals
    lim.to_json(tmp_path / "lim.json")
    assert LimitResult.from_json(tmp_path / "lim.json").best_fit == lim.best_fit
    assert "<table>" in lim._repr_html_() and "mu_e" in lim._repr_html_()
    assert lim.intervals[0][0] == 0.0 and lim.upper_limit > 0  # a modulus: [0, limit]
    assert lim.meta["cevnsfit"] == cf.__version__ and lim.meta["options"]["data"] == ["dresden2"]
    ax = lim.plot()
    assert isinstance(ax, matplotlib.axes.Axes) and "10^{-10}" in ax.get_xlabel()
    c = ana.contour("mu_e", "q_ee", points=7, x_range=(0, 4), y_range=(-2e-11, 2e-11))
    cb = ContourResult.from_dict(json.loads(c.to_json()))
    assert cb.to_dict() == c.to_dict() and set(c.intervals) == {"mu_e", "q_ee"}
    ax = c.plot()
    assert ax.get_legend() is not None
    p = cf.load("dresden2").predict()
    assert Prediction.from_json(p.to_json()).to_dict() == p.to_dict()
    axes = p.plot()
    assert axes.shape == (2, 1)
    assert matplotlib.get_backend() == backend
    import matplotlib.pyplot as plt

    plt.close("all")


def test_fixed_and_free(data_available):
    from cevnsfit.inference.analysis import physics_parameters

    dss = cf.Analysis(data=["csi"]).setup.datasets()
    free, fixed = physics_parameters(["r2_ee"], dss, False, fixed={"r2_mumu": "sm"})
    assert "r2_mumu" not in free and fixed["r2_mumu"] == pytest.approx(-0.4805, abs=2e-4)
    with pytest.raises(ValueError, match="both fixed and free"):
        cf.Analysis(data=["csi"], fixed={"mu_mu": 0}, free=["mu_mu"])
    with pytest.raises(ValueError, match="not a physics parameter"):
        cf.Analysis(data=["csi"], fixed={"mu_x": 0})


def test_negative_range_of_a_modulus():
    with pytest.raises(ValueError, match="modulus"):
        cf.Analysis(data=["dresden2"]).limit("mu_e", range=(-5, -1))
