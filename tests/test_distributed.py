"""Chunked, parallel profiled grid scans (inference.distributed): the same numbers on every
back-end, resumable output directories, input validation, and agreement with the 1D limit."""

import json

import numpy as np
import pytest

from cevnsfit.inference.analysis import Setup, limit
from cevnsfit.inference.distributed import GridResult, GridSpec, grid_scan

SETUP = Setup(("dresden2",), transitions=True)
R2_EE = tuple(np.linspace(-80.0, 40.0, 6))
R2_EMU = tuple(np.linspace(0.0, 30.0, 5))


@pytest.fixture(scope="module")
def spec(data_available):
    return GridSpec(SETUP, ("r2_ee", "r2_emu"), (R2_EE, R2_EMU))


@pytest.fixture(scope="module")
def reference(spec):
    return grid_scan(spec, backend="serial", chunk_size=7)


def assert_same(a: GridResult, b: GridResult):
    assert np.array_equal(a.chi2, b.chi2), np.max(np.abs(a.chi2 - b.chi2))
    assert np.array_equal(a.converged, b.converged)
    assert a.best.chi2 == b.best.chi2
    assert a.global_fit.values == b.global_fit.values


def test_spec_defaults(spec):
    assert spec.params == ("r2_ee", "r2_emu")
    assert spec.profiled == ("r2_etau",)
    assert spec.shape == (6, 5) and spec.size == 30
    assert spec.poi == ("r2_ee", "r2_emu", "r2_etau")
    assert all(isinstance(v, float) for a in spec.axes for v in a)
    # numpy input, from_axes and from_ranges describe the same scan
    assert GridSpec.from_axes(SETUP, {"r2_ee": np.array(R2_EE), "r2_emu": list(R2_EMU)}) == spec
    ranged = GridSpec.from_ranges(SETUP, {"r2_ee": (-80, 40, 6), "r2_emu": (0, 30, 5)})
    assert ranged == spec and ranged.fingerprint() == spec.fingerprint()
    assert GridSpec(SETUP, ("r2_ee", "r2_emu"), (R2_EE, R2_EMU[:-1])).fingerprint() != spec.fingerprint()


def test_reference_scan(reference, spec):
    r = reference
    assert r.chi2.shape == spec.shape and r.converged.shape == spec.shape
    assert np.all(np.isfinite(r.chi2)) and r.converged.all()
    assert r.stats["chunks_computed"] == 5 and r.stats["points_computed"] == 30
    # best: the lower of the global fit and the lowest grid point
    assert r.best.chi2 <= r.global_fit.chi2
    assert r.best.chi2 <= r.chi2.min() + 1e-9
    assert r.delta_chi2.min() >= -1e-9
    # the SM-like branch near r2_ee ~ 0 and the flipped-amplitude branch near -55 are both allowed
    # at 90 % CL
    assert r.delta_chi2[R2_EE.index(-56.0), 0] < 2.71 and r.delta_chi2[R2_EE.index(-8.0), 0] < 2.71
    assert r.delta_chi2[0, 0] > 20.0 and r.delta_chi2[-1, 0] > 100.0


def test_processes_identical(spec, reference):
    r = grid_scan(spec, backend="processes", n_workers=2, chunk_size=4)
    assert_same(r, reference)
    assert r.stats["n_chunks"] == 8


def test_dask_local_cluster_identical(spec, reference):
    r = grid_scan(spec, backend="dask", n_workers=2, chunk_size=5)
    assert_same(r, reference)


def test_dask_scheduler_address_identical(spec, reference):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, processes=True, host="127.0.0.1", dashboard_address=None) as cluster:
        addr = cluster.scheduler_address
        assert addr.startswith("tcp://127.0.0.1:")
        r = grid_scan(spec, backend="dask", scheduler=addr, chunk_size=11)
    assert_same(r, reference)
    assert r.stats["scheduler"] == addr


