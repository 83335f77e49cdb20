"""The two summary plots: the running of sin^2 theta_W and CEvNS rates against neutron number.

(a) sin^2 theta_W(q^2) running (one loop, Erler & Ramsey-Musolf, PRD 72 (2005) 073003):

    sin^2(q^2) = k_l(q^2) s^2_Z,
    k_l = 1 - alpha/(2 pi s^2_Z) [2 sum_f (T3_f Q_f - 2 s^2_Z Q_f^2) J_f(q^2) + c^2_Z/3
          + (1/c^2_Z)(19/8 + 17/4 s^2_Z + 3 s^4_Z) - (7/2 c^2_Z + 1/12) ln c^2_Z]
          - alpha/(pi s^2_Z) [-R_l(q^2) + 1/4],
    J_f = int_0^1 x(1-x) ln[(m_f^2 - q^2 x(1-x))/M_Z^2] dx   (quarks x 3 colours, top decoupled).

  Only the q dependence is taken from this formula: k is normalised to 1 at |q| = M_Z, where
  s^2_Z is defined.  The light quarks (u, d, s) get one common effective mass, fixed so that the flavour-universal
  part reproduces the PDG low-energy value sin^2 theta_W(0) = 0.23863 (a perturbative one-loop
  formula cannot describe the hadronic vacuum polarisation otherwise; this calibration is a
  choice, stated here and in the docs).  Heavy-quark and lepton masses from the PDG.

(b) Measured CEvNS rates against neutron number: for each data set the CEvNS normalisation is
  fitted freely (physics at the SM) and the ratio to the SM prediction multiplies Q_W^2/4 of the
  target, shown with the SM curve Q_W^2/4 ~ N^2/4.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

from ..constants import ALPHA, C2_HAT_Z, M_E, M_MU, M_TAU, M_Z, S2_HAT_Z, SIN2W_0
from ..physics.charge_radius import running_integral, vacuum_polarisation_integral

_HEAVY = [
    ("c", 1270.0, 2 / 3, 0.5, 3),
    ("b", 4180.0, -1 / 3, -0.5, 3),
    ("e", M_E, -1.0, -0.5, 1),
    ("mu", M_MU, -1.0, -0.5, 1),
    ("tau", M_TAU, -1.0, -0.5, 1),
]
_LIGHT = [("u", 2 / 3, 0.5), ("d", -1 / 3, -0.5), ("s", -1 / 3, -0.5)]


def _j(m, q):
    return math.log(m**2 / M_Z**2) / 6.0 + vacuum_polarisation_integral(np.asarray(q, float) ** 2 / m**2)


def _k_universal(q, m_light):
    q = np.asarray(q, float)
    s2, c2 = S2_HAT_Z, C2_HAT_Z
    tot = 0.0
    for _, m, Q, t3, nc in _HEAVY:
        tot = tot + nc * (t3 * Q - 2 * s2 * Q**2) * _j(m, q)
    for _, Q, t3 in _LIGHT:
        tot = tot + 3 * (t3 * Q - 2 * s2 * Q**2) * _j(m_light, q)
    const = c2 / 3 + (19 / 8 + 17 / 4 * s2 + 3 * s2**2) / c2 - (7 / 2 * c2 + 1 / 12) * math.log(c2)
    return 1.0 - ALPHA / (2 * math.pi * s2) * (2 * tot + const)


def _k_ms(q, m_light):
    """k normalised to 1 at |q| = M_Z (the MS-bar definition of s^2_Z): only the q dependence of
    the one-loop formula is used, its constants are absorbed by the matching at M_Z."""
    return _k_universal(q, m_light) - _k_universal(M_Z, m_light) + 1.0


def light_quark_mass() -> float:
    """Common effective u, d, s mass [MeV] that gives sin^2 theta_W(0) = 0.23863 (universal part)."""
    return brentq(lambda m: _k_ms(0.0, m) * S2_HAT_Z - SIN2W_0, 1.0, 5000.0)


def sin2w_running(q, flavour: str | None = None) -> np.ndarray:
    """sin^2 theta_W at |q| [MeV] (space-like); with ``flavour`` the neutrino charge-radius term."""
    m = light_quark_mass()
    k = _k_ms(q, m)
    if flavour is not None:
        k = k - ALPHA / (math.pi * S2_HAT_Z) * (-running_integral(flavour, q) + 0.25)
        k0 = -ALPHA / (math.pi * S2_HAT_Z) * (-running_integral(flavour, 0.0) + 0.25)
        k = k - k0  # the q = 0 neutrino term belongs to g_V^p (radius), not to sin^2 theta_W(0)
    return k * S2_HAT_Z


def typical_momentum(dataset) -> float:
    """Rate-weighted mean |q| = sqrt(2 M T) [MeV] of the SM CEvNS events a data set records."""
    from ..physics.parameters import Params, monomials
    from ..physics.target import cevns_basis

    spectra, target, _scale, nodes, weights, response = dataset.channel_inputs["cevns"]
    m = target.isotopes()[0][0].mass
    rate = 0.0
    for s in spectra:
        rate = rate + monomials(Params.sm(), s.flavour) @ cevns_basis(nodes, s, target, dataset.opts)
    w = rate * weights * response.sum(axis=0)
    return float(np.sum(w * np.sqrt(2 * m * nodes)) / np.sum(w))


def sin2w_plot(points: list[dict], path=None, ax=None):
    """points: [{label, q, value, low, high}] (1 sigma errors) on the SM running curves; returns the
    Axes (and writes ``path`` when given)."""
    from .style import new_axes, save, style

    q = np.geomspace(0.1, 1e5, 400)
    with style():
        ax = new_axes(ax, figsize=(6.4, 4.4))
        ax.plot(q, sin2w_running(q), "k-", lw=1.2, label=r"SM, $\overline{\rm MS}$ running")
        ax.plot(q, sin2w_running(q, "e"), "k--", lw=0.8, label=r"SM, $\nu_e$ probe")
        ax.plot(q, sin2w_running(q, "mu"), "k:", lw=0.8, label=r"SM, $\nu_\mu$ probe")
        for k, p in enumerate(points):
            ax.errorbar(
                [p["q"] * (1 + 0.04 * k)],
                [p["value"]],
                yerr=[[p["value"] - p["low"]], [p["high"] - p["value"]]],
                fmt="o",
                ms=4,
                capsize=2,
                label=p["label"],
            )
        ax.set_xscale("log")
        ax.set_xlabel(r"$|q|$ [MeV]")
        ax.set_ylabel(r"$\sin^2\theta_W(q)$")
        ax.set_ylim(0.1, 0.4)
        ax.legend(fontsize=7, ncol=2)
    if path is not None:
        save(ax, path, close=True)
    return ax


def rate_vs_n(datasets) -> list[dict]:
    """Fitted CEvNS rate / SM for each data set (normalisation nuisance free), with Q_W^2/4."""
    import copy
    from dataclasses import replace

    from ..inference.fit import Likelihood

    out = []
    for ds in datasets:
        # the nuisance scaling the CEvNS rate (its normalisation, the reactor flux, the 8B flux)
        norm = ds.signal_normalisation
        if norm is None or "cevns" not in ds.templates:  # no CEvNS (e.g. electron recoils)
            continue
        free = copy.copy(ds)
        free.nuisances = tuple(replace(n, sigma=None) if n.name == norm else n for n in ds.nuisances)
        res = Likelihood([free], profiler="minuit").fit()  # Minuit: we need the error
        iso = ds.target.isotopes()
        qw = sum(w * (i.N - (1 - 4 * SIN2W_0) * i.Z) ** 2 / 4 for i, w in iso) / sum(w for _, w in iso)
        n_avg = sum(w * i.N for i, w in iso) / sum(w for _, w in iso)
        ratio = 1 + res.values[f"{ds.name}.{norm}"]
        err = res.errors[f"{ds.name}.{norm}"]
        out.append(
            {
                "data": ds.name,
                "N": n_avg,
                "qw2_over_4": qw,
                "ratio": ratio,
                "ratio_error": err,
                "converged": res.converged,
            }
        )
    return out


def rate_vs_n_plot(rows: list[dict], path=None, ax=None):
    """Measured CEvNS rate x Q_W^2/4 against neutron number with the SM N^2/4; returns the Axes."""
    from .style import EXPERIMENT_LABELS, new_axes, save, style

    n = np.linspace(10, 90, 200)
    with style():
        ax = new_axes(ax, figsize=(5.8, 4.3))
        ax.plot(n, n**2 / 4, "k-", lw=1, label=r"$N^2/4$")
        for r in rows:
            y = r["ratio"] * r["qw2_over_4"]
            ax.errorbar(
                [r["N"]],
                [y],
                yerr=[r["ratio_error"] * r["qw2_over_4"]],
                fmt="o",
                capsize=3,
                label=f"{EXPERIMENT_LABELS.get(r['data'], r['data'])}: {r['ratio']:.2f} ± {r['ratio_error']:.2f} × SM",
            )
            ax.plot([r["N"]], [r["qw2_over_4"]], "kx")
        ax.plot([], [], "kx", label=r"SM: $Q_W^2/4$ of the target")
        ax.set_xlabel(r"neutron number $N$")
        ax.set_ylabel(r"$(N_{\rm meas}/N_{\rm SM})\times Q_W^2/4$")
        ax.legend(fontsize=8)
        ax.set_title("CEvNS rates against neutron number")
    if path is not None:
        save(ax, path, close=True)
    return ax
