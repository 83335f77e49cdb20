"""cevnsfit benchmarks: every speed figure as a ratio against a floor measured in the same run.

    CEVNSFIT_DATA=../shared/data python benchmarks/run.py [--quick] [--reproduce]
        [--baseline OLD_SRC] [--json FILE]

Floors (measured here, now, in the same run):

* chi^2: the numpy work a prediction cannot avoid -- one matrix product of the data set's
  monomials with its template matrix (the same sizes: one row for a single chi^2, n rows for a
  batch) followed by the data set's chi^2 formula; reported as time / floor;
* profiled fits: the batched chi^2 floor times the mean number of Levenberg-Marquardt iterations
  of a fit (every iteration needs at least one prediction per fit); reported as time per fit /
  (iterations x floor);
* whole commands: a Python process that only imports what any such command must (``typer`` for
  ``--help``, ``numpy`` + ``typer`` for the others) -- the interpreter start-up and the libraries'
  imports; reported as time / floor, and peak memory (RSS) / the floor process's;
* worker scaling: the ideal speed-up (the number of workers); reported as speed-up / ideal.

``--baseline OLD_SRC`` runs the figures that the previous implementation also offers (single and
batched chi^2, one profiled fit, fits at fixed parameters one by one, the command-line timings)
with ``PYTHONPATH=OLD_SRC`` in a subprocess, in the same run, and reports new/old ratios.

Sections: chi^2 (single, batched) per data set; profiled fits per second (batched and one at a
time); whole commands (``--help``, ``predict dresden2 --json``, the combined charge-radius limit
with and without transitions); scaling with the batch size, the number of free parameters, the
number of data sets and the number of workers (grid scans: serial, process pool, dask); peak
memory; ``reproduce --section papers --workers 2`` (the published analyses) with --reproduce.
The machine's load average is recorded at the start and end of every section: on a shared
machine, absolute timings scale with it, ratios to a floor measured alongside much less.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DATASETS = ("csi", "ar", "dresden2")
#: targets (issue 16): (figure, comparison, value)
TARGETS = {
    "single_chi2_over_floor": ("<=", 3.0),
    "batched_chi2_over_floor": ("<=", 2.0),
    "fits_per_s_dresden2": (">=", 2000.0),
    "fits_per_s_csi": (">=", 300.0),
    "cli_limit_r2ee_s": ("<=", 3.0),
    "cli_limit_r2ee_transitions_s": ("<=", 6.0),
    "cli_help_s": ("<=", 0.3),
    "cli_predict_dresden2_s": ("<=", 0.5),
    "reproduce_s": ("<=", 90.0),
    "peak_mb_limit_process": ("<=", 125.0),
    "scan_speedup_2_workers": (">=", 1.8),
    "dask_over_processes": ("<=", 1.0),
}


def best_of(f, repeat=5, number=1):
    """Least wall time per call over ``repeat`` runs of ``number`` calls (the least-disturbed run)."""
    out = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            f()
        out = min(out, (time.perf_counter() - t) / number)
    return out


def load_avg() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


#: runs ``cevnsfit`` (or, with no arguments, the code in $CEVNSFIT_BENCH_CODE) and writes its
#: peak RSS and that of its largest child [kB] at exit.  ru_maxrss counts the pages of the forked
#: parent before exec (Linux keeps the old high-water mark), so the process's own peak is read
#: from /proc/self/status (VmHWM) where there is one
_RSS_WRAPPER = """
import atexit, os, resource, runpy, sys
def _hwm():
    try:
        with open("/proc/self/status") as f:
            return next(int(ln.split()[1]) for ln in f if ln.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
def _report():
    own = _hwm()
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(os.environ["CEVNSFIT_BENCH_RSS"], "w") as f:
        f.write(f"{own} {child}")
atexit.register(_report)
if len(sys.argv) > 1:
    sys.argv = ["cevnsfit", *sys.argv[1:]]
    runpy.run_module("cevnsfit.cli", run_name="__main__", alter_sys=True)
else:
    exec(os.environ["CEVNSFIT_BENCH_CODE"])
"""


def peak_rss_mb(args=(), code: str | None = None) -> float:
    """Peak RSS [MB] of ``cevnsfit ARGS`` (or of a process running ``code``): the largest of the
    process and of any of its workers."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".rss") as f:
        env = dict(os.environ, CEVNSFIT_BENCH_RSS=f.name, CEVNSFIT_BENCH_CODE=code or "")
        subprocess.run([sys.executable, "-c", _RSS_WRAPPER, *args], env=env, capture_output=True, check=True)
        own, child = (int(x) for x in Path(f.name).read_text().split())
    return max(own, child) / 1024.0


def process_run(cmd, env=None) -> tuple[float, float, float]:
    """(wall time [s], CPU time user + system [s], peak RSS [MB] -- inflated by the parent's
    pages before exec: see :func:`peak_rss_mb`) of one process."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = p.stderr.read() if p.stderr else b""
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err.decode()[-500:]}")
    return dt, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0


def command_time(args, repeat=3, env=None, stats: dict | None = None) -> float:
    """Least wall time of a whole ``cevnsfit`` process (``stats``: filled with its peak RSS [MB]
    and the CPU time of the fastest run)."""
    best, cpu = np.inf, np.nan
    for _ in range(repeat):
        dt, c, _ = process_run([sys.executable, "-m", "cevnsfit.cli", *args], env)
        if dt < best:
            best, cpu = dt, c
    if stats is not None:
        stats.update(rss_mb=peak_rss_mb(args), cpu_s=cpu)
    return best


#: floor processes of the whole commands: what any such command imports
FLOOR_IMPORTS = {"help": "import typer", "numpy": "import numpy, typer"}


def floor_processes(repeat=5) -> dict:
    """Least wall time and peak RSS of the floor processes (:data:`FLOOR_IMPORTS`)."""
    out = {}
    for key, code in FLOOR_IMPORTS.items():
        runs = [process_run([sys.executable, "-c", code]) for _ in range(repeat)]
        out[f"floor_process_{key}_s"] = min(r[0] for r in runs)
        out[f"floor_process_{key}_mb"] = peak_rss_mb(code=code)
    return out


# ------------------------------------------------------------------------------------------
# figures both implementations offer (run again under --baseline)
# ------------------------------------------------------------------------------------------
def common_figures(quick: bool) -> dict:
    from cevnsfit import experiments
    from cevnsfit.inference.fit import Likelihood
    from cevnsfit.physics.parameters import Params

    out = {}
    p = Params(mu_e=2.0, mu_mu=3.0)
    for name in DATASETS:
        ds = experiments.load(name)
        nuis = ds.nuisance_defaults()
        ds.chi2(p, nuis)
        out[f"single_chi2_us_{name}"] = 1e6 * best_of(lambda: ds.chi2(p, nuis), 5, 200)
        n = 2000
        vals = {"mu_e": np.linspace(0, 10, n), "mu_mu": np.linspace(0, 10, n)}
        out[f"batched_chi2_us_{name}"] = 1e6 * best_of(lambda: ds.chi2_batch(vals, nuis), 3) / n
        param = "mu_e" if name == "dresden2" else "mu_mu"
        lik = Likelihood([ds], poi=[param])
        grid = np.linspace(0.0, 3.0 if name == "dresden2" else 30.0, 20 if quick else 40)
        lik.fit(fixed={param: grid[1]})
        t = time.perf_counter()
        for g in grid:
            lik.fit(fixed={param: float(g)})
        out[f"fits_per_s_one_by_one_{name}"] = grid.size / (time.perf_counter() - t)
        out[f"global_fit_s_{name}"] = best_of(lambda: Likelihood([ds], poi=[param]).fit(), 3)
    env = dict(os.environ)
    out["load_commands_start"] = load_avg()
    out.update(floor_processes())
    for key, args, repeat in (
        ("cli_help_s", ["--help"], 5),
        ("cli_predict_dresden2_s", ["predict", "dresden2", "--json"], 5),
        ("cli_limit_r2ee_s", ["limit", "--data", "csi,ar,dresden2", "--param", "r2_ee"], 1 if quick else 3),
        (
            "cli_limit_r2ee_transitions_s",
            ["limit", "--data", "csi,ar,dresden2", "--param", "r2_ee", "--transitions"],
            1 if quick else 3,
        ),
    ):
        st: dict = {}
        out[key] = command_time(args, repeat, env, st)
        out[key.replace("_s", "_peak_mb", 1) if key.endswith("_s") else key + "_mb"] = st["rss_mb"]
        out[key[:-2] + "_cpu_s"] = st["cpu_s"]
    out["peak_mb_limit_process"] = max(out["cli_limit_r2ee_peak_mb"], out["cli_limit_r2ee_transitions_peak_mb"])
    out["load_commands_end"] = load_avg()
    return out


# ------------------------------------------------------------------------------------------
# figures of the batched implementation
# ------------------------------------------------------------------------------------------
def chi2_floor(ds, n: int) -> float:
    """One matrix product of n rows of monomials with the data set's template matrix, plus the
    data set's chi^2 formula on n predictions: the numpy work of n predictions."""
    T = _template_matrix(ds)
    rng = np.random.default_rng(0)
    m = rng.random((n, T.shape[0]))
    e = np.abs(rng.normal(ds.observed, 1.0, (n, ds.observed.size))) + 1.0
    obs = np.broadcast_to(ds.observed, e.shape)

    def work():
        m @ T
        return ds.chi2_counts(e, obs)

    return best_of(work, 5, max(1, 200 // n))


def _template_matrix(ds) -> np.ndarray:
    """The data set's template matrix (rows: monomials x flavours, columns: every template bin)."""
    from cevnsfit.inference import nonpolynomial

    banks = nonpolynomial.KeyedBanks(ds.templates)
    return banks.bank(nonpolynomial.Key()).matrix


class _counting_iterations:
    """Counts the Levenberg-Marquardt rows evaluated (fits x iterations) by ``fit_batch``."""

    def __enter__(self) -> dict:
        from cevnsfit.inference import nuisance

        self.mod, self.orig, self.stats = nuisance, nuisance.solve_tasks, {}

        def counted(prob, tasks, **kw):
            return self.orig(prob, tasks, **{**kw, "stats": self.stats})

        nuisance.solve_tasks = counted
        return self.stats

    def __exit__(self, *exc) -> None:
        self.mod.solve_tasks = self.orig


def new_figures(quick: bool) -> dict:
    from cevnsfit import experiments
    from cevnsfit.inference.analysis import Setup
    from cevnsfit.inference.distributed import GridSpec, grid_scan
    from cevnsfit.inference.fit import Likelihood

    out = {"load_new_start": load_avg()}
    for name in DATASETS:
        ds = experiments.load(name)
        out[f"floor_single_us_{name}"] = 1e6 * chi2_floor(ds, 1)
        out[f"floor_batched_us_{name}"] = 1e6 * chi2_floor(ds, 2000) / 2000
        param = "mu_e" if name == "dresden2" else "mu_mu"
        lik = Likelihood([ds], poi=[param])
        n = 500 if quick else 2000
        grid = np.linspace(0.0, 3.0 if name == "dresden2" else 30.0, n)
        lik.fit_batch({param: grid[:20]})
        with _counting_iterations() as it:
            t = time.perf_counter()
            res = lik.fit_batch({param: grid})
            out[f"fits_per_s_{name}"] = n / (time.perf_counter() - t)
        out[f"fits_converged_{name}"] = float(np.mean(res.converged))
        out[f"fit_iterations_{name}"] = it.get("evaluations", 0) / n
        # scaling with the batch size
        vals = lambda k: {"mu_e": np.linspace(0, 10, k), "mu_mu": np.linspace(0, 10, k)}  # noqa: E731
        nuis = ds.nuisance_defaults()
        for k in (1, 10, 100, 1000, 10000):
            v = vals(k)
            out[f"scaling_batch_{name}_n{k}_us_per_point"] = 1e6 * best_of(lambda: ds.chi2_batch(v, nuis), 3) / k
    # fit throughput with the number of free physics parameters: the combined charge-radius fit
    # at fixed r2_ee with more and more of the other radii profiled (as in the shipped analyses)
    combined = [experiments.load(n) for n in DATASETS]
    for free in (
        [],
        ["r2_mumu"],
        ["r2_mumu", "r2_emu"],
        ["r2_mumu", "r2_emu", "r2_etau"],
        ["r2_mumu", "r2_emu", "r2_etau", "r2_mutau"],
    ):
        lik = Likelihood(combined, poi=["r2_ee", *free])
        grid = np.linspace(-70.0, 20.0, 50 if quick else 100)
        t = time.perf_counter()
        lik.fit_batch({"r2_ee": grid})
        out[f"scaling_params_{len(free)}_profiled_fits_per_s"] = grid.size / (time.perf_counter() - t)
    # ... with the number of data sets
    for names in (("dresden2",), ("csi", "dresden2"), ("csi", "ar", "dresden2")):
        lik = Likelihood([experiments.load(n) for n in names], poi=["mu_e"])
        grid = np.linspace(0.0, 3.0, 200 if quick else 500)
        t = time.perf_counter()
        lik.fit_batch({"mu_e": grid})
        out[f"scaling_datasets_{len(names)}_fits_per_s"] = grid.size / (time.perf_counter() - t)
    # ... with the number of workers: a 20 x 20 profiled grid of the combined diagonal radii with
    # the three transition radii profiled (mirror starts of none: both diagonal radii are scanned)
    n_side = 10 if quick else 20
    spec = GridSpec.from_ranges(
        Setup(("csi", "ar", "dresden2"), transitions=True),
        {"r2_ee": (-70.0, 20.0, n_side), "r2_mumu": (-70.0, 20.0, n_side)},
    )
    times = {}
    for label, kw in (
        ("serial", dict(backend="serial")),
        ("processes_1", dict(backend="processes", n_workers=1)),
        ("processes_2", dict(backend="processes", n_workers=2)),
        ("dask_2", dict(backend="dask", n_workers=2)),
    ):
        t = time.perf_counter()
        try:
            grid_scan(spec, chunk_size=16, **kw)
        except ImportError:
            continue
        times[label] = time.perf_counter() - t
        out[f"scan_{n_side}x{n_side}_{label}_s"] = times[label]
    if "serial" in times and "processes_2" in times:
        out["scan_speedup_2_workers"] = times["serial"] / times["processes_2"]
    if "dask_2" in times and "processes_2" in times:
        out["dask_over_processes"] = times["dask_2"] / times["processes_2"]
    out["peak_mb_benchmark_process"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    out["load_new_end"] = load_avg()
    return out


def baseline_figures(src: str, quick: bool) -> dict:
    """The common figures with the previous implementation (``PYTHONPATH=src``), in a subprocess."""
    env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
    env["CEVNSFIT_CACHE"] = env.get("CEVNSFIT_BASELINE_CACHE", "off")
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"cevnsfit-bench-baseline-{os.getpid()}.json"
    cmd = [sys.executable, __file__, "--common-only", "--json", str(out)] + (["--quick"] if quick else [])
    r = subprocess.run(cmd, env=env, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError(f"baseline run failed: {r.stderr.decode()[-2000:]}")
    data = json.loads(out.read_text())
    out.unlink()
    return data


def reproduce_time() -> dict:
    """``reproduce --section papers --workers 2`` (the published analyses) into a fresh directory:
    wall time, CPU time of the whole process tree and the load average around it."""
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"cevnsfit-bench-reproduce-{os.getpid()}"
    load0 = load_avg()
    cmd = [sys.executable, "-m", "cevnsfit.cli", "reproduce", "--section", "papers", "--workers", "2"]
    dt, cpu, _ = process_run([*cmd, "--out", str(out)])
    return {"reproduce_s": dt, "reproduce_cpu_s": cpu, "load_reproduce_start": load0, "load_reproduce_end": load_avg()}


def _loads(fig: dict, key: str) -> str:
    return f"load {fig.get(f'load_{key}_start', float('nan')):.1f} -> {fig.get(f'load_{key}_end', float('nan')):.1f}"


def report(fig: dict, base: dict | None) -> None:
    print(
        f"load average (1 min) at start/end: {fig['load_start']:.2f} / {fig['load_end']:.2f} on "
        f"{os.cpu_count()} cores: absolute timings scale with it, ratios to the floors much less\n"
    )
    print(f"chi^2 and profiled fits ({_loads(fig, 'new')}); floor = one template product + chi^2 formula")
    print(
        f"{'data set':10s} {'single us':>10s} {'floor':>7s} {'ratio':>6s} {'batch us/pt':>12s} {'floor':>7s} "
        f"{'ratio':>6s} {'fits/s':>8s} {'LM it/fit':>9s} {'fit/(it x floor)':>16s} {'fits/s 1-by-1':>13s}"
        + (f" {'old 1-by-1':>11s} {'old single':>11s}" if base else "")
    )
    for name in DATASETS:
        s, fs = fig[f"single_chi2_us_{name}"], fig[f"floor_single_us_{name}"]
        b, fb = fig[f"batched_chi2_us_{name}"], fig[f"floor_batched_us_{name}"]
        fps, it = fig[f"fits_per_s_{name}"], fig.get(f"fit_iterations_{name}", float("nan"))
        line = (
            f"{name:10s} {s:10.1f} {fs:7.1f} {s / fs:6.1f} {b:12.3f} {fb:7.3f} {b / fb:6.2f} "
            f"{fps:8.0f} {it:9.1f} {1e6 / fps / (it * fb):16.1f} {fig[f'fits_per_s_one_by_one_{name}']:13.0f}"
        )
        if base:
            line += f" {base[f'fits_per_s_one_by_one_{name}']:11.0f} {base[f'single_chi2_us_{name}']:10.1f}u"
        print(line)
    print(
        f"\nwhole commands: least wall time, CPU time, peak RSS ({_loads(fig, 'commands')}); floor = a Python "
        f"process importing typer ({fig['floor_process_help_s']:.2f} s, {fig['floor_process_help_mb']:.0f} MB; "
        f"for --help) or numpy + typer ({fig['floor_process_numpy_s']:.2f} s, {fig['floor_process_numpy_mb']:.0f} MB)"
    )
    for k in ("cli_help_s", "cli_predict_dresden2_s", "cli_limit_r2ee_s", "cli_limit_r2ee_transitions_s"):
        if k not in fig:
            continue
        fl = "help" if k == "cli_help_s" else "numpy"
        t, f0 = fig[k], fig[f"floor_process_{fl}_s"]
        mb, m0 = fig.get(k.replace("_s", "_peak_mb", 1), float("nan")), fig[f"floor_process_{fl}_mb"]
        extra = f"   previous: {base[k]:.2f} s (x{base[k] / t:.1f})" if base and k in base else ""
        print(
            f"  {k:30s} {t:7.2f} s = {t / f0:5.1f} x floor   CPU {fig.get(k[:-2] + '_cpu_s', float('nan')):6.2f} s   "
            f"{mb:5.0f} MB = {mb / m0:4.1f} x floor{extra}"
        )
    if "reproduce_s" in fig:
        print(
            f"  {'reproduce --section papers':30s} {fig['reproduce_s']:7.1f} s   CPU {fig['reproduce_cpu_s']:6.1f} s "
            f"(2 workers; {_loads(fig, 'reproduce')})"
        )
    print(f"\nscaling ({_loads(fig, 'new')}):")
    for name in DATASETS:
        ref = fig[f"scaling_batch_{name}_n10000_us_per_point"]
        per = {k: fig[f"scaling_batch_{name}_n{k}_us_per_point"] for k in (1, 10, 100, 1000, 10000)}
        row = "  ".join(f"n={k}: {v:.2f} ({v / ref:.1f})" for k, v in per.items())
        print(f"  chi^2 us/point with the batch size, {name} (ratio to n=10000): {row}")
    keys = sorted(k for k in fig if k.startswith("scaling_params_"))
    if keys:
        r0 = fig[keys[0]]
        row = "  ".join(f"{k.split('_')[2]}: {fig[k]:.0f} ({fig[k] / r0:.2f})" for k in keys)
        print(f"  profiled fits/s of the combined r2 fit with the number of other radii profiled (ratio to 0): {row}")
    keys = sorted(k for k in fig if k.startswith("scaling_datasets_"))
    if keys:
        r0 = fig[keys[0]]
        row = "  ".join(f"{k.split('_')[2]}: {fig[k]:.0f} ({fig[k] / r0:.2f})" for k in keys)
        print(f"  fits/s with the number of data sets (ratio to 1): {row}")
    scans = {k: v for k, v in fig.items() if k.startswith("scan_") and k.endswith("_s")}
    if scans:
        serial = next((v for k, v in scans.items() if "serial" in k), float("nan"))
        for k, v in scans.items():
            n = 2 if k.endswith("_2_s") else 1
            print(f"  {k:40s} {v:7.2f} s   speed-up {serial / v:4.2f} = {serial / v / n:4.2f} x ideal ({n})")
    print(
        f"\npeak memory: benchmark process {fig['peak_mb_benchmark_process']:.0f} MB, "
        f"a limit process {fig['peak_mb_limit_process']:.0f} MB"
        + (f" (previous: {base['peak_mb_limit_process']:.0f} MB)" if base else "")
    )
    print("\ntargets:")
    singles = [fig[f"single_chi2_us_{n}"] / fig[f"floor_single_us_{n}"] for n in DATASETS]
    batched = [fig[f"batched_chi2_us_{n}"] / fig[f"floor_batched_us_{n}"] for n in DATASETS]
    derived = {"single_chi2_over_floor": max(singles), "batched_chi2_over_floor": max(batched)}
    for key, (op, target) in TARGETS.items():
        got = derived.get(key, fig.get(key))
        if got is None:
            continue
        ok = got <= target if op == "<=" else got >= target
        print(f"  {key:32s} {got:10.2f} {op} {target:g}: {'met' if ok else 'MISSED'}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller batches and grids")
    ap.add_argument(
        "--reproduce", action="store_true", help="also time `cevnsfit reproduce --section papers --workers 2`"
    )
    ap.add_argument("--baseline", help="source directory of the previous implementation (PYTHONPATH)")
    ap.add_argument("--common-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    if args.common_only:  # the baseline run: figures the previous implementation has
        fig = common_figures(args.quick)
        Path(args.json).write_text(json.dumps(fig))
        return
    fig = {"load_start": load_avg()}
    fig.update(common_figures(args.quick))
    fig.update(new_figures(args.quick))
    if args.reproduce:
        fig.update(reproduce_time())
    base = baseline_figures(args.baseline, args.quick) if args.baseline else None
    fig["load_end"] = load_avg()
    report(fig, base)
    if args.json:
        Path(args.json).write_text(json.dumps({"new": fig, "previous": base}, indent=1, default=float))


if __name__ == "__main__":
    main()
