"""One plot style for every figure of cevnsfit, and the physics notation of axis labels.

Every plotting function draws inside :func:`style` (a :func:`matplotlib.rc_context`), so the
figures look the same in a notebook, in ``cevnsfit reproduce`` and in a paper draft, and the
user's own rcParams are left untouched afterwards.  Nothing here selects a matplotlib backend.

Labels follow the notation of the physics literature with their units, e.g.
``⟨r²_νee⟩ [10⁻³² cm²]``, ``|μ_νe| [10⁻¹⁰ μ_B]``, ``q_νee [e]``, ``t [μs]``.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

#: the project style (a small style sheet: serif maths, inward ticks on all sides, no top/right
#: clutter in legends, colour-blind-safe cycle -- Okabe & Ito 2008)
RC = {
    "figure.figsize": (6.0, 4.4),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 10.5,
    "axes.labelsize": 11,
    "axes.titlesize": 10.5,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "xtick.minor.visible": True,
    "ytick.minor.visible": True,
    "xtick.major.size": 5,
    "ytick.major.size": 5,
    "xtick.minor.size": 2.5,
    "ytick.minor.size": 2.5,
    "axes.linewidth": 0.9,
    "lines.linewidth": 1.5,
    "mathtext.fontset": "dejavuserif",
    "axes.prop_cycle": __import__("cycler").cycler(
        color=["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
    ),
}

#: fill colours of stacked components
COLOURS = {
    "ss": "#bdbdbd",
    "background": "#bdbdbd",
    "brn": "#8c6d31",
    "delbrn": "#e7ba52",
    "nin": "#bd9e39",
    "es": "#56B4E9",
    "cevns": "#D55E00",
}
COMPONENT_LABELS = {
    "ss": "steady state",
    "background": "background",
    "brn": "prompt neutrons (BRN)",
    "delbrn": "delayed BRN",
    "nin": "NINs",
    "es": r"$\nu$–$e$ scattering",
    "cevns": "CEvNS",
}

#: confidence regions (2 dof): fill colours from dark (1σ) to light (3σ), and the 90 % CL line
SIGMA_FILLS = ("#08519c", "#6baed6", "#c6dbef")

_FLAV = {"e": "e", "mu": r"\mu", "tau": r"\tau"}
_PAIR = {"ee": "ee", "mumu": r"\mu\mu", "tautau": r"\tau\tau", "emu": r"e\mu", "etau": r"e\tau", "mutau": r"\mu\tau"}
_UNIT_TEX = {
    "1e-10 mu_B": r"$10^{-10}\,\mu_B$",
    "1e-32 cm^2": r"$10^{-32}$ cm$^2$",
    "e": r"$e$",
    "": "",
    "us": r"$\mu$s",
    "keVee": r"keV$_{\rm ee}$",
    "keVnr": r"keV$_{\rm nr}$",
    "PE": "PE",
    "MeV": "MeV",
}
_AXIS_SYMBOL = {"time": "$t$", "energy": r"$E_{\rm ee}$", "pe": "light yield", "f90": r"$F_{90}$"}

#: how experiments are called in legends (not by file or module name)
EXPERIMENT_LABELS = {
    "csi": "COHERENT CsI (2021)",
    "ar": "COHERENT Ar (2020)",
    "dresden2": "Dresden-II",
    "csi2017": "COHERENT CsI (2017)",
    "xenonnt_8b": r"XENONnT $^8$B",
    "xenonnt_er": "XENONnT ER",
}


@contextmanager
def style():
    """Draw inside this context to get the project style; the caller's values of these settings
    are restored afterwards.  (Only the style's own keys are saved and restored -- unlike
    ``matplotlib.rc_context``, which would also undo the interactive mode that a notebook's
    inline backend switches on when the first figure is made, so later figures would not show.)"""
    import matplotlib as mpl

    rc: Any = mpl.rcParams  # (its stub lists the keys as literals; ours are read from a dict)
    old = {k: rc[k] for k in RC}
    try:
        rc.update(RC)
        yield
    finally:
        rc.update(old)


def styled(func):
    """Decorator: draw ``func``'s figure in the project style (see :func:`style`)."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with style():
            return func(*args, **kwargs)

    return wrapper


