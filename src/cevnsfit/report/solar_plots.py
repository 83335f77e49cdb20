"""Solar-neutrino figures, each drawing on matplotlib Axes and returning them (project style).

* :func:`plot_survival` -- P_ee(E) of the pp and 8B neutrinos with the pp, 7Be, pep and 8B points
  marked and the vacuum / MSW limits (the familiar figure of solar-neutrino reviews);
* :func:`plot_er_spectrum` -- the XENONnT SR0 electron-recoil spectrum as in PRL 129, 161805
  Fig. 5: data with Poisson errors, the background without solar neutrinos, the SM solar
  nu-e scattering on top, and a magnetic-moment signal added;
* :func:`plot_8b` -- the XENONnT 8B CEvNS prediction per science run: the cS2 projection
  stacked (AC, ER, neutrons, 8B) against the data, and every bin of the three runs ordered by
  its expected signal-to-background ratio (how XENONnT shows its 4D binned result).
"""

from __future__ import annotations

import numpy as np

from .style import COLOURS, new_axes, style

_STACK = (
    ("ac", "accidental coincidences", "#bdbdbd"),
    ("er", "ER background", "#9ecae1"),
    ("nr", "radiogenic neutrons", "#8c6d31"),
    ("cevns", r"solar $^8$B CEvNS", "#D55E00"),
)


def plot_survival(ax=None, osc=None, model: str = "gs98"):
    """P_ee(E) for pp and 8B, with the pp, 7Be, pep and 8B(> 5 MeV) points and the limits."""
    from ..sources import solar

    osc = osc or solar.Oscillation()
    with style():
        ax = ax if ax is not None else new_axes()
        e_lo = np.geomspace(0.05, 0.42, 60)
        e_hi = np.geomspace(0.5, 20.0, 200)
        ax.plot(e_lo, solar.survival_probability(e_lo, "pp", osc, model), color="#0072B2", label="pp region")
        ax.plot(e_hi, solar.survival_probability(e_hi, "8B", osc, model), color="#D55E00", label=r"$^8$B region")
        ax.axhline(osc.vacuum_limit(), color="0.5", ls=":", lw=1)
        ax.axhline(osc.msw_limit(), color="0.5", ls="--", lw=1)
        ax.text(
            0.055,
            osc.vacuum_limit() + 0.01,
            r"vacuum: $c_{13}^4(1-\frac{1}{2}\sin^22\theta_{12})+s_{13}^4$",
            fontsize=8,
            color="0.35",
        )
        ax.text(0.055, osc.msw_limit() - 0.035, r"MSW: $s_{12}^2c_{13}^4+s_{13}^4$", fontsize=8, color="0.35")
        marks = {"pp": ("o", "#0072B2"), "7Be": ("s", "#009E73"), "pep": ("^", "#CC79A7"), "8B": ("D", "#D55E00")}
        for c, (m, col) in marks.items():
            e = solar.marker_energy(c, 5.0 if c == "8B" else 0.0)
            p = float(solar.survival_probability(e, c, osc, model))
            label = {"7Be": r"$^7$Be", "8B": r"$^8$B ($E>5$ MeV)"}.get(c, c)
            ax.plot([e], [p], m, color=col, ms=7, label=f"{label}: {p:.3f}")
        ax.set_xscale("log")
        ax.set_xlim(0.05, 20.0)
        ax.set_ylim(0.2, 0.7)
        ax.set_xlabel(r"$E_\nu$ [MeV]")
        ax.set_ylabel(r"$P_{ee}$")
        ax.set_title(
            rf"adiabatic MSW, B16-{model.upper()}, $\sin^2\theta_{{12}}={osc.sin2_12}$, "
            rf"$\Delta m^2_{{21}}={osc.dm2_21 * 1e5:.2f}\times10^{{-5}}$ eV$^2$",
            fontsize=9,
        )
        ax.legend(loc="upper right")
    return ax


def plot_er_spectrum(ds, nuis: dict | None = None, params: dict | None = None, signal: dict | None = None, ax=None):
    """XENONnT SR0 electron recoils: data, the background without solar neutrinos and the solar
    nu-e scattering stacked on it (at ``params``, default the SM), and the spectrum with
    ``signal`` (default mu_nu = 0.064, i.e. 6.4e-12 mu_B, the collaboration's 90 % CL limit) on top."""
    from ..physics.parameters import Params

    signal = {"mu_nu": 0.064} if signal is None else signal
    with style():
        ax = ax if ax is not None else new_axes()
        edges = ds.axes[0].edges
        width = np.diff(edges)
        base = ds.components(Params.from_dict(params or {}), nuis)
        bsm = ds.components(Params.from_dict({**(params or {}), **signal}), nuis)
        bkg = base["background"] / width
        es = base["es"] / width
        ax.stairs(bkg, edges, fill=True, color=COLOURS["background"], label=r"background without solar $\nu$")
        what = "SM" if not params else ", ".join(f"{k} = {v:g}" for k, v in params.items())
        ax.stairs(
            bkg + es,
            edges,
            baseline=bkg,
            fill=True,
            color=COLOURS["es"],
            label=rf"solar $\nu$–$e$ ({what}, {base['es'].sum():.1f} events)",
        )
        tot = (bsm["background"] + bsm["es"]) / width
        name = ", ".join(f"{k} = {v:g}" for k, v in signal.items())
        ax.stairs(tot, edges, color="#D55E00", lw=1.8, label=f"with {name} (+{bsm['es'].sum() - base['es'].sum():.1f})")
        obs = ds.observed
        c = 0.5 * (edges[1:] + edges[:-1])
        ax.errorbar(
            c,
            obs / width,
            yerr=np.sqrt(np.maximum(obs, 1.0)) / width,
            fmt="o",
            ms=3.5,
            color="k",
            label=f"data ({int(obs.sum())} events)",
        )
        ax.set_xlim(edges[0], edges[-1])
        ax.set_ylim(0, None)
        ax.set_xlabel("reconstructed energy [keV]")
        ax.set_ylabel("events / keV (1.16 t yr)")
        ax.set_title("XENONnT SR0 electron recoils (PRL 129, 161805)", fontsize=9.5)
        ax.legend(loc="upper right")
    return ax