def test_resume(reference, tmp_path):
    # a sub-grid (first 3 rows): every point is computed from the same start, so its values are
    # bitwise those of the full grid
    spec = GridSpec(SETUP, ("r2_ee", "r2_emu"), (R2_EE[:3], R2_EMU))
    expected = reference.chi2[:3]
    out = tmp_path / "scan"
    calls = []
    r1 = grid_scan(spec, backend="serial", chunk_size=4, out_dir=out, progress=calls.append)
    assert np.array_equal(r1.chi2, expected)
    assert calls == [0, 4, 8, 12, 15]
    files = sorted(p.name for p in out.iterdir())
    assert files == ["chunk_0.npz", "chunk_1.npz", "chunk_2.npz", "chunk_3.npz", "spec.json"]
    head = json.loads((out / "spec.json").read_text())
    assert head["fingerprint"] == spec.fingerprint() and head["chunk_size"] == 4
    with np.load(out / "chunk_1.npz") as z:
        assert z["indices"].tolist() == [4, 5, 6, 7]
        assert np.array_equal(z["chi2"], expected.ravel()[4:8])

    mtimes = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    (out / "chunk_1.npz").unlink()
    calls.clear()
    r2 = grid_scan(spec, backend="serial", chunk_size=4, out_dir=out, progress=calls.append)
    assert_same(r2, r1)
    assert calls == [11, 15]  # only chunk 1 (4 points) was computed
    assert r2.stats["chunks_computed"] == 1 and r2.stats["chunks_reused"] == 3
    for name, t in mtimes.items():
        if name != "chunk_1.npz":
            assert (out / name).stat().st_mtime_ns == t, name
    assert (out / "chunk_1.npz").exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]

    # a complete directory computes nothing; a damaged chunk file is recomputed
    calls.clear()
    r3 = grid_scan(spec, backend="serial", chunk_size=4, out_dir=out, progress=calls.append)
    assert_same(r3, r1)
    assert calls == [15] and r3.stats["chunks_computed"] == 0
    (out / "chunk_3.npz").write_bytes(b"not a zip file")
    r4 = grid_scan(spec, backend="serial", chunk_size=4, out_dir=out)
    assert_same(r4, r1)
    assert r4.stats["chunks_computed"] == 1

    with pytest.raises(ValueError, match="different scan"):
        grid_scan(reference.spec, backend="serial", out_dir=out, chunk_size=4)
    with pytest.raises(ValueError, match="chunk_size=4"):
        grid_scan(spec, backend="serial", out_dir=out, chunk_size=8)


def test_out_dir_guards(spec, tmp_path):
    (tmp_path / "chunk_0.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="no spec.json"):
        grid_scan(spec, backend="serial", out_dir=tmp_path)
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        grid_scan(spec, backend="serial", out_dir=f)


def test_save_load_roundtrip(reference, tmp_path):
    path = reference.save(tmp_path / "grid.json")
    back = GridResult.load(path)
    assert_same(back, reference)
    assert back.spec == reference.spec
    d = json.loads(path.read_text())
    assert d["params"] == ["r2_ee", "r2_emu"] and d["profiled"] == ["r2_etau"]
    assert np.allclose(np.array(d["delta_chi2"]), reference.delta_chi2)
    assert d["chi2_min"] == reference.best.chi2 and d["options"]["transitions"] is True


def test_projections(reference):
    p = reference.project("r2_ee")
    assert p.shape == (6,) and np.array_equal(p, reference.delta_chi2.min(axis=1))
    assert np.array_equal(reference.project("r2_emu", "r2_ee"), reference.delta_chi2.T)
    iv = reference.intervals_1d("r2_ee", 0.9)
    assert len(iv) >= 1 and all(a < b for a, b in iv)
    with pytest.raises(ValueError, match="not a scanned parameter; scanned: r2_ee, r2_emu"):
        reference.intervals_1d("r2_etau", 0.9)
    with pytest.raises(ValueError, match="confidence level"):
        reference.intervals_1d("r2_ee", 1.5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(params=("r2_foo", "r2_emu")), r"unknown parameter\(s\) \['r2_foo'\]; allowed: sin2w, .*r2_ee"),
        (dict(params=("r2_ee", "r2_ee")), r"scanned twice"),
        (dict(axes=((), R2_EMU)), r"grid of r2_ee is empty"),
        (dict(axes=((0.0, float("nan")), R2_EMU)), r"grid of r2_ee holds non-finite"),
        (dict(axes=((0.0, float("inf")), R2_EMU)), r"non-finite"),
        (dict(axes=((1.0, 0.0), R2_EMU)), r"strictly increasing"),
        (dict(axes=(R2_EE, (-1.0, 2.0))), r"r2_emu enters only through its modulus"),
        (dict(axes=(R2_EE,)), r"2 parameter\(s\) .* but 1 grid"),
        (dict(axes=(R2_EE, ("a", "b"))), r"must be numbers"),
        (dict(params=("r2_ee", "r2_mumu")), r"r2_mumu is not measured"),
        (dict(profiled=("r2_emu",)), r"both scanned and profiled"),
        (dict(profiled=("r2_xx",)), r"unknown profiled parameter"),
        (dict(profiled=("r2_mumu",)), r"not measured"),
        (dict(params=()), r"no parameter to scan"),
    ],
)
def test_bad_spec(data_available, kwargs, match):
    args = dict(setup=SETUP, params=("r2_ee", "r2_emu"), axes=(R2_EE, R2_EMU))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        GridSpec(**args)