def unit_tex(unit: str) -> str:
    return _UNIT_TEX.get(unit, unit)


def symbol(param: str) -> str:
    """The physics symbol of a parameter in mathtext, e.g. ``mu_e`` -> ``|μ_νe|``."""
    if param == "sin2w":
        return r"$\sin^2\theta_W$"
    if param == "mu_nu":  # the moment common to every flavour
        return r"$|\mu_\nu|$"
    special = {
        "g_zp": r"$g_{Z'}$",
        "m_zp": r"$m_{Z'}$",
        "g_phi": r"$g_\phi$",
        "m_phi": r"$m_\phi$",
        "dm2_41": r"$\Delta m^2_{41}$",
        "ue4sq": r"$|U_{e4}|^2$",
        "umu4sq": r"$|U_{\mu4}|^2$",
        "utau4sq": r"$|U_{\tau4}|^2$",
        "rn_cs": r"$R_n({\rm Cs})$",
        "rn_i": r"$R_n({\rm I})$",
        "rn_ar": r"$R_n({\rm Ar})$",
        "rn_ge": r"$R_n({\rm Ge})$",
        "rn_xe": r"$R_n({\rm Xe})$",
    }
    if param in special:
        return special[param]
    if param.startswith("eps_"):
        _, q, pair = param.split("_", 2)
        return rf"$\varepsilon^{{{q}V}}_{{{_PAIR.get(pair, pair)}}}$"
    if "_" not in param or "." in param:  # a nuisance ("csi2017.eta_cevns") or another name
        return param
    fam, sub = param.split("_", 1)
    if fam == "mu":
        return rf"$|\mu_{{\nu_{{{_FLAV.get(sub, sub)}}}}}|$"
    pair = _PAIR.get(sub, sub)
    transition = sub in ("emu", "etau", "mutau")
    if fam == "r2":
        s = rf"\langle r^2_{{\nu_{{{pair}}}}}\rangle"
        return rf"$|{s}|$" if transition else f"${s}$"
    if fam == "q":
        s = rf"q_{{\nu_{{{pair}}}}}"
        return rf"$|{s}|$" if transition else f"${s}$"
    return param


def param_label(param: str) -> str:
    """Axis label of a parameter: symbol and unit, e.g. ``⟨r²_νee⟩ [10⁻³² cm²]``."""
    from ..physics.parameters import UNITS

    if param not in UNITS:
        return param
    unit = UNITS.get(param, "")
    return symbol(param) + (f" [{unit_tex(unit)}]" if unit else "")


def axis_label(name: str, unit: str) -> str:
    """Axis label of an observable axis of a data set (``t [μs]``, ``E_ee [keVee]``, ``light yield [PE]``)."""
    sym = _AXIS_SYMBOL.get(name, name)
    if name == "energy" and unit == "keVnr":
        sym = r"$E_{\rm nr}$"
    return f"{sym} [{unit_tex(unit)}]" if unit else sym


def experiment_label(names) -> str:
    """'COHERENT CsI (2021) + Dresden-II' for a list of data-set names."""
    if isinstance(names, str):
        names = [names]
    return " + ".join(EXPERIMENT_LABELS.get(n, n) for n in names)


def new_axes(ax=None, figsize=None):
    """``ax`` or the axes of a new figure (pyplot's, so that notebooks show it)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def save(ax_or_fig, path, close: bool = True) -> str:
    """Write the figure of ``ax_or_fig`` to ``path`` (format from the suffix) and close it."""
    import matplotlib.pyplot as plt

    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    if hasattr(ax_or_fig, "__len__") and not hasattr(ax_or_fig, "figure"):
        fig = ax_or_fig[0].figure
    with style():
        fig.savefig(str(path))
    if close:
        plt.close(fig)
    return str(path)
