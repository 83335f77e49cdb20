"""The ``cevnsfit`` command line."""

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer

from . import data as datamod
from ._optional import MissingExtra
from .cli_data import register as _register_data_commands

# plain (click) help formatting: the rich help of typer costs 0.1 s at every start
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="CEvNS and nu-e scattering: predictions and fits of neutrino EM properties "
    "for COHERENT CsI/Ar and Dresden-II.",
)
data_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Locate, verify and install the public data releases."
)
app.add_typer(data_app, name="data")
_register_data_commands(app, data_app)
cache_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Show or empty the on-disk template cache.")
app.add_typer(cache_app, name="cache")


def _show_version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"cevnsfit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_show_version, help="print the version and exit"
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="more messages (-vv: debug)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="errors only, no progress display"),
    log_file: Optional[Path] = typer.Option(None, "--log-file", help="also write every message to this file"),
) -> None:
    """CEvNS and nu-e scattering: predictions and fits of neutrino EM properties for COHERENT CsI/Ar
    and Dresden-II."""
    from .runlog import setup_logging

    try:
        setup_logging(verbose, quiet, log_file)
    except OSError as e:
        _fail(f"cannot write log file {log_file}: {e.strerror or e}", 1)


def _fail(msg: str, code: int = 2) -> None:
    typer.secho(f"error: {msg}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command()
def info() -> None:
    """Version, data location and verification status."""
    from . import __version__

    root = datamod.data_dir()
    statuses = datamod.verify(root)
    bad = [s for s in statuses if not s.ok]
    typer.echo(f"cevnsfit {__version__}")
    src = f"${datamod.ENV_VAR}" if datamod.os.environ.get(datamod.ENV_VAR) else "user data directory"
    typer.echo(f"data directory: {root} (from {src})")
    typer.echo(
        f"data files: {len(statuses) - len(bad)}/{len(statuses)} verified"
        + ("" if not bad else f"; {len(bad)} missing or altered (run 'cevnsfit data verify')")
    )
    if bad:
        raise typer.Exit(1)


@data_app.command("verify")
def data_verify(
    path: Optional[Path] = typer.Option(None, help="directory to check (default: the data directory)"),
) -> None:
    """Check every data file against its recorded SHA-256; exit 1 naming any missing or altered file."""
    root = path or datamod.data_dir()
    statuses = datamod.verify(root)
    bad = [s for s in statuses if not s.ok]
    for s in bad:
        typer.secho(
            f"{s.status.upper():8s} {s.name}  (looked for {s.path}; source: {s.source})", fg=typer.colors.RED, err=True
        )
    if bad:
        typer.echo(datamod.HOW_TO_GET, err=True)
        raise typer.Exit(1)
    typer.echo(f"all {len(statuses)} data files verified in {root}")


@data_app.command("install")
def data_install(
    source: Path = typer.Argument(..., help="directory holding the data releases (or some of their files)"),
    dest: Optional[Path] = typer.Option(None, help="target (default: the user data directory)"),
) -> None:
    """Copy the data releases (or single files downloaded by hand) into the user data directory,
    verifying every checksum."""
    try:
        statuses = datamod.install(source, dest)
    except datamod.DataError as e:
        _fail(str(e), 1)
    target = dest or datamod.user_data_dir()
    missing = sum(1 for s in datamod.verify(target) if not s.ok)
    typer.echo(
        f"installed and verified {len(statuses)} files in {target}"
        + (
            f"; {missing} registered files are still missing or altered there ('cevnsfit data verify')"
            if missing
            else ""
        )
    )


@cache_app.command("info")
def cache_info(as_json: bool = typer.Option(False, "--json", help="print a JSON object")) -> None:
    """Where the template cache is, how many entries it holds and their size."""
    from . import cache

    inf = cache.info()
    if as_json:
        typer.echo(json.dumps(inf))
        return
    if not inf["enabled"]:
        typer.echo(f"template cache disabled (${cache.ENV_VAR}=off)")
        return
    typer.echo(f"template cache: {inf['directory']}")
    typer.echo(f"{inf['entries']} entries, {inf['bytes'] / 1e6:.1f} MB")
    for e in inf["items"]:
        args = ", ".join(f"{k}={v}" for k, v in e["args"].items())
        typer.echo(f"  {e['kind']:8s} {args}  (cevnsfit {e['version']}, {e['created']}, {e['bytes'] / 1e6:.1f} MB)")
    if inf["legacy_pickles"]:
        typer.echo(
            f"{inf['legacy_pickles']} pickle file(s) of an older version "
            "(never read; 'cevnsfit cache clear' removes them)"
        )


@cache_app.command("clear")
def cache_clear() -> None:
    """Remove every entry of the template cache (they are rebuilt when needed)."""
    from . import cache

    try:
        n = cache.clear()
    except OSError as e:
        _fail(f"cannot clear the cache: {e}", 1)
    typer.echo(
        f"removed {n} cache entr{'y' if n == 1 else 'ies'}"
        + (f" from {cache.cache_dir()}" if cache.cache_dir() else "")
    )


@app.command()
def couplings(
    as_json: bool = typer.Option(False, "--json", help="print a JSON object"),
    q: Optional[float] = typer.Option(None, "--q", help="momentum transfer |q| [MeV] for effective radii"),
    sin2w: Optional[float] = typer.Option(None, help="sin^2 theta_W in the tree-level term"),
    tree: bool = typer.Option(False, help="tree level (no radiative corrections)"),
) -> None:
    """Neutrino-nucleon couplings and SM neutrino charge radii (1e-32 cm^2)."""
    from .constants import SIN2W_0
    from .physics import charge_radius as cr
    from .physics import couplings as c

    s = SIN2W_0 if sin2w is None else sin2w
    if q is not None and not (q >= 0 and q < float("inf")):
        _fail(f"--q must be a non-negative momentum in MeV, got {q}")
    try:
        out = {
            "sin2w": s,
            "radiative": not tree,
            "gVp_e": c.gvp("e", s, not tree),
            "gVp_mu": c.gvp("mu", s, not tree),
            "gVp_tau": c.gvp("tau", s, not tree),
            "gVn": c.gvn(not tree),
            "gVp_no_radius": c.gvp_no_radius(s, not tree),
        }
    except ValueError as e:
        _fail(str(e))
    for f in ("e", "mu", "tau"):
        out[f"r2_sm_{f}"] = cr.r2_sm(f)
    if q is not None:
        out["q_MeV"] = q
        for f in ("e", "mu", "tau"):
            out[f"r2_eff_{f}"] = float(cr.r2_effective(f, q))
    if as_json:
        typer.echo(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            typer.echo(f"{k:16s} {v}")


def _write_plot(plot: Path, draw) -> None:
    """Create the plot's directory and draw it; an unwritable path is a clear error."""
    try:
        plot.parent.mkdir(parents=True, exist_ok=True)
        draw(str(plot))
    except OSError as e:
        _fail(f"cannot write plot {plot}: {e}")


def parse_sets(items: list[str] | None) -> dict[str, float]:
    """['mu_e=2', 'sin2w=0.24'] -> {'mu_e': 2.0, ...} (names validated by Params)."""
    from .physics.parameters import Params

    out = {}
    for item in items or []:
        if "=" not in item:
            raise ValueError(f"--set expects NAME=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    Params.from_dict(out)  # validates names and values
    return {k: float(v) for k, v in out.items()}


def _experiment_options(qf=None, flux=None, peaks=None, grid=None, option=None, timing=None, reactor_norm=None) -> dict:
    """The data sets' own model options from the shortcut flags and ``--option NAME=VALUE``."""
    out = {}
    for item in option or []:
        if "=" not in item:
            raise ValueError(f"--option expects NAME=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    for k, v in (
        ("qf", qf),
        ("flux", flux),
        ("peaks", peaks),
        ("ar_grid", grid),
        ("timing", timing),
        ("reactor_norm", reactor_norm),
    ):
        if v is not None:
            if k in out and out[k] != v:
                raise ValueError(f"option {k} given twice with different values ({out[k]!r}, {v!r})")
            out[k] = v
    return out


PEAKS_HELP = (
    "Dresden-II 71Ge peaks: fitted (default: L1 centroid and width free) "
    "or fixed (nominal energies and resolution widths)"
)
OPTION_HELP = "a data set's model option NAME=VALUE (repeatable; 'cevnsfit options' lists them)"
METHOD_HELP = (
    "wilks (profile likelihood, Delta chi^2 quantile), fc (Feldman-Cousins pseudo-experiments) or "
    "bayes (posterior credible interval; needs cevnsfit[bayes])"
)
PRIOR_HELP = "bayes: prior on the tested parameter: flat, or flat-square (flat in mu^2, for moduli)"
NLIVE_HELP = "bayes: live points of the nested sampler (more: smoother posterior, longer run)"
SMOOTH_HELP = (
    "fc: regularise the critical values across the tested points (local-linear, within their Monte-Carlo "
    "errors), so that toy noise cannot create interval pieces; --no-smooth takes them as they are"
)
TIMING_HELP = "CsI arrival times: release (the SNS flux of the data release, default) or model (Gaussian POT trace)"
REACTOR_NORM_HELP = (
    "Dresden-II flux normalisation: total (every spectrum model scaled to 4.8e13 /cm2/s, default), "
    "power (fission rate from the thermal power x nu-bar per fission) or fission (4.8e13 for the "
    "fission nu-bar, capture nu-bar on top)"
)
FIX_HELP = (
    "hold a physics parameter fixed: NAME=VALUE, or NAME alone for its SM value (repeatable); e.g. "
    "--fix r2_mumu quotes r2_ee with r2_mumu at its SM value, as the reference papers do"
)
FREE_HELP = "free a physics parameter in addition to those freed by default (repeatable)"


def parse_fix_free(fix: list[str] | None, free: list[str] | None) -> tuple[dict, list[str]]:
    """``--fix NAME[=VALUE]`` and ``--free NAME`` -> ({name: value or "sm"}, [names]); unknown
    names, bad values and a parameter both fixed and free are a ValueError."""
    from .inference.analysis import resolve_fixed
    from .physics.parameters import Params

    fixed = {}
    for item in fix or []:
        name, _, value = item.partition("=")
        fixed[name.strip()] = value.strip() or "sm"
    resolve_fixed(fixed)  # names and values
    names = [n.strip() for item in (free or []) for n in item.split(",") if n.strip()]
    for n in names:
        if n not in Params.names():
            raise ValueError(f"cannot free {n!r}: not a physics parameter; allowed: {', '.join(Params.names())}")
        if n in fixed:
            raise ValueError(f"parameter {n} is both fixed (--fix) and free (--free)")
    return fixed, names


#: the registered data sets, for --data (from the registry: a new data set needs no edit here)
DATA_HELP = "comma-separated data sets: " + ",".join(__import__("cevnsfit.experiments", fromlist=["NAMES"]).NAMES)


@app.command()
def predict(
    experiment: str = typer.Argument(..., help="csi, ar or dresden2"),
    qf: Optional[str] = typer.Option(None, help="Dresden-II quenching: fef, ybe, lindhard (default fef)"),
    flux: Optional[str] = typer.Option(None, help="Dresden-II reactor spectrum: hmve, hmk, efk (default hmve)"),
    peaks: Optional[str] = typer.Option(
        None,
        help=PEAKS_HELP,
    ),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="physics parameter NAME=VALUE (repeatable)"),
    no_es: bool = typer.Option(False, "--no-es", help="leave out nu-e elastic scattering"),
    es: bool = typer.Option(False, "--es", help="include nu-e scattering where it is off by default (Ar)"),
    momentum_dependent: bool = typer.Option(False, "--momentum-dependent", help="running neutrino charge radius"),
    form_factor: str = typer.Option("helm", help="helm, klein_nystrand, symmetrized_fermi"),
    grid: Optional[str] = typer.Option(None, help="Ar binning: 2d (energy x time, default) or 3d (with F90)"),
    option: Optional[list[str]] = typer.Option(None, "--option", "-o", help=OPTION_HELP),
    timing: Optional[str] = typer.Option(None, "--timing", help=TIMING_HELP),
    reactor_norm: Optional[str] = typer.Option(None, "--reactor-norm", help=REACTOR_NORM_HELP),
    fix: Optional[list[str]] = typer.Option(None, "--fix", help=FIX_HELP),
    free: Optional[list[str]] = typer.Option(None, "--free", help=FREE_HELP),
    as_json: bool = typer.Option(False, "--json", help="print the prediction as JSON"),
    plot: Optional[Path] = typer.Option(None, help="draw the prediction against the data (PNG/PDF)"),
) -> None:
    """Expected counts per bin for one data set at any physics point, with the observed data
    (the Python API's ``cevnsfit.load(...).predict(...)``)."""
    import time

    from . import api, experiments

    t0 = time.perf_counter()
    try:
        experiments.check_name(experiment)
        model_opts = experiments.split_options(
            [experiment], _experiment_options(qf, flux, peaks, grid, option, timing, reactor_norm)
        )[experiment]
        values = parse_sets(set_)
        if no_es and es:
            raise ValueError("--es and --no-es contradict each other")
        es_flag = False if no_es else (True if es else None)
        data = api.load(
            experiment, es=es_flag, momentum_dependent=momentum_dependent, form_factor=form_factor, **model_opts
        )
        t_build = time.perf_counter() - t0
        fixed, freed = parse_fix_free(fix, free)
        pred = _predict_point(api, data, values, fixed, freed)
    except ValueError as e:
        _fail(str(e))
    pred.extra["timing_s"] = {"build": t_build, **pred.extra.get("timing_s", {})}
    if plot is not None:
        from .report.plots import stacked_prediction

        _write_plot(plot, lambda path: stacked_prediction(pred, path))
    if as_json:
        typer.echo(pred.to_json())
    else:
        typer.echo(f"{pred.description}  ({pred.count_unit})")
        for k, v in pred.totals.items():
            typer.echo(f"  {k:10s} {v:12.4f}")
        for w in pred.warnings:
            typer.secho(f"warning: {w}", fg=typer.colors.YELLOW, err=True)
        if plot is not None:
            typer.echo(f"plot written to {plot}")


def _predict_point(api, data, values: dict, fixed: dict, freed: list):
    """``predict``: the prediction at ``--set`` and ``--fix`` values; with ``--free`` those
    parameters (and every nuisance) fitted to the data first, the prediction at the best fit."""
    from .inference.analysis import resolve_fixed

    both = sorted(set(values) & (set(fixed) | set(freed)))
    if both:
        raise ValueError(f"parameter(s) {', '.join(both)} given with --set and with --fix/--free")
    point = {**values, **resolve_fixed(fixed)}
    if not freed:
        return data.predict(**point)
    fit = api.Analysis([data], fixed=point, free=freed).fit()
    nuis = {k.split(".", 1)[1]: v for k, v in fit.nuisances.items()}
    pred = data.predict(nuisances=nuis, profile=False, **point, **fit.best_fit)
    pred.extra["fit"] = {
        "free": freed,
        "best_fit": fit.best_fit,
        "errors": fit.errors,
        "chi2_min": fit.chi2_min,
        "converged": fit.converged,
    }
    pred.warnings.extend(fit.warnings)
    return pred


def _setup(
    data: str,
    qf,
    flux,
    no_es,
    es,
    transitions,
    momentum_dependent,
    form_factor="helm",
    peaks=None,
    option=None,
    grid=None,
    timing=None,
    reactor_norm=None,
):
    from . import experiments
    from .inference.analysis import Setup

    names = experiments.parse_list(data)
    if no_es and es:
        raise ValueError("--es and --no-es contradict each other")
    return Setup(
        tuple(names),
        es=False if no_es else (True if es else None),
        transitions=transitions,
        momentum_dependent=momentum_dependent,
        form_factor=form_factor,
        **_experiment_options(qf, flux, peaks, grid, option, timing, reactor_norm),
    )


def _print_warnings(result: dict) -> None:
    for w in result.get("warnings", []):
        typer.secho(f"warning: {w}", fg=typer.colors.YELLOW, err=True)


@app.command()
def limit(
    data: str = typer.Option(..., help=DATA_HELP),
    param: str = typer.Option(..., help="parameter, e.g. mu_e, r2_ee, q_ee, sin2w"),
    qf: Optional[str] = typer.Option(None, help="Dresden-II quenching: fef (default), ybe, lindhard"),
    flux: Optional[str] = typer.Option(None, help="Dresden-II flux: hmve (default), hmk, efk"),
    peaks: Optional[str] = typer.Option(
        None,
        help=PEAKS_HELP,
    ),
    option: Optional[list[str]] = typer.Option(None, "--option", "-o", help=OPTION_HELP),
    timing: Optional[str] = typer.Option(None, "--timing", help=TIMING_HELP),
    reactor_norm: Optional[str] = typer.Option(None, "--reactor-norm", help=REACTOR_NORM_HELP),
    fix: Optional[list[str]] = typer.Option(None, "--fix", help=FIX_HELP),
    free: Optional[list[str]] = typer.Option(None, "--free", help=FREE_HELP),
    no_es: bool = typer.Option(False, "--no-es", help="leave out nu-e scattering"),
    es: bool = typer.Option(False, "--es", help="include nu-e scattering also for Ar"),
    transitions: bool = typer.Option(False, "--transitions", help="profile the transition parameters"),
    momentum_dependent: bool = typer.Option(False, "--momentum-dependent", help="running charge radius"),
    cl: float = typer.Option(0.9, help="confidence level in (0, 1)"),
    points: int = typer.Option(61, help="scan points"),
    range_: Optional[str] = typer.Option(None, "--range", help="scan range LOW,HIGH (default: automatic)"),
    method: str = typer.Option("wilks", help=METHOD_HELP),
    toys: int = typer.Option(1000, help="fc: pseudo-experiments per tested value"),
    seed: int = typer.Option(0, help="fc, bayes: random seed (results are reproducible with it)"),
    prior: str = typer.Option("flat", help=PRIOR_HELP),
    nlive: int = typer.Option(500, "--nlive", help=NLIVE_HELP),
    backend: str = typer.Option("serial", help="fc: serial, processes or dask"),
    workers: Optional[int] = typer.Option(None, help="fc: worker processes (default: all cores)"),
    scheduler: Optional[str] = typer.Option(None, help="fc: address of a running dask scheduler"),
    out: Optional[Path] = typer.Option(None, help="fc: directory for resumable pseudo-experiments"),
    smooth: bool = typer.Option(True, "--smooth/--no-smooth", help=SMOOTH_HELP),
    plot: Optional[Path] = typer.Option(
        None,
        help="draw the profiled Delta chi^2 (wilks), the critical "
        "Delta chi^2 against Wilks' (fc) or the posterior (bayes)",
    ),
    expected: bool = typer.Option(
        True, "--expected/--no-expected", help="also the expected (Asimov, SM truth) interval (wilks)"
    ),
    expected_bands: int = typer.Option(
        0,
        "--expected-bands",
        help="also the median and +-1/2 sigma bands of "
        "the limit from N pseudo-experiments at the SM truth (wilks; on "
        "--backend with --workers, seeded by --seed)",
    ),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Allowed interval(s) of one parameter, the others of its family and all nuisances profiled
    (the Python API's ``cevnsfit.Analysis(...).limit(...)``), with --method wilks (default);
    by Feldman-Cousins pseudo-experiments (--method fc) or as a Bayesian credible interval
    (--method bayes).  PARAM may be a data set's nuisance, e.g. csi2017.eta_cevns."""
    from .api import Analysis

    if method != "wilks" or "." in param:
        if expected_bands:
            _fail("--expected-bands needs --method wilks and a physics parameter")
        return _limit_by_method(
            data,
            param,
            qf,
            flux,
            peaks,
            option,
            no_es,
            es,
            transitions,
            momentum_dependent,
            cl,
            points,
            range_,
            method,
            toys,
            seed,
            prior,
            backend,
            workers,
            scheduler,
            out,
            plot,
            as_json,
            {"timing": timing, "reactor_norm": reactor_norm},
            fix,
            free,
            smooth,
            nlive,
        )

    try:
        fixed, freed = parse_fix_free(fix, free)
        ana = Analysis.from_setup(
            _setup(
                data,
                qf,
                flux,
                no_es,
                es,
                transitions,
                momentum_dependent,
                peaks=peaks,
                option=option,
                timing=timing,
                reactor_norm=reactor_norm,
            ),
            fixed=fixed,
            free=freed,
        )
        if not (0.0 < cl < 1.0):
            raise ValueError(f"--cl must lie in (0, 1), got {cl}")
        if points < 5:
            raise ValueError("--points must be at least 5")
        if expected_bands < 0:
            raise ValueError(f"--expected-bands must be >= 0, got {expected_bands}")
        rng = _parse_range(range_, "--range")
        with _busy(f"limit on {param}"):
            res = ana.limit(param, cl=cl, points=points, range=rng, expected=expected)
        if expected_bands:
            with _busy(f"expected bands of {param}"):
                res.extra["expected_bands"] = ana.expected_bands(
                    param, expected_bands, cl=cl, seed=seed, backend=backend, workers=workers, scheduler=scheduler
                )
    except ValueError as e:
        _fail(str(e))
    if plot is not None:
        from .report.plots import profile_plot

        _write_plot(plot, lambda path: profile_plot([res], path))
    if as_json:
        typer.echo(res.to_json())
    else:
        unit = f" [{res.unit}]" if res.unit else ""
        typer.echo(f"{param}{unit}: best fit {res.best_fit:.5g}, chi2_min {res.chi2_min:.3f}")
        for lo, hi in res.intervals:
            typer.echo(f"  {cl:.0%} CL allowed: [{lo:.5g}, {hi:.5g}]")
        if res.expected and res.expected.get("intervals") is not None:
            typer.echo(
                "  expected (Asimov, SM): "
                + " U ".join(f"[{lo:.5g}, {hi:.5g}]" for lo, hi in res.expected["intervals"])
            )
        bands = res.extra.get("expected_bands")
        if bands and bands["upper"]:
            u = bands["upper"]
            typer.echo(
                f"  expected upper end, {bands['n_toys']} pseudo-experiments: median {u['median']:.5g}, "
                f"1 sigma [{u['-1sigma']:.5g}, {u['+1sigma']:.5g}], 2 sigma [{u['-2sigma']:.5g}, {u['+2sigma']:.5g}]"
            )
        typer.echo(f"  profiled: {', '.join(res.profiled) or 'nuisances only'}")
        if res.options.get("fixed"):
            typer.echo("  fixed: " + ", ".join(f"{k} = {v:.5g}" for k, v in res.options["fixed"].items()))
        if plot is not None:
            typer.echo(f"plot written to {plot}")
    _print_warnings(res.to_dict())


def _parse_range(text: str | None, flag: str):
    if text is None:
        return None
    try:
        rng = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"{flag} expects LOW,HIGH, got {text!r}") from None
    if len(rng) != 2:
        raise ValueError(f"{flag} expects LOW,HIGH, got {text!r}")
    return rng


@contextmanager
def _busy(text: str):
    """A spinner with the elapsed time while a fit runs (on a terminal), a log line otherwise;
    Ctrl-C or SIGTERM end the command with exit status 130 and a one-line message."""
    from .runlog import busy, stoppable

    try:
        with stoppable(), busy(text) as tick:
            yield tick
    except KeyboardInterrupt:
        typer.secho(f"interrupted: {text}", fg=typer.colors.YELLOW, err=True)
        raise typer.Exit(130) from None


def _limit_by_method(
    data,
    param,
    qf,
    flux,
    peaks,
    option,
    no_es,
    es,
    transitions,
    momentum_dependent,
    cl,
    points,
    range_,
    method,
    toys,
    seed,
    prior,
    backend,
    workers,
    scheduler,
    out,
    plot,
    as_json,
    more: dict | None = None,
    fix=None,
    free=None,
    smooth: bool = True,
    nlive: int = 500,
) -> None:
    """``limit --method fc|bayes`` (and Wilks on a data set's nuisance): the result dicts of
    :mod:`cevnsfit.inference.methods`."""
    from .inference.methods import limit as run_limit

    try:
        setup = _setup(
            data, qf, flux, no_es, es, transitions, momentum_dependent, peaks=peaks, option=option, **(more or {})
        )
        if not (0.0 < cl < 1.0):
            raise ValueError(f"--cl must lie in (0, 1), got {cl}")
        if points < 5:
            raise ValueError("--points must be at least 5")
        if toys < 1:
            raise ValueError(f"--toys must be a positive number, got {toys}")
        if nlive < 20:
            raise ValueError(f"--nlive must be at least 20, got {nlive}")
        fixed, freed = parse_fix_free(fix, free)
        rng = _parse_range(range_, "--range")
        with _busy(f"{param}: {method} interval"):
            res = run_limit(
                setup,
                param,
                method=method,
                cl=cl,
                n_points=points if method == "wilks" or points != 61 else None,
                scan_range=rng,
                toys=toys,
                seed=seed,
                prior=prior,
                backend=backend,
                n_workers=workers,
                scheduler=scheduler,
                out_dir=out,
                fixed=fixed,
                free=freed,
                smooth=smooth,
                nlive=nlive,
            )
    except ValueError as e:
        _fail(str(e))
    except ImportError as e:  # an optional extra (dynesty, dask) is missing
        _fail(str(e), 1)
    if plot is not None:
        if method == "wilks":
            from .report.plots import profile_plot

            _write_plot(plot, lambda path: profile_plot([res], path))
        else:
            from .report.interval_plots import interval_plot

            _write_plot(plot, lambda path: interval_plot(res, path))
    if as_json:
        typer.echo(json.dumps(res))
    else:
        _print_interval(res)
        if plot is not None:
            typer.echo(f"plot written to {plot}")
    _print_warnings(res)


def _print_interval(res: dict) -> None:
    param, cl = res["param"], res["cl"]
    unit = f" [{res['unit']}]" if res["unit"] else ""
    if res["method"] == "bayes":
        typer.echo(f"{param}{unit}: posterior mean {res['mean']:.5g}, prior {res['prior']} on {res['prior_range']}")
        for a, b in res["hpd_intervals"]:
            typer.echo(f"  {cl:.0%} highest-density credible interval: [{a:.5g}, {b:.5g}]")
        a, b = res["equal_tailed"]
        typer.echo(
            f"  {cl:.0%} equal-tailed credible interval: [{a:.5g}, {b:.5g}]; upper limit {res['upper_limit']:.5g}"
        )
        typer.echo(f"  sampled: {', '.join(res['sampled'])}")
        _print_fixed(res)
        return
    typer.echo(f"{param}{unit}: best fit {res['best_fit']:.5g}, chi2_min {res['chi2_min']:.3f}")
    label = "Feldman-Cousins" if res["method"] == "fc" else "Wilks"
    for a, b in res["intervals"]:
        typer.echo(f"  {cl:.0%} CL allowed ({label}): [{a:.5g}, {b:.5g}]")
    if res["method"] == "fc":
        for a, b in res["wilks_intervals"]:
            typer.echo(f"  {cl:.0%} CL allowed (Wilks, same scan): [{a:.5g}, {b:.5g}]")
        crit = res["scan"]["critical_delta_chi2"]
        typer.echo(
            f"  critical Delta chi^2 {min(crit):.3g} .. {max(crit):.3g} over {len(crit)} tested values "
            f"(Wilks {res['wilks_delta_chi2']:.3g}); {res['n_toys']} toys each, seed {res['seed']}, "
            f"{res['toys']['seconds']:.0f} s on {res['toys']['backend']}"
        )
    typer.echo(f"  profiled: {', '.join(res['profiled']) or 'nuisances only'}")
    _print_fixed(res)


def _print_fixed(res: dict) -> None:
    fixed = (res.get("options") or {}).get("fixed")
    if fixed:
        typer.echo("  fixed: " + ", ".join(f"{k} = {v:.5g}" for k, v in fixed.items()))


@app.command()
def contour(
    data: str = typer.Option(..., help=DATA_HELP),
    param: list[str] = typer.Option(..., help="two parameters: --param A --param B"),
    qf: Optional[str] = typer.Option(None, help="Dresden-II quenching: fef (default), ybe, lindhard"),
    flux: Optional[str] = typer.Option(None, help="Dresden-II flux: hmve (default), hmk, efk"),
    peaks: Optional[str] = typer.Option(
        None,
        help=PEAKS_HELP,
    ),
    option: Optional[list[str]] = typer.Option(None, "--option", "-o", help=OPTION_HELP),
    timing: Optional[str] = typer.Option(None, "--timing", help=TIMING_HELP),
    reactor_norm: Optional[str] = typer.Option(None, "--reactor-norm", help=REACTOR_NORM_HELP),
    fix: Optional[list[str]] = typer.Option(None, "--fix", help=FIX_HELP),
    free: Optional[list[str]] = typer.Option(None, "--free", help=FREE_HELP),
    no_es: bool = typer.Option(False, "--no-es", help="leave out nu-e scattering"),
    es: bool = typer.Option(False, "--es", help="include nu-e scattering also for Ar"),
    transitions: bool = typer.Option(False, "--transitions", help="profile the transition parameters"),
    momentum_dependent: bool = typer.Option(False, "--momentum-dependent", help="running charge radius"),
    points: int = typer.Option(25, help="grid points per axis"),
    scales: str = typer.Option(
        "linear,linear", "--scales", help="axis scales X,Y: linear or log (a log axis needs --range)"
    ),
    range_: Optional[list[str]] = typer.Option(
        None,
        "--range",
        help="LOW,HIGH of each parameter, in the order of --param (default: the 3 sigma region, found automatically)",
    ),
    cl: float = typer.Option(0.9, help="confidence level of the solid contour (2 dof), in (0, 1)"),
    plot: Optional[Path] = typer.Option(None, help="draw the filled 1/2/3 sigma regions and the CL contour"),
    method: str = typer.Option("wilks", help=METHOD_HELP),
    toys: int = typer.Option(500, help="fc: pseudo-experiments per grid point"),
    seed: int = typer.Option(0, help="fc, bayes: random seed"),
    prior: str = typer.Option("flat", help=PRIOR_HELP),
    nlive: int = typer.Option(500, "--nlive", help=NLIVE_HELP),
    backend: str = typer.Option("serial", help="fc: serial, processes or dask"),
    workers: Optional[int] = typer.Option(None, help="fc: worker processes (default: all cores)"),
    scheduler: Optional[str] = typer.Option(None, help="fc: address of a running dask scheduler"),
    out: Optional[Path] = typer.Option(None, help="fc: directory for resumable pseudo-experiments"),
    smooth: bool = typer.Option(True, "--smooth/--no-smooth", help=SMOOTH_HELP),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Profiled 2D regions (the CL contour and 1/2/3 sigma) of two parameters (the Python API's
    ``cevnsfit.Analysis(...).contour(a, b)``); with --method fc the Feldman-Cousins region on the
    grid, with --method bayes the highest-posterior-density region and a corner plot."""
    from .api import Analysis

    if method != "wilks":
        if scales != "linear,linear":
            _fail("--scales needs --method wilks")
        return _contour_by_method(
            data,
            param,
            qf,
            flux,
            peaks,
            option,
            no_es,
            es,
            transitions,
            momentum_dependent,
            points,
            range_,
            cl,
            plot,
            method,
            toys,
            seed,
            prior,
            backend,
            workers,
            scheduler,
            out,
            as_json,
            {"timing": timing, "reactor_norm": reactor_norm},
            fix,
            free,
            smooth,
            nlive,
        )

    try:
        if len(param) != 2:
            raise ValueError("contour needs exactly two --param options")
        fixed, freed = parse_fix_free(fix, free)
        ana = Analysis.from_setup(
            _setup(
                data,
                qf,
                flux,
                no_es,
                es,
                transitions,
                momentum_dependent,
                peaks=peaks,
                option=option,
                timing=timing,
                reactor_norm=reactor_norm,
            ),
            fixed=fixed,
            free=freed,
        )
        if points < 5:
            raise ValueError("--points must be at least 5")
        if not (0.0 < cl < 1.0):
            raise ValueError(f"--cl must lie in (0, 1), got {cl}")
        ranges = [_parse_range(r, "--range") for r in (range_ or [])]
        if len(ranges) not in (0, 2):
            raise ValueError("give --range twice (one per --param) or not at all")
        xr, yr = ranges if ranges else (None, None)
        sc = tuple(s.strip() for s in scales.split(","))
        with _busy(f"contour of {param[0]} x {param[1]}"):
            res = ana.contour(param[0], param[1], points=points, x_range=xr, y_range=yr, cl=cl, scales=sc)
    except ValueError as e:
        _fail(str(e))
    if plot is not None:
        from .report.plots import contour_plot

        _write_plot(plot, lambda path: contour_plot([res], path))
    if as_json:
        typer.echo(res.to_json())
    else:
        typer.echo(f"best fit {res.best_fit}, chi2_min {res.chi2_min:.3f}")
        for p, iv in res.intervals.items():
            typer.echo(f"  {p}: {cl:.0%} CL region spans " + " U ".join(f"[{a:.4g}, {b:.4g}]" for a, b in iv))
        if plot is not None:
            typer.echo(f"plot written to {plot}")
    _print_warnings(res.to_dict())


@app.command()
def exclusion(
    data: str = typer.Option(..., help=DATA_HELP),
    coupling: str = typer.Option(..., help="mediator coupling: g_zp (vector) or g_phi (scalar)"),
    masses: str = typer.Option("1e-3,1e4,40", help="mediator masses LOW,HIGH,N [MeV], log-spaced"),
    option: Optional[list[str]] = typer.Option(None, "--option", "-o", help=OPTION_HELP),
    no_es: bool = typer.Option(False, "--no-es", help="leave out nu-e scattering"),
    es: bool = typer.Option(False, "--es", help="include nu-e scattering also for Ar"),
    fix: Optional[list[str]] = typer.Option(None, "--fix", help=FIX_HELP),
    free: Optional[list[str]] = typer.Option(None, "--free", help=FREE_HELP),
    cl: float = typer.Option(0.9, help="confidence level in (0, 1)"),
    combined_only: bool = typer.Option(
        False, "--combined-only", help="only the combined curve, not each data set's as well"
    ),
    plot: Optional[Path] = typer.Option(None, help="draw the curves, log-log (PNG/PDF)"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Exclusion curves of a light mediator in the (mass, coupling) plane: at each mass the
    allowed couplings with every nuisance profiled (the Python API's
    ``cevnsfit.Analysis(...).exclusion(coupling)``); the Z' model is the option zp_model."""
    from .api import Analysis

    try:
        try:
            lo, hi, n = (float(v) for v in masses.split(","))
        except ValueError:
            raise ValueError(f"--masses expects LOW,HIGH,N, got {masses!r}") from None
        if not (0.0 < cl < 1.0):
            raise ValueError(f"--cl must lie in (0, 1), got {cl}")
        fixed_vals, free_names = parse_fix_free(fix, free)
        ana = Analysis.from_setup(
            _setup(data, None, None, no_es, es, False, False, option=option), fixed=fixed_vals, free=free_names
        )
        with _busy(f"exclusion curve of {coupling}"):
            res = ana.exclusion(coupling, (lo, hi, int(n)), cl=cl, each=not combined_only)
    except ValueError as e:
        _fail(str(e))
    if plot is not None:
        from .report.plots import exclusion_plot

        _write_plot(plot, lambda path: exclusion_plot(res, path))
    if as_json:
        typer.echo(res.to_json())
    else:
        typer.echo(str(res))
        if plot is not None:
            typer.echo(f"plot written to {plot}")
    _print_warnings(res.to_dict())


def _contour_by_method(
    data,
    param,
    qf,
    flux,
    peaks,
    option,
    no_es,
    es,
    transitions,
    momentum_dependent,
    points,
    range_,
    cl,
    plot,
    method,
    toys,
    seed,
    prior,
    backend,
    workers,
    scheduler,
    out,
    as_json,
    more: dict | None = None,
    fix=None,
    free=None,
    smooth: bool = True,
    nlive: int = 500,
) -> None:
    """``contour --method fc|bayes``: the result dicts of :mod:`cevnsfit.inference.methods`."""
    from .inference.methods import contour as run_contour

    try:
        if len(param) != 2:
            raise ValueError("contour needs exactly two --param options")
        setup = _setup(
            data, qf, flux, no_es, es, transitions, momentum_dependent, peaks=peaks, option=option, **(more or {})
        )
        if points < 5:
            raise ValueError("--points must be at least 5")
        if not (0.0 < cl < 1.0):
            raise ValueError(f"--cl must lie in (0, 1), got {cl}")
        ranges = [_parse_range(r, "--range") for r in (range_ or [])]
        if len(ranges) not in (0, 2):
            raise ValueError("give --range twice (one per --param) or not at all")
        xr, yr = ranges if ranges else (None, None)
        if nlive < 20:
            raise ValueError(f"--nlive must be at least 20, got {nlive}")
        fixed, freed = parse_fix_free(fix, free)
        with _busy(f"{param[0]} x {param[1]}: {method} region"):
            res = run_contour(
                setup,
                param[0],
                param[1],
                method=method,
                cl=cl,
                n=points if points != 25 else None,
                x_range=xr,
                y_range=yr,
                toys=toys,
                seed=seed,
                prior=prior,
                backend=backend,
                n_workers=workers,
                scheduler=scheduler,
                out_dir=out,
                fixed=fixed,
                free=freed,
                smooth=smooth,
                nlive=nlive,
            )
    except ValueError as e:
        _fail(str(e))
    except ImportError as e:
        _fail(str(e), 1)
    if plot is not None:
        from .report.interval_plots import region_plot

        _write_plot(plot, lambda path: region_plot(res, path))
    if as_json:
        typer.echo(json.dumps(res))
    else:
        if res["method"] == "bayes":
            for p_, m in res["marginals"].items():
                typer.echo(
                    f"{p_}: {res['cl']:.0%} HPD "
                    + " U ".join(f"[{a:.4g}, {b:.4g}]" for a, b in m["hpd_intervals"])
                    + f"; equal-tailed [{m['equal_tailed'][0]:.4g}, {m['equal_tailed'][1]:.4g}] (prior {res['prior']})"
                )
        else:
            typer.echo(f"best fit {res['best_fit']}, chi2_min {res['chi2_min']:.3f}")
            n_fc = sum(map(sum, res["accepted"]))
            n_w = sum(map(sum, res["wilks_accepted"]))
            typer.echo(f"  {res['cl']:.0%} CL region: {n_fc} grid points (Feldman-Cousins), {n_w} (Wilks)")
        if plot is not None:
            typer.echo(f"plot written to {plot}")
    _print_warnings(res)


def _run_analyses(analyses, out: Path, quick: bool, workers: int | None = None, force: bool = False) -> dict:
    """Run analyses (in worker processes when ``workers`` > 1) with progress; finished results are
    kept and reused (see :func:`cevnsfit.report.reproduce.run_many`); Ctrl-C or SIGTERM stop
    the run within seconds, keeping what is finished."""
    import os

    from .report.reproduce import n_steps, run_many
    from .runlog import Progress, stoppable

    _check_writable(out, "output directory")
    workers = max(1, workers or os.cpu_count() or 1)
    try:
        with stoppable(), Progress(sum(n_steps(a) for a in analyses), "analysis steps") as prog:
            res = run_many(analyses, out, quick=quick, workers=workers, force=force, progress=prog)
    except KeyboardInterrupt:
        from .report.reproduce import stored_results

        n = len(stored_results(out))
        typer.secho(
            f"interrupted: {n} finished analysis result(s) kept in {out}; run the same command again to resume",
            fg=typer.colors.YELLOW,
            err=True,
        )
        raise typer.Exit(130) from None
    except OSError as e:
        _fail(f"cannot write results in {out}: {e}", 1)
    if res["reused"]:
        typer.echo(
            f"reused {len(res['reused'])} finished analysis result(s) from {out} (--force recomputes them)", err=True
        )
    return res


def _check_writable(path: Path, what: str) -> None:
    """Create ``path`` (a directory) and check that files can be written in it: one-line error otherwise."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        _fail(f"cannot write to {what} {path}: {e.strerror or e}", 1)


@app.command()
def run(
    file: Path = typer.Argument(..., help="analysis file (YAML)"),
    out: Path = typer.Option(Path("results"), help="output directory"),
    quick: bool = typer.Option(False, help="thinner scans (for tests)"),
    workers: int = typer.Option(1, help="worker processes"),
    force: bool = typer.Option(
        False, "--force", help="recompute even if a finished result with the same inputs is in OUT"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the summary rows as JSON"),
) -> None:
    """Run one analysis file: limits and contours, tables and plots in OUT.  Exits 1 if any of
    its fits failed (no plot is drawn for a failed analysis)."""
    from .config import ConfigError, load

    try:
        a = load(file)
    except ConfigError as e:
        _fail(str(e))
    res = _run_analyses([a], out, quick, workers, force)
    _report(res, as_json, names={a.name})
    _exit_on_failure(res)


def _exit_on_failure(res: dict) -> None:
    if res["failed"]:
        for f in res["failed"]:
            typer.secho(f"error: {f}", fg=typer.colors.RED, err=True)
        typer.secho(f"error: {len(res['failed'])} fit(s) failed", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)


def _report(res: dict, as_json: bool, names=None) -> None:
    rows = [r for r in res["rows"] if names is None or r["analysis"] in names]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for r in rows:
        iv = " U ".join(f"[{a:.4g}, {b:.4g}]" for a, b in r["intervals"]) or "none"
        flag = "" if r["converged"] and not r["warnings"] else "  (!) " + "; ".join(r["warnings"])
        typer.echo(f"{r['analysis']:30s} {r['param']:9s} {r.get('method', 'wilks'):12s} CL {r['cl']:.3g}: {iv}{flag}")


@app.command()
def options() -> None:
    """The data sets and their model options (set them with --option NAME=VALUE or in an
    analysis file's model: section)."""
    from . import experiments

    for n in experiments.NAMES:
        inf = experiments.info(n)
        typer.echo(f"{n:10s} {inf.description}; ES {'on' if inf.default_es else 'off'} by default")
        for o in inf.options:
            choices = f" {{{', '.join(map(str, o.choices))}}}" if o.choices else f" ({o.kind.__name__})"
            typer.echo(f"    {o.name}{choices}, default {o.default}: {o.help}")
    typer.echo(
        "every data set: es (true/false), momentum_dependent (true/false), form_factor "
        "(helm, klein_nystrand, symmetrized_fermi)"
    )


@app.command()
def solar(
    ssm: str = typer.Option("gs98", help="solar model: gs98 (B16-GS98) or agss09 (B16-AGSS09met)"),
    nufit: str = typer.Option("6.0", help="NuFIT release of the oscillation parameters (normal ordering)"),
    plot: Optional[Path] = typer.Option(None, help="draw P_ee(E) with the pp, 7Be, pep and 8B points"),
    as_json: bool = typer.Option(False, "--json", help="print a JSON object"),
) -> None:
    """Solar neutrinos at Earth: B16 fluxes with their uncertainties and the electron-neutrino
    survival probability (adiabatic MSW over each component's production region)."""
    from .sources import solar as sol

    try:
        osc = sol.nufit(f"NuFIT {nufit}")
        fluxes = sol.ssm_fluxes(ssm)
    except ValueError as e:
        _fail(str(e))
    rows = {}
    for c in sol.COMPONENTS:
        energy = sol.marker_energy(c, 5.0 if c == "8B" else 0.0)
        rows[c] = {
            "flux_cm2s": fluxes[c][0],
            "rel_sigma": fluxes[c][1],
            "energy_MeV": energy,
            "p_ee": float(sol.survival_probability(energy, c, osc, ssm)),
        }
    out = {
        "ssm": ssm,
        "nufit": nufit,
        "oscillation": osc.__dict__,
        "vacuum_limit": osc.vacuum_limit(),
        "msw_limit": osc.msw_limit(),
        "components": rows,
    }
    if plot is not None:
        from .report.solar_plots import plot_survival
        from .report.style import save

        _write_plot(plot, lambda path: save(plot_survival(osc=osc, model=ssm), path))
    if as_json:
        typer.echo(json.dumps(out))
        return
    typer.echo(
        f"B16-{ssm.upper()}, NuFIT {nufit}: sin2_12={osc.sin2_12}, sin2_13={osc.sin2_13}, "
        f"dm2_21={osc.dm2_21:g} eV2, sin2_23={osc.sin2_23}"
    )
    for c, r in rows.items():
        typer.echo(
            f"  {c:4s} flux {r['flux_cm2s']:.3e} /cm2/s (+-{r['rel_sigma']:.1%})  P_ee({r['energy_MeV']:.3g} MeV) "
            f"= {r['p_ee']:.3f}"
        )
    if plot is not None:
        typer.echo(f"plot written to {plot}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of analysis files."""
    from .config import json_schema

    typer.echo(json.dumps(json_schema(), indent=1))


@app.command()
def reproduce(
    out: Path = typer.Option(Path("results"), help="output directory"),
    only: Optional[str] = typer.Option(
        None, help="run only analyses whose name contains this text (the summary still covers every result in OUT)"
    ),
    section: Optional[str] = typer.Option(
        None,
        help="run only the analyses of one section: papers (the published analyses of the reference "
        "papers) or beyond (new physics and solar data, beyond the papers)",
    ),
    quick: bool = typer.Option(False, help="thinner scans (for CI)"),
    workers: Optional[int] = typer.Option(None, help="worker processes (default: all cores)"),
    force: bool = typer.Option(
        False, "--force", help="recompute analyses whose finished results are in OUT with unchanged inputs"
    ),
    option: Optional[list[str]] = typer.Option(
        None,
        "--option",
        "-o",
        help="a data set's model option "
        "NAME=VALUE for every analysis that leaves it at its default "
        "(repeatable; e.g. -o timing=model -o steady_state=template: "
        "the previous CsI defaults)",
    ),
    as_json: bool = typer.Option(False, "--json", help="print the summary rows as JSON"),
) -> None:
    """Run every shipped analysis (the published results of the reference papers; docs/analyses)
    and write the results table and plots.  Finished results are kept in OUT as they come and
    reused by the next run while their inputs (package version and code, data checksums, analysis
    file, options) are unchanged; Ctrl-C stops the run cleanly."""
    import time as _t

    from .config import ConfigError, load, shipped

    try:
        overrides = _experiment_options(option=option)
        analyses = [load(p).with_default_options(overrides) for p in shipped()]
    except (ConfigError, ValueError) as e:
        _fail(str(e))
    from .report.reproduce import select

    try:
        analyses = select(analyses, only, section)
    except ValueError as e:
        _fail(str(e))
    t0 = _t.perf_counter()
    res = _run_analyses(analyses, out, quick, workers, force)
    _report(res, as_json, names=None)
    if not as_json:
        typer.echo(
            f"{len(res['ran'])} analyses run, {len(res['reused'])} reused, in {_t.perf_counter() - t0:.0f} s; "
            f"{len(res['results'])} results in the tables and plots in {out}"
        )
    _exit_on_failure(res)


@app.command()
def scan(
    data: str = typer.Option(..., help=DATA_HELP),
    param: list[str] = typer.Option(..., help="NAME=LOW:HIGH:N for each scanned parameter (repeatable)"),
    qf: Optional[str] = typer.Option(None),
    flux: Optional[str] = typer.Option(None),
    peaks: Optional[str] = typer.Option(
        None,
        help=PEAKS_HELP,
    ),
    option: Optional[list[str]] = typer.Option(None, "--option", "-o", help=OPTION_HELP),
    timing: Optional[str] = typer.Option(None, "--timing", help=TIMING_HELP),
    reactor_norm: Optional[str] = typer.Option(None, "--reactor-norm", help=REACTOR_NORM_HELP),
    fix: Optional[list[str]] = typer.Option(None, "--fix", help=FIX_HELP),
    free: Optional[list[str]] = typer.Option(None, "--free", help=FREE_HELP),
    no_es: bool = typer.Option(False, "--no-es"),
    es: bool = typer.Option(False, "--es"),
    transitions: bool = typer.Option(False, "--transitions", help="profile transition parameters not scanned"),
    momentum_dependent: bool = typer.Option(False, "--momentum-dependent"),
    backend: str = typer.Option("processes", help="serial, processes (local pool) or dask"),
    scheduler: Optional[str] = typer.Option(None, help="address of a running dask scheduler, tcp://host:port"),
    workers: Optional[int] = typer.Option(None, help="number of workers (default: all cores)"),
    chunk_size: int = typer.Option(64, help="grid points per task"),
    out: Optional[Path] = typer.Option(None, help="directory for resumable partial results"),
    cl: float = typer.Option(0.9, help="CL of the projected 1D intervals"),
    plot: Optional[Path] = typer.Option(
        None, help="draw the projected profile (one parameter) or 2D regions (first two)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Profiled grid scan over several parameters, split in chunks over a process pool or a dask
    cluster; resumable from the partial results in OUT (the Python API's
    ``cevnsfit.Analysis(...).scan(...)``).  Ctrl-C stops it, keeping the finished chunks."""
    from .api import Analysis
    from .runlog import busy, stoppable

    try:
        fixed, freed = parse_fix_free(fix, free)
        ana = Analysis.from_setup(
            _setup(
                data,
                qf,
                flux,
                no_es,
                es,
                transitions,
                momentum_dependent,
                peaks=peaks,
                option=option,
                timing=timing,
                reactor_norm=reactor_norm,
            ),
            fixed=fixed,
            free=freed,
        )
        ranges = {}
        for item in param:
            try:
                name, rng = item.split("=", 1)
                lo, hi, n = rng.split(":")
                ranges[name.strip()] = (float(lo), float(hi), int(n))
            except ValueError:
                raise ValueError(f"--param expects NAME=LOW:HIGH:N, got {item!r}") from None
        if not (0.0 < cl < 1.0):
            raise ValueError(f"--cl must lie in (0, 1), got {cl}")
        if scheduler is not None and backend != "dask":
            backend = "dask"
        if out is not None:
            _check_writable(out, "scan directory")
        size = 1
        for _, _, n_points in ranges.values():
            size *= max(int(n_points), 1)
        try:
            with stoppable(), busy("scan"):
                res = ana.scan(
                    ranges, cl=cl, backend=backend, workers=workers, scheduler=scheduler, chunk_size=chunk_size, out=out
                )
        except KeyboardInterrupt:
            typer.secho(
                "interrupted"
                + (f": finished chunks kept in {out}; run the same command to resume" if out is not None else ""),
                fg=typer.colors.YELLOW,
                err=True,
            )
            raise typer.Exit(130) from None
    except ValueError as e:
        _fail(str(e))
    if out is not None:
        res.grid_result().save(Path(out) / "result.json")
    if plot is not None:
        from .report.style import save

        _write_plot(plot, lambda path: save(res.plot(), path))
    if as_json:
        typer.echo(res.to_json())
    else:
        typer.echo(f"best fit { ({p: res.best_fit[p] for p in res.params}) }, chi2_min {res.chi2_min:.3f}")
        for p, iv in res.intervals.items():
            typer.echo(f"  {p}: {cl:.0%} CL (grid projection) " + " U ".join(f"[{a:.4g}, {b:.4g}]" for a, b in iv))
        for w in res.warnings:
            typer.secho(f"warning: {w}", fg=typer.colors.YELLOW, err=True)


def main() -> None:  # entry point
    try:
        app()
    except datamod.DataError as e:
        typer.secho(f"error: {e}", fg=typer.colors.RED, err=True)
        sys.exit(1)
    except MissingExtra as e:
        typer.secho(f"error: {e}", fg=typer.colors.RED, err=True)
        sys.exit(3)
    except OSError as e:  # an unwritable or unreadable path: one line, not a traceback
        where = f": {e.filename}" if getattr(e, "filename", None) else ""
        typer.secho(f"error: {e.strerror or e}{where}", fg=typer.colors.RED, err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
