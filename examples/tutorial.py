"""cevnsfit tutorial: from a predicted spectrum to a 2D contour.

Run it from anywhere, with the data releases found through CEVNSFIT_DATA (see README.md):

    CEVNSFIT_DATA=/path/to/data python examples/tutorial.py [OUTPUT_DIR]

Plots go to OUTPUT_DIR (default ``tutorial_output/``). It takes about half a minute.

The steps:

  (a) the Standard-Model couplings and neutrino charge radii the package uses;
  (b) the Dresden-II and COHERENT CsI spectra, at the SM and with a neutrino magnetic moment;
  (c) a 90 % CL limit on the nu_e magnetic moment mu_e from Dresden-II, with its Delta chi^2 profile;
  (d) a 2D contour of the diagonal and a transition charge radius, (r2_ee, r2_emu), from Dresden-II.

Units (docs/conventions.md): energies in MeV inside the physics modules; magnetic moments in
1e-10 Bohr magnetons; charge radii in 1e-32 cm^2 (the diagonal ones are the *total* radius,
SM value by default); millicharges in units of e.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")            # no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cevnsfit import data, experiments  # noqa: E402
from cevnsfit.inference.analysis import Setup, contour, limit  # noqa: E402
from cevnsfit.inference.fit import profile_nuisances  # noqa: E402
from cevnsfit.physics import charge_radius, couplings  # noqa: E402
from cevnsfit.physics.parameters import UNITS, Params  # noqa: E402
from cevnsfit.report import plots  # noqa: E402


def section(title: str) -> None:
    print(f"\n{'=' * 78}\n{title}\n{'=' * 78}")


def main(out_dir: str = "tutorial_output") -> Path:
    t_start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    print(f"data releases: {data.data_dir()}")
    print(f"plots go to:   {out.resolve()}")

    # ------------------------------------------------------------------------------------------
    section("(a) couplings and SM charge radii")
    # ------------------------------------------------------------------------------------------
    # g_V^p(nu_l) contains the radiative corrections (Erler & Su) and the SM charge radius of
    # nu_l, hence depends on the flavour; g_V^n does not. sin^2(theta_W) enters the tree term.
    for f in ("e", "mu", "tau"):
        print(f"g_V^p(nu_{f:3s}) = {couplings.gvp(f):+.5f}    "
              f"<r^2_nu_{f}>_SM = {charge_radius.r2_sm(f):+.4f} x 1e-32 cm^2")
    print(f"g_V^n         = {couplings.gvn():+.5f}")
    print(f"g~_V^p (no charge radius, the coupling used when the radius is a parameter) = "
          f"{couplings.gvp_no_radius():+.5f}")
    # Tree level for comparison (rho = 1, no boxes, no radius): 1/2 - 2 sin^2 = 0.02274
    print(f"tree level: g_V^p = {couplings.gvp('e', radiative=False):+.5f}, g_V^n = {couplings.gvn(False):+.5f}")
    # A charge radius is a shift of the proton coupling, Q~ = sqrt2 pi alpha/(3 G_F) <r^2>:
    print(f"Q~ per 1e-32 cm^2 = {float(charge_radius.qtilde(1.0)):.6f}")

    # The SM point is what Params() / Params.sm() holds: no magnetic moments, no millicharges,
    # no transition radii, the diagonal radii at their SM values.
    sm = Params.sm()
    print(f"Params.sm(): r2_ee = {sm.r2_ee:.4f}, r2_mumu = {sm.r2_mumu:.4f}, mu_e = {sm.mu_e}, q_ee = {sm.q_ee}")

    # With momentum dependence the SM radius runs with |q| (arXiv:2402.16709): plot it.
    q = np.geomspace(1e-3, 300.0, 200)          # MeV
    fig, ax = plt.subplots(figsize=(5.5, 4.0))
    for f in ("e", "mu", "tau"):
        ax.plot(q, charge_radius.r2_effective(f, q), label=rf"$\nu_{{\{f}}}$" if f != "e" else r"$\nu_e$")
    ax.axvspan(10, 100, color="0.9", label="|q| of Dresden-II to COHERENT")
    ax.set_xscale("log")
    ax.set_xlabel("|q| [MeV]")
    ax.set_ylabel(r"$\langle r^2_\nu\rangle^{\rm eff}$ [$10^{-32}$ cm$^2$]")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "a_charge_radius_running.png", dpi=110)
    plt.close(fig)

    # ------------------------------------------------------------------------------------------
    section("(b) predicted spectra: SM and a neutrino magnetic moment")
    # ------------------------------------------------------------------------------------------
    # experiments.load builds a data set with its model choices (memoised). Dresden-II defaults:
    # Fef quenching, HMVE reactor spectrum, CEvNS + nu-e scattering.
    d2 = experiments.load("dresden2")
    csi = experiments.load("csi")
    mu_point = sm.with_(mu_e=5.0)                # |mu_nu_e| = 5e-10 mu_B
    for ds, bsm, label in ((d2, mu_point, "mu_e = 5"), (csi, sm.with_(mu_e=30.0, mu_mu=30.0), "mu_e = mu_mu = 30")):
        # Nuisances with no prior (the Dresden-II background shape: flat level, epithermal
        # exponential, 71Ge peaks) are fitted to the data at the chosen physics point; the
        # others stay at their central values.
        free = [n.name for n in ds.nuisances if n.sigma is None]
        for tag, p in (("sm", sm), ("mu", bsm)):
            nuis = profile_nuisances(ds, p).values if free else None
            comps = ds.components(p, nuis)          # counts per bin, per component
            totals = {k: float(v.sum()) for k, v in comps.items()}
            chi2 = ds.chi2(p, nuis)
            print(f"{ds.name:8s} {'SM' if tag == 'sm' else label:18s} " +
                  "  ".join(f"{k} {v:9.2f}" for k, v in totals.items()) +
                  f"  | observed {ds.observed.sum():9.2f}  chi2 {chi2:7.1f} ({ds.observed.size} bins)")
            title = f"{experiments.describe(ds.name)}: {'SM' if tag == 'sm' else label}"
            plots.stacked_prediction(ds, comps, title, str(out / f"b_{ds.name}_{tag}.png"),
                                     errors=ds.observed_errors())
    if d2.name == "dresden2":
        print(f"(Dresden-II counts are per 10 eV per 3 kg per day; x {d2.events_per_unit:.1f} gives events "
              f"in the 96.4-day exposure)")

    # The magnetic moment adds pi alpha^2/m_e^2 (1/T - 1/E) mu^2 to both CEvNS and nu-e scattering:
    # it grows at low recoil energy. Compare the signal (CEvNS + ES) for a few mu_e.
    centres = 0.5 * (d2.axes[0].edges[1:] + d2.axes[0].edges[:-1])
    fig, ax = plt.subplots(figsize=(5.5, 4.0))
    for mu in (0.0, 3.0, 5.0, 8.0):
        c = d2.components(sm.with_(mu_e=mu))
        ax.step(centres, c["cevns"] + c["es"], where="mid", label=rf"$\mu_{{\nu_e}}$ = {mu:g}e-10 $\mu_B$")
    ax.set_yscale("log")
    ax.set_xlabel("E_ee [keVee]")
    ax.set_ylabel("CEvNS + ES counts / (10 eV 3 kg day)")
    ax.set_title("Dresden-II signal", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "b_dresden2_signal_vs_mu.png", dpi=110)
    plt.close(fig)

    # ------------------------------------------------------------------------------------------
    section("(c) 90 % CL limit on mu_e from Dresden-II")
    # ------------------------------------------------------------------------------------------
    # Setup fixes the data sets and model choices; limit() profiles every nuisance (and every
    # other parameter of the same family the data measure: here only mu_e, as the reactor sees
    # nubar_e only), scans Delta chi^2 and returns every allowed interval at Delta chi^2 <= 2.706.
    res = limit(Setup(("dresden2",)), "mu_e", cl=0.9)
    print(f"best fit mu_e = {res['best_fit']:.3f} {res['unit']}, chi2_min = {res['chi2_min']:.2f} "
          f"({res['n_bins']} bins)")
    for lo, hi in res["intervals"]:
        print(f"90% CL allowed: {lo:.3f} <= mu_e <= {hi:.3f}  [{res['unit']}]")
    print(f"profiled: {res['profiled'] or 'nuisances only'}; {res['seconds']:.1f} s; warnings: {res['warnings'] or 'none'}")
    # Without nu-e scattering the limit weakens (ES carries most of the mu_e sensitivity at low E_ee).
    res_noes = limit(Setup(("dresden2",), es=False), "mu_e", cl=0.9)
    print(f"without ES: mu_e <= {res_noes['intervals'][-1][1]:.3f} {res['unit']}")
    plots.profile_plot([res, res_noes], str(out / "c_mu_e_profile.png"),
                       labels=["Dresden-II (Fef, HMVE), CEvNS + ES", "Dresden-II, CEvNS only"],
                       title=r"$\mu_{\nu_e}$: profiled $\Delta\chi^2$")

    # ------------------------------------------------------------------------------------------
    section("(d) 2D contour: r2_ee and the transition radius r2_emu (Dresden-II)")
    # ------------------------------------------------------------------------------------------
    # With transitions=True the transition radii the reactor measures (r2_emu, r2_etau) are free;
    # r2_etau is profiled. Transition radii enter through their modulus (>= 0 in the scan) and
    # add incoherently, Z^2 F^2 |Q_ll'|^2; the diagonal radius shifts the coherent amplitude.
    # Without transitions r2_ee has two allowed bands: near the SM and around -60, where the
    # amplitude returns to its SM size with the opposite sign. With the transition term free to
    # make up for a smaller coherent amplitude, everything in between is allowed too, and the
    # 90 % region becomes one arch whose height is the largest |r2_emu| the rate tolerates.
    # A small 15 x 15 grid keeps this quick.
    c2 = contour(Setup(("dresden2",), transitions=True), "r2_ee", "r2_emu", n=15)
    d = np.array(c2["delta_chi2"])
    x, y = np.array(c2["x"]), np.array(c2["y"])
    inside = d <= c2["levels"]["90%"]
    print(f"grid: r2_ee in [{x[0]:.1f}, {x[-1]:.1f}], r2_emu in [{y[0]:.1f}, {y[-1]:.1f}] ({UNITS['r2_ee']})")
    print(f"best fit: r2_ee = {c2['best_fit']['r2_ee']:.2f}, r2_emu = {c2['best_fit']['r2_emu']:.2f}; "
          f"chi2_min = {c2['chi2_min']:.2f}; profiled: {c2['profiled']}")
    print(f"{int(inside.sum())} of {inside.size} grid points inside the 90% CL region (Delta chi2 <= "
          f"{c2['levels']['90%']:.3f}); r2_emu up to {y[inside.any(axis=1)].max():.2f} on the grid")
    print(f"{c2['seconds']:.1f} s; warnings: {c2['warnings'] or 'none'}")
    plots.contour_plot([c2], str(out / "d_r2_ee_r2_emu_contour.png"), labels=["Dresden-II"],
                       title=r"$\langle r^2_{\nu_{ee}}\rangle$ vs $|\langle r^2_{\nu_{e\mu}}\rangle|$")

    pngs = sorted(p.name for p in out.glob("*.png"))
    print(f"\nwrote {len(pngs)} plots: {', '.join(pngs)}")
    print(f"total {time.perf_counter() - t_start:.1f} s")
    return out


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tutorial_output")
