"""Published new-physics numbers of other people's fits to the same data releases, reproduced.

Each number below is read from a text we could open (an abstract, a public repository's output
file); the source, the conventions and the tolerance are recorded in ``docs/reproduction.md``
("Beyond the papers").  Where a convention could not be matched the test says which; where we
disagree beyond the stated tolerance the test is a strict xfail with the reason, never a looser
tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

from cevnsfit import Analysis
from cevnsfit.inference.analysis import Setup, limit

#: chi^2 quantile of 1 dof at 90 % CL
CHI2_90 = 2.705543


# --- Huang et al., arXiv:2403.03566: sin^2 theta_W with the measured 133Cs neutron radius -------


def test_sin2w_with_the_measured_cs_neutron_radius(data_available):
    """Abstract of Huang et al., arXiv:2403.03566: "a point-neutron radius of 4.86(21) fm for
    133Cs is obtained.  With the newly determined neutron radius, the weak mixing angle
    sin^2 theta_W is independently extracted to be 0.227(28) by fitting the coherent elastic
    neutrino-nucleus scattering data" (the CsI data of COHERENT; the abstract does not name the
    release nor the iodine radius: we use the CsI 2021 release and one radius for Cs and I).

    Ours: R_n(CsI) fixed at 4.86 fm, sin^2 theta_W free, 1 sigma.  Tolerance: central value within
    half the published 1 sigma (0.014), half-width within 20 % of 0.028 (release, iodine radius and
    systematics not matched)."""
    r = limit(
        Setup(("csi",), tie_csi_radius=True), "sin2w", cl=0.6827, n_points=41, fixed={"rn_cs": 4.86}, expected=False
    )
    ((lo, hi),) = r["intervals"]
    best = r["best_fit"]
    assert abs(best - 0.227) < 0.014
    assert 0.5 * (hi - lo) == pytest.approx(0.028, rel=0.2)
    # the direction of the radius dependence (the known degeneracy): a smaller R_n than the
    # default 5.01 fm raises the predicted rate, so the fitted sin^2 theta_W goes down
    r0 = limit(Setup(("csi",), tie_csi_radius=True), "sin2w", cl=0.6827, n_points=41, expected=False)
    assert r0["best_fit"] - best == pytest.approx(0.008, abs=0.004)


# --- Denton & Gehrlein, 7stats (arXiv:2008.06062): quark-universal eps_ee, eps_mumu from CsI 2017 --
#
# The repository github.com/JuliaGehrlein/7stats ships its Feldman-Cousins results on the COHERENT
# CsI 2017 release (12 x 12 PE x time bins) for eps_u = eps_d = eps (its ``signalcomp`` sets both),
# one flavour at a time, in datafiles_out/results_eps{ee,mm}_nomarg_144bins_newpull.txt: the
# column is the confidence level (in %) at which the value is excluded.  The 90 % CL edges below
# are the linear interpolations of that column at 90 %.


def _diagonal_curve(flavour: str, eps: np.ndarray) -> np.ndarray:
    """Delta chi^2 (nuisances profiled) along eps_u = eps_d = eps for ``flavour`` (CsI 2017)."""
    chi2 = np.array(
        [
            Analysis(["csi2017"], fixed={f"eps_u_{flavour}": float(e), f"eps_d_{flavour}": float(e)}).fit().chi2_min
            for e in eps
        ]
    )
    return chi2 - chi2.min()


def _crossings(eps: np.ndarray, d: np.ndarray, level: float) -> list[float]:
    """Linear interpolation of every crossing of ``level`` by the curve."""
    out = []
    for k in range(len(eps) - 1):
        a, b = d[k] - level, d[k + 1] - level
        if a == 0.0 or a * b < 0.0:
            out.append(float(eps[k] + (eps[k + 1] - eps[k]) * a / (a - b)))
    return out


def _minima(eps: np.ndarray, d: np.ndarray) -> list[float]:
    """Local minima of the curve, refined by a parabola through the three grid points."""
    out = []
    for k in range(1, len(eps) - 1):
        if d[k] <= d[k - 1] and d[k] < d[k + 1]:
            den = d[k - 1] - 2 * d[k] + d[k + 1]
            out.append(float(eps[k] + 0.5 * (eps[1] - eps[0]) * (d[k - 1] - d[k + 1]) / den))
    return out


def test_quark_universal_eps_ee_csi2017_7stats(data_available):
    """7stats (FC, CsI 2017): best fits eps = 0.032 and 0.158 (excluded at 0.8 %: the two points
    where the nu_e amplitude has the fitted size, mirror images about eps = 0.096 where it
    vanishes); 90 % CL allowed -0.041 <= eps <= 0.231.

    Ours: Wilks, the release's nuisances (12 % signal, BRN 25 %, SS 5 %, QF templates).
    Tolerances: best fits within 0.01 (their grid spacing there is 0.008-0.012); each 90 % edge within
    0.025 -- their signal (28 %) and background (17 %) pulls are wider than the release's and
    their intervals are Feldman-Cousins (both widen the interval, so ours must not be wider)."""
    eps = np.round(np.arange(-0.08, 0.2701, 0.005), 4)
    d = _diagonal_curve("ee", eps)
    m = _minima(eps, d)
    assert len(m) == 2
    assert m[0] == pytest.approx(0.032, abs=0.01) and m[1] == pytest.approx(0.158, abs=0.01)
    edges = _crossings(eps, d, CHI2_90)
    assert len(edges) == 2  # one interval: eps = 0.096 (no nu_e CEvNS) is not excluded at 90 %
    lo, hi = edges
    assert lo == pytest.approx(-0.041, abs=0.025) and hi == pytest.approx(0.231, abs=0.025)
    assert lo > -0.041 and hi < 0.231


@pytest.mark.xfail(
    strict=True,
    reason="documented gap (docs/reproduction.md, Beyond the papers): for eps_mumu 7stats finds the "
    "best fit at 0.004 and allows eps down to -0.123 at 90 % CL; we find 0.018 and -0.010.  eps_mumu is "
    "nearly degenerate with the CEvNS normalisation, so the result follows its prior (theirs 28 %, the "
    "release's 12.2 %): with the normalisation free our best fits are theirs (0.006, 0.185)",
)
def test_quark_universal_eps_mumu_csi2017_7stats(data_available):
    """7stats (FC, CsI 2017): best fits eps = 0.0042 and 0.1858; 90 % CL allowed
    [-0.123, 0.029] U [0.161, 0.313].  Same tolerances as for eps_ee."""
    eps = np.round(np.arange(-0.15, 0.3501, 0.005), 4)
    d = _diagonal_curve("mumu", eps)
    m = _minima(eps, d)
    assert len(m) == 2
    assert m[0] == pytest.approx(0.0042, abs=0.01) and m[1] == pytest.approx(0.1858, abs=0.01)
    edges = _crossings(eps, d, CHI2_90)
    assert len(edges) == 4
    for ours, theirs in zip(edges, (-0.123, 0.029, 0.161, 0.313), strict=True):
        assert ours == pytest.approx(theirs, abs=0.025)
