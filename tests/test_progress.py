"""Progress of long computations: the fits report every step and its grid points
(:mod:`cevnsfit.inference.progress`); the command line shows them as a bar with an ETA on a
terminal and as periodic plain lines otherwise (CI logs, nohup)."""

import json
import logging
import math
import os
import re
import subprocess
import sys

import pytest

from cevnsfit.inference.progress import Stage, counted, labelled, listening, muted
from cevnsfit.runlog import StepDisplay


def cli(*args, timeout=600, **kw):
    return subprocess.run(
        [sys.executable, "-m", "cevnsfit.cli", *args], capture_output=True, text=True, timeout=timeout, **kw
    )


def test_stage_counts_each_point_once_and_reports_only_to_a_listener():
    seen = []
    Stage("nobody listens", 3).point(0)  # no listener: nothing to call, no error
    with listening(lambda *a: seen.append(a)):
        st = Stage("profile of mu_e", 3)
        for i in (0, 1, 1, 0, 2):  # a point fitted again (another branch) counts once
            st.point(i)
        with labelled("expected (Asimov): "):
            Stage("global fit")
        with muted():
            Stage("inner", 2).advance(2)
    assert seen == [
        ("profile of mu_e", 0, 3),
        ("profile of mu_e", 1, 3),
        ("profile of mu_e", 2, 3),
        ("profile of mu_e", 3, 3),
        ("expected (Asimov): global fit", 0, None),
    ]


def test_counted_chains_pass_the_solver_outcomes_through():
    def chain(out):
        got = yield ["task"]
        out.append(got)

    seen, out = [], []
    with listening(lambda *a: seen.append(a)):
        chains = counted([chain(out), chain(out)], Stage("ends", 2))
    for ch in chains:
        assert next(ch) == ["task"]
        with pytest.raises(StopIteration):
            ch.send(["outcome"])
    assert out == [["outcome"], ["outcome"]] and seen[-1] == ("ends", 2, 2)