def test_bad_run_options(spec):
    with pytest.raises(ValueError, match=r"unknown backend 'mpi'; allowed: serial, processes, dask"):
        grid_scan(spec, backend="mpi")
    with pytest.raises(ValueError, match=r"scheduler= needs backend='dask'"):
        grid_scan(spec, scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(ValueError, match=r"chunk_size must be a positive integer"):
        grid_scan(spec, backend="serial", chunk_size=0)
    with pytest.raises(ValueError, match=r"n_workers must be a positive integer"):
        grid_scan(spec, n_workers=0)
    with pytest.raises(ValueError, match=r"progress must be a callable"):
        grid_scan(spec, backend="serial", progress=5)
    with pytest.raises(ValueError, match=r"must be \(low, high, n_points\)"):
        GridSpec.from_ranges(SETUP, {"r2_ee": (0, 1)})
    with pytest.raises(ValueError, match=r"high > low"):
        GridSpec.from_ranges(SETUP, {"r2_ee": (1, 0, 5)})


@pytest.mark.slow
def test_intervals_match_limit(data_available):
    """The 1D projection of a grid equals the 1D profiled limit within the grid resolution."""
    grid = np.linspace(-75.0, 20.0, 20)  # 5-unit spacing
    spec1 = GridSpec(SETUP, ("r2_ee",), (grid,))
    assert spec1.profiled == ("r2_emu", "r2_etau")
    r = grid_scan(spec1, backend="serial")
    ours = r.intervals_1d("r2_ee", 0.9)
    # the limit's crossings are refined by bisection: exact whatever its own grid
    ref = limit(SETUP, "r2_ee", 0.9, n_points=12, scan_range=(-75.0, 20.0))["intervals"]
    assert len(ours) == len(ref) >= 1
    step = grid[1] - grid[0]
    for (a, b), (c, d) in zip(ours, ref, strict=True):
        assert abs(a - c) < step and abs(b - d) < step, (ours, ref)


def test_failed_point_recorded(data_available, monkeypatch):
    """A numerical failure at one point gives NaN there (not converged) and a warning, not a crash."""
    from cevnsfit.inference import distributed

    real = distributed._profile_point

    def bad(fixed):
        return fixed["r2_ee"] == -8.0 and fixed["r2_emu"] == 0.0

    def flaky(spec, fixed, warm):
        if bad(fixed):
            raise np.linalg.LinAlgError("SVD did not converge")
        return real(spec, fixed, warm)

    def flaky_batch(spec, fixed_list, warm):  # the batch of a block fails as a whole ...
        if any(bad(f) for f in fixed_list):
            raise np.linalg.LinAlgError("SVD did not converge")
        return real_batch(spec, fixed_list, warm)

    real_batch = distributed._profile_points
    monkeypatch.setattr(distributed, "_profile_point", flaky)  # ... and its points are redone one by one
    monkeypatch.setattr(distributed, "_profile_points", flaky_batch)
    spec = GridSpec(SETUP, ("r2_ee", "r2_emu"), ((-8.0,), (0.0, 7.5)))
    with pytest.warns(RuntimeWarning, match=r"failed at 1 grid point.*SVD did not converge"):
        r = grid_scan(spec, backend="serial")
    assert np.isnan(r.chi2[0, 0]) and not r.converged[0, 0]
    assert np.isfinite(r.chi2[0, 1]) and r.converged[0, 1] and r.stats["points_failed"] == 1
    assert np.isfinite(r.project("r2_ee")).all()