def plot_xenonnt(pred):
    """The paper-style figure of a XENONnT prediction (:class:`cevnsfit.api.Prediction`):
    :func:`plot_er_spectrum` or :func:`plot_8b`, drawn for the data set the prediction was made
    with.  Returns the Axes (an array for 8B)."""
    from .. import experiments

    d = pred.to_dict() if hasattr(pred, "to_dict") else pred
    name = d["experiment"]
    inf = experiments.info(name)
    model = d.get("model", {})
    opts = {k: v for k, v in model.items() if k in {o.name for o in inf.options}}
    ds = experiments.load(
        name,
        momentum_dependent=bool(model.get("momentum_dependent", False)),
        form_factor=model.get("form_factor", "helm"),
        **opts,
    )
    given = {k: v for k, v in d.get("params", {}).items() if k in d.get("extra", {}).get("given", {})}
    if name == "xenonnt_er":
        return plot_er_spectrum(ds, d.get("nuisances"), given)
    comps = {k: np.asarray(v, float).ravel() for k, v in d["bins"].items()}
    return plot_8b(ds, comps)


def plot_8b(ds, comps: dict, axes=None):
    """Per science run the cS2 projection (stacked components, data) and all 243 bins grouped by
    their expected signal / background ratio."""
    import matplotlib.pyplot as plt

    with style():
        if axes is None:
            _fig, axes = plt.subplots(1, 4, figsize=(15, 3.8), gridspec_kw={"width_ratios": [1, 1, 1, 1.3]})
        obs = ds.observed.reshape(3, 81)
        for r, ax in enumerate(axes[:3]):
            edges = ds.run_edges[r, 0]
            bottom = np.zeros(3)
            for key, lab, col in _STACK:
                v = np.asarray(comps[key]).reshape(3, 3, 3, 3, 3)[r].sum(axis=(1, 2, 3))
                ax.stairs(bottom + v, edges, baseline=bottom, fill=True, color=col, label=f"{lab} ({v.sum():.2f})")
                bottom = bottom + v
            o = obs[r].reshape(3, 3, 3, 3).sum(axis=(1, 2, 3))
            ax.errorbar(
                0.5 * (edges[1:] + edges[:-1]),
                o,
                yerr=np.sqrt(np.maximum(o, 1.0)),
                fmt="o",
                color="k",
                ms=4,
                label=f"data ({int(o.sum())})",
            )
            ax.set_xlabel("cS2 [PE]")
            ax.set_ylabel("events per bin")
            ax.set_title(f"SR{r} ({ds.livetime[r]:.2f} t yr)", fontsize=9.5)
            ax.set_xlim(edges[0], edges[-1])
            ax.legend(fontsize=7)
        ax = axes[3]
        sig = np.asarray(comps["cevns"])
        bkg = np.sum([np.asarray(comps[k]) for k in ("ac", "er", "nr")], axis=0)
        ratio = sig / np.maximum(bkg, 1e-12)
        groups = np.quantile(np.log10(np.maximum(ratio, 1e-6)), np.linspace(0, 1, 7))
        idx = np.clip(np.searchsorted(groups, np.log10(np.maximum(ratio, 1e-6)), side="right") - 1, 0, 5)
        b = np.array([bkg[idx == g].sum() for g in range(6)])
        s = np.array([sig[idx == g].sum() for g in range(6)])
        o = np.array([ds.observed[idx == g].sum() for g in range(6)])
        x = np.arange(6)
        ax.bar(x, b, color="#bdbdbd", label="backgrounds")
        ax.bar(x, s, bottom=b, color="#D55E00", label=r"$^8$B CEvNS")
        ax.errorbar(x, o, yerr=np.sqrt(np.maximum(o, 1.0)), fmt="o", color="k", label="data")
        ax.set_xticks(x)
        ax.set_xticklabels(
            [f"{10 ** groups[g]:.2g}–{10 ** groups[g + 1]:.2g}" for g in range(6)], fontsize=7, rotation=30
        )
        ax.set_xlabel("expected signal / background of the bin")
        ax.set_ylabel("events (SR0+SR1+SR2)")
        ax.set_yscale("log")
        ax.legend(fontsize=7)
        ax.set_title(r"XENONnT $^8$B CEvNS, bins by S/B", fontsize=9.5)
    return axes