def test_plain_lines_start_periodic_with_eta_and_end(monkeypatch):
    """Without a terminal: a line when a step starts, one per ``every`` seconds while it runs (with
    the ETA from its rate) and one when it ends -- not one per point."""
    lines = []

    class Grab(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    plog = logging.getLogger("cevnsfit.progress")
    h = Grab()
    plog.addHandler(h)
    old = plog.level
    plog.setLevel(logging.INFO)
    now = [0.0]
    try:
        d = StepDisplay("limit mu_e", every=10.0, clock=lambda: now[0])
        d.report("global fit", 0, None)
        d.report("profile of mu_e", 0, 100)
        for k in range(1, 101):
            now[0] += 0.5  # 0.5 s per point: lines at 10 s, 20 s, ... and at the end
            d.report("profile of mu_e", k, 100)
        n_long = len(lines)
        d.report("interval ends", 0, 4)  # a short step: its start line only
        for k in range(1, 5):
            now[0] += 0.1
            d.report("interval ends", k, 4)
    finally:
        plog.removeHandler(h)
        plog.setLevel(old)
    assert lines[:3] == ["limit mu_e ...", "limit mu_e: global fit ...", "limit mu_e: profile of mu_e: 0/100"]
    assert lines[3] == "limit mu_e: profile of mu_e: 20/100, ETA 40 s"  # 20 points in 10 s: 80 left, 40 s
    assert lines[n_long - 1] == "limit mu_e: profile of mu_e: 100/100"
    assert n_long == 3 + 5  # at 10, 20, 30, 40 s and the end (50 s)
    assert lines[n_long:] == ["limit mu_e: interval ends: 0/4"]


def test_api_limit_reports_its_steps_point_by_point(data_available):
    import cevnsfit as cf

    seen = []
    with listening(lambda *a: seen.append(a)):
        res = cf.Analysis(["dresden2"]).limit("mu_e", points=21)
    steps = list(dict.fromkeys(s for s, _, _ in seen))
    assert steps[:3] == ["global fit", "bracketing the allowed range of mu_e", "profile of mu_e"]
    assert "expected (Asimov): profile of mu_e" in steps
    n = len(res.scan["grid"])
    prof = [(d, t) for s, d, t in seen if s == "profile of mu_e"]
    assert [d for d, _ in prof] == list(range(n + 1)) and {t for _, t in prof} == {n}  # every point, once


@pytest.mark.parametrize(
    "args,step",
    [
        (
            ["limit", "--data", "dresden2", "--param", "mu_e", "--no-expected"],
            r"^limit on mu_e: profile of mu_e: 0/61$",
        ),
        (
            ["contour", "--data", "dresden2", "--param", "mu_e", "--param", "sin2w", "--points", "6"],
            r"^contour of mu_e x sin2w: grid of mu_e x sin2w: 0/36$",
        ),
        (
            ["scan", "--data", "dresden2", "--param", "mu_e=0:3:20", "--backend", "serial", "--chunk-size", "8"],
            r"^scan: grid points: 0/20$",
        ),
        (
            ["exclusion", "--data", "dresden2", "--coupling", "g_zp", "--masses", "1,100,3"],
            r"^exclusion curve of g_zp: dresden2 \(1/1\): coupling grids: 0/\d+$",
        ),
    ],
)
def test_cli_progress_lines_without_a_terminal(args, step, data_available):
    r = cli(*args)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = [ln.split(" ", 1)[1] for ln in r.stderr.splitlines() if re.match(r"\d\d:\d\d:\d\d ", ln)]
    assert any(re.search(step, ln) for ln in lines), r.stderr
    assert len(lines) < 40, r.stderr  # periodic lines, not one per point


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_cli_progress_bar_on_a_terminal(data_available):
    """On a terminal: a bar naming the step with its points and an ETA (drawn, then cleared)."""
    master, slave = os.openpty()
    try:
        p = subprocess.Popen(
            [sys.executable, "-m", "cevnsfit.cli", "limit", "--data", "dresden2", "--param", "mu_e", "--no-expected"],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=slave,
            env={**os.environ, "COLUMNS": "160", "TERM": "xterm"},
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                b = os.read(master, 65536)
            except OSError:
                break
            if not b:
                break
            chunks.append(b)
        out, _ = p.communicate(timeout=600)
    finally:
        os.close(master)
    tty = b"".join(chunks).decode(errors="replace")
    assert p.returncode == 0 and b"90% CL allowed" in out
    assert "profile of mu_e" in tty and "ETA" in tty and re.search(r"\d+/\d+", tty), tty[-2000:]


def test_quiet_verbose_log_file_and_plot_options(tmp_path, data_available):
    """-q: errors only; --log-file: every message (the steps of the fit, the data sets read);
    -v: information (how each data set was obtained); limit, contour and scan draw --plot;
    contour takes --range per parameter and --cl (its level: chi^2 quantile of 2 dof)."""
    log = tmp_path / "run.log"
    png = tmp_path / "limit.png"
    r = cli(
        "-q",
        "--log-file",
        str(log),
        "limit",
        "--data",
        "dresden2",
        "--param",
        "mu_e",
        "--no-expected",
        "--plot",
        str(png),
    )
    assert r.returncode == 0 and r.stderr == "", r.stderr
    text = log.read_text()
    assert "limit on mu_e: profile of mu_e: 0/61" in text and "dataset dresden2" in text
    assert png.stat().st_size > 10_000
    r = cli("-v", "predict", "dresden2", "--json")
    assert r.returncode == 0 and "INFO dataset dresden2" in r.stderr
    r = cli("predict", "dresden2", "--json")
    assert "INFO" not in r.stderr  # default: warnings and progress only

    png = tmp_path / "contour.png"
    r = cli(
        "contour",
        "--data",
        "dresden2",
        "--param",
        "mu_e",
        "--param",
        "sin2w",
        "--range",
        "0,3",
        "--range",
        "0.1,0.4",
        "--cl",
        "0.95",
        "--points",
        "6",
        "--json",
        "--plot",
        str(png),
    )
    assert r.returncode == 0, r.stderr[-2000:]
    d = json.loads(r.stdout)
    assert d["cl"] == 0.95 and d["levels"]["cl"] == pytest.approx(-2 * math.log(0.05))  # 5.991
    assert d["x"][0] == 0 and d["x"][-1] == 3 and d["y"][0] == 0.1 and d["y"][-1] == 0.4
    assert png.stat().st_size > 10_000
    png = tmp_path / "scan.png"
    r = cli("scan", "--data", "dresden2", "--param", "mu_e=0:3:8", "--backend", "serial", "--plot", str(png))
    assert r.returncode == 0 and png.stat().st_size > 10_000, r.stderr[-2000:]


def test_reproduce_shows_where_each_running_analysis_is(tmp_path, data_available):
    """Each analysis line of ``reproduce`` says which step it runs and where in it the fits are
    (sent from the worker processes)."""
    r = cli("reproduce", "--only", "mu_dresden2_fef", "--quick", "--workers", "2", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr[-2000:]
    for name in ("mu_dresden2_fef_es", "mu_dresden2_fef_noes"):
        assert re.search(rf"{name}: limit on mu_e \(1/1, 20 points\): (global fit|profile of mu_e)", r.stderr), r.stderr
