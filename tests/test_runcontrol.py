"""Long runs can be stopped and resumed: Ctrl-C (SIGINT to the process group) stops
``reproduce --workers 2`` within seconds with no worker left, finished results are kept, a rerun
reuses them and gives the same table as an uninterrupted run, and ``--only`` never overwrites the
results of analyses it did not run."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")

ONLY = "dresden2_fef"  # 5 shipped analyses (2 magnetic-moment, 3 sin2w), quick scans
CMD = [sys.executable, "-m", "cevnsfit.cli", "reproduce", "--only", ONLY, "--quick", "--workers", "2"]


def _results(out: Path) -> dict[str, dict]:
    out_ = {}
    for f in out.glob("*.json"):
        d = json.loads(f.read_text())
        if isinstance(d, dict) and "limits" in d:
            out_[d["name"]] = {"finished": d["finished"], "inputs": d["inputs"], "mtime": f.stat().st_mtime_ns}
    return out_


def _run(out: Path, *extra, timeout=600):
    return subprocess.run([*CMD, "--out", str(out), *extra], capture_output=True, text=True, timeout=timeout)


def test_sigint_stops_reproduce_and_rerun_resumes(tmp_path, data_available):
    out = tmp_path / "run"
    p = subprocess.Popen(
        [*CMD, "--out", str(out)], start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    t0 = time.time()
    while time.time() - t0 < 300 and not (out.is_dir() and _results(out)):
        assert p.poll() is None, p.communicate()
        time.sleep(0.05)
    kids = psutil.Process(p.pid).children(recursive=True)
    assert len(kids) >= 2  # the two workers are running
    t1 = time.time()
    os.killpg(p.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    _, err = p.communicate(timeout=30)
    assert time.time() - t1 < 10, "reproduce did not stop within 10 s"
    assert p.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err, err[-2000:]
    _gone, alive = psutil.wait_procs(kids, timeout=2)
    alive = [k for k in alive if k.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"orphaned worker(s): {alive}"
    kept = _results(out)
    assert 1 <= len(kept) < 5
    assert not (out / "results.md").exists()  # no summary from a partial run

    r = _run(out)  # resume
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"reused {len(kept)} finished analysis result(s)" in r.stderr
    after = _results(out)
    assert len(after) == 5
    for name, d in kept.items():  # not recomputed: same timestamp, same file
        assert after[name]["finished"] == d["finished"] and after[name]["mtime"] == d["mtime"], name

    ref = tmp_path / "ref"  # an uninterrupted run gives the same table
    r = _run(ref)
    assert r.returncode == 0, r.stderr[-3000:]

    def table(d):  # the rows (the footer says when each was made)
        return [ln for ln in (d / "results.md").read_text().splitlines() if ln.startswith("|")]

    assert table(out) == table(ref) and len(table(out)) > 2 + 5
    # the workers drew each analysis's profile plots (one per parameter) as they finished it
    for name in _results(ref):
        params = {lim["param"] for lim in json.loads((ref / f"{name}.json").read_text())["limits"]}
        assert params and all((ref / "plots" / f"profile_{name}_{p}.png").is_file() for p in params), name
    assert "made with cevnsfit" in (out / "results.md").read_text()

    # --only runs one analysis and leaves the others' results alone; the summary covers all five
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "cevnsfit.cli",
            "reproduce",
            "--only",
            "sin2w_dresden2_fef_hmve",
            "--quick",
            "--workers",
            "1",
            "--force",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    again = _results(out)
    for name, d in after.items():
        if name != "sin2w_dresden2_fef_hmve":
            assert again[name]["mtime"] == d["mtime"], name
    assert again["sin2w_dresden2_fef_hmve"]["finished"] >= after["sin2w_dresden2_fef_hmve"]["finished"]
    rows = json.loads((out / "results.json").read_text())
    assert len({r["analysis"] for r in rows}) == 5


def test_sigterm_stops_a_limit(tmp_path, data_available):
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cevnsfit.cli",
            "limit",
            "--data",
            "csi,ar,dresden2",
            "--param",
            "r2_ee",
            "--transitions",
            "--points",
            "4001",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)
    t1 = time.time()
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=30)
    assert time.time() - t1 < 10 and p.returncode == 130
    assert "interrupted" in err and "Traceback" not in err


def test_sigint_stops_a_process_scan_and_it_resumes(tmp_path, data_available):
    out = tmp_path / "scan"
    args = [
        sys.executable,
        "-m",
        "cevnsfit.cli",
        "scan",
        "--data",
        "csi",
        "--param",
        "mu_mu=0:40:40",
        "--param",
        "mu_e=0:40:20",
        "--workers",
        "2",
        "--chunk-size",
        "8",
        "--out",
        str(out),
        "--json",
    ]
    p = subprocess.Popen(args, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while time.time() - t0 < 300 and len(list(out.glob("chunk_*.npz"))) < 2:
        assert p.poll() is None, p.communicate()
        time.sleep(0.05)
    kids = psutil.Process(p.pid).children(recursive=True)
    t1 = time.time()
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=30)
    assert time.time() - t1 < 10 and p.returncode == 130, err[-2000:]
    assert "interrupted" in err and "Traceback" not in err, err[-2000:]
    _, alive = psutil.wait_procs(kids, timeout=2)
    assert not [k for k in alive if k.status() != psutil.STATUS_ZOMBIE]
    kept = len(list(out.glob("chunk_*.npz")))
    assert 2 <= kept < 100
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    stats = json.loads((out / "result.json").read_text())["stats"]  # no finished chunk recomputed
    assert stats["chunks_reused"] == kept and stats["chunks_computed"] == 100 - kept
    stats = json.loads(r.stdout)["stats"]
    assert stats["chunks_reused"] >= kept and stats["chunks_reused"] + stats["chunks_computed"] == 100


_POOL_SCRIPT = """
import signal, sys, time
from cevnsfit.inference.backends import iter_tasks
# Ctrl-C raises KeyboardInterrupt, as for a program started from a terminal (a test run started in
# the background, e.g. 'cmd &' without job control, hands SIGINT down ignored)
signal.signal(signal.SIGINT, signal.default_int_handler)
secs = float(sys.argv[1])
try:
    n = sum(1 for _ in iter_tasks(time.sleep, [(secs,)] * 2, "processes", 2))
    print("finished", n, flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
"""


def _pool(secs):
    p = subprocess.Popen(
        [sys.executable, "-c", _POOL_SCRIPT, str(secs)],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    t0 = time.time()
    workers = []
    while time.time() - t0 < 60 and len(workers) < 2:  # the two pool workers (forked by the fork server)
        assert p.poll() is None, p.communicate()
        workers = [
            k
            for k in psutil.Process(p.pid).children(recursive=True)
            if k.ppid() != p.pid and "resource_tracker" not in " ".join(k.cmdline())
        ]
        time.sleep(0.02)
    return p, workers


def test_pool_workers_ignore_sigint_and_the_caller_stops_them():
    """A real process pool (the 'processes' back-end of scans and pseudo-experiments): a SIGINT
    reaching its workers does not kill their tasks (they finish and return), and a SIGINT to the
    whole process group (Ctrl-C) stops the caller at once, its workers terminated, not awaited."""
    p, workers = _pool(4)
    time.sleep(1)  # the pool has registered its workers, which are past their initialiser (on a loaded machine)
    for w in workers:
        os.kill(w.pid, signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0 and "finished 2" in out, err[-2000:]

    p, workers = _pool(60)
    time.sleep(1)
    kids = psutil.Process(p.pid).children(recursive=True)
    t1 = time.time()
    os.killpg(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert time.time() - t1 < 5, "the pool's caller did not stop within 5 s"
    assert p.returncode == 130 and "interrupted" in out, err[-2000:]
    assert "Traceback" not in err, err[-2000:]
    _, alive = psutil.wait_procs(kids, timeout=3)
    assert not [k for k in alive if k.status() != psutil.STATUS_ZOMBIE], f"orphaned: {alive}"


def test_sigint_to_the_group_stops_a_contour(data_available):
    """Ctrl-C during a long contour (its per-point progress running): exit 130 within seconds, a
    one-line message, no traceback."""
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cevnsfit.cli",
            "contour",
            "--data",
            "csi",
            "--param",
            "r2_ee",
            "--param",
            "r2_mumu",
            "--points",
            "300",
        ],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(5)
    assert p.poll() is None, p.communicate()
    t1 = time.time()
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=30)
    assert time.time() - t1 < 10 and p.returncode == 130, err[-2000:]
    assert "interrupted: contour of r2_ee x r2_mumu" in err and "Traceback" not in err, err[-2000:]


def test_resume_only_while_the_inputs_are_unchanged(tmp_path, monkeypatch, data_available):
    """A finished result is reused while package version, code, data checksums and options are
    those it was made with; a changed option, version or data release recomputes it."""
    import cevnsfit
    from cevnsfit import cache, config
    from cevnsfit.report.reproduce import input_fingerprint

    base = [
        sys.executable,
        "-m",
        "cevnsfit.cli",
        "reproduce",
        "--only",
        "mu_dresden2_fef_es",
        "--quick",
        "--workers",
        "1",
        "--out",
        str(tmp_path),
    ]
    assert subprocess.run(base, capture_output=True, text=True, timeout=300).returncode == 0
    r = subprocess.run(base, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "0 analyses run, 1 reused" in r.stdout, r.stdout + r.stderr[-2000:]
    r = subprocess.run([*base, "-o", "flux=hmk"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "1 analyses run, 0 reused" in r.stdout, r.stdout + r.stderr[-2000:]

    a = config.load(next(p for p in config.shipped() if p.stem == "mu_dresden2_fef_es"))
    fp = input_fingerprint(a, True)
    assert input_fingerprint(a, False) != fp
    monkeypatch.setattr(cevnsfit, "__version__", cevnsfit.__version__ + "+changed")
    assert input_fingerprint(a, True) != fp
    monkeypatch.undo()
    real = cache.data_fingerprint
    monkeypatch.setattr(cache, "data_fingerprint", lambda sets=None: "0" + real(sets)[1:])
    assert input_fingerprint(a, True) != fp
