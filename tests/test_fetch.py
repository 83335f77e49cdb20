"""`cevnsfit data fetch` against a real HTTP server on 127.0.0.1.

The server serves a copy of the data releases laid out like their origins: every registered URL
``https://HOST/PATH`` is a file ``HOST/PATH`` under the server's root (the arXiv ancillary folder,
the Zenodo records, the pinned GitHub copies, the XENONnT repository archive), and the fetch is
pointed at it with the mirror option (``CEVNSFIT_MIRROR``), exactly as a user's institutional
mirror would be.
"""

from __future__ import annotations

import copy
import hashlib
import io
import os
import shutil
import socket
import tarfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from cevnsfit import data, fetch
from cevnsfit.cli import app

runner = CliRunner()
SMALL = ["coherent_csi_2021", "dresden2_2022", "ge_quenching", "reactor_spectra"]


def url_path(url: str) -> str:
    """Where the server keeps the file of ``url``: HOST/PATH (query dropped, unquoted)."""
    return unquote(url.split("://", 1)[1].split("?", 1)[0])


class Handler(SimpleHTTPRequestHandler):
    """Static files; counts GETs; ``break_once`` paths send half their bytes and drop the
    connection the first time they are asked for."""

    gets: ClassVar[list[str]] = []
    break_once: ClassVar[set[str]] = set()

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        path = unquote(self.path.split("?", 1)[0])
        type(self).gets.append(path)
        if path in self.break_once:
            self.break_once.discard(path)
            body = Path(self.translate_path(self.path)).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "server"
    root.mkdir()
    handler = type("H", (Handler,), {"gets": [], "break_once": set()})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def publish(root: Path, sets, only=None, archive_members=None) -> None:
    """Lay the registered files of ``sets`` out under ``root`` like their origins."""
    src = data.data_dir()
    for s in sets:
        meta = data.sets()[s]
        for name, entry in meta["files"].items():
            if only is not None and name not in only:
                continue
            for url in entry["urls"]:
                p = root / url_path(url)
                p.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src / name, p)
        for arch in meta.get("archives", []):
            members = [
                n
                for n in meta["files"]
                if n.startswith(arch["into"]) and (archive_members is None or n in archive_members)
            ]
            p = root / url_path(arch["url"])
            p.parent.mkdir(parents=True, exist_ok=True)
            top = Path(arch["url"]).name.removesuffix(".tar.gz")
            with tarfile.open(p, "w:gz", compresslevel=1) as tar:
                for n in members:
                    tar.add(src / n, arcname=f"repo-{top}/{n[len(arch['into']) :]}")


def leftovers(dest: Path) -> list[Path]:
    """Files in ``dest`` that are not registered data files (partial or temporary downloads)."""
    reg = data.registry()
    return [p for p in dest.rglob("*") if p.is_file() and p.relative_to(dest).as_posix() not in reg]


def test_registry_urls_point_at_the_origins():
    """The URLs are the official origins where known, then pinned public copies (fixed commits)."""
    reg = data.registry()
    assert data.sets()["coherent_csi_2021"]["files"]["coherent_csi_2021/brnPE.txt"]["urls"] == [
        "https://arxiv.org/src/2110.07730v2/anc/brnPE.txt",
        "https://raw.githubusercontent.com/philippeller/Newtrinos.jl/653141ba6e05dd920fd0a795eb82e3de626076ce/"
        "src/experiments/coherent/coherent_2020/csi/brnPE.txt",
    ]
    ar = data.sets()["coherent_ar_2020"]["files"]["coherent_ar_2020/SystErrors/brnpdf+1sigEnergy.txt"]["urls"]
    assert ar[0] == "https://zenodo.org/records/3903810/files/brnpdf%2B1sigEnergy.txt?download=1"
    xe = data.sets()["xenonnt_8b"]["files"]["xenonnt_8b/cevns_data_release/data/sr0.csv"]["urls"]
    assert xe == [
        "https://raw.githubusercontent.com/XENONnT/cevns_data_release/"
        "60d230dd7a5646fd4aa2368c5fdfba575ee0cb88/data/sr0.csv"
    ]
    for name, e in reg.items():
        for u in data.sets()[e["set"]]["files"][name]["urls"]:
            assert u.startswith("https://"), (name, u)
            if "raw.githubusercontent.com" in u:  # pinned to a full commit hash
                assert len(u.split("/")[5]) == 40, u
    # files with no URL: their set explains how to obtain them
    for s, meta in data.sets().items():
        if any(not e["urls"] and "content" not in e for e in meta["files"].values()):
            assert "data install" in meta["unavailable"], s
    assert all(not e["urls"] for e in data.sets()["coherent_csi_2021_snsflux"]["files"].values())


def test_url_rules_give_each_file_its_mirror_url():
    """The XENONnT 8B registry writes its ~7000 URLs as two rules; expanded, each file gets the
    pinned repository path below its prefix, percent-encoded, and a file listed explicitly (the
    light-WIMP README, at the repository root) keeps its own URL."""
    files = data.sets()["xenonnt_8b"]["files"]
    lw = "xenonnt_8b/light_wimp_data_release/README.md"
    assert files[lw]["urls"] == [
        "https://raw.githubusercontent.com/XENONnT/light_wimp_data_release/"
        "a09cd8fd77570dc2095f65f094fbcc114b634dfc/README.md"
    ]
    others = [n for n in files if n.startswith("xenonnt_8b/light_wimp_data_release/") and n != lw]
    assert others and all(
        files[n]["urls"]
        == [
            "https://raw.githubusercontent.com/XENONnT/light_wimp_data_release/"
            "a09cd8fd77570dc2095f65f094fbcc114b634dfc/light_wimp_data_release/" + n.split("/", 2)[2]
        ]
        for n in others
    )
    meta = data._expand_urls(
        {"url_rules": [{"files": "s/a/", "url": "https://x/"}], "files": {"s/a/b c+d.h5": {}, "s/z.txt": {}}}
    )
    assert meta["files"]["s/a/b c+d.h5"]["urls"] == ["https://x/b%20c%2Bd.h5"]
    assert meta["files"]["s/z.txt"]["urls"] == []
    # kept small enough to ship (the per-file URLs made it 2.8 MB)
    assert max(p.stat().st_size for p in data._registry_files().values()) < 2_000_000


def test_fetch_small_sets_verifies_and_second_fetch_downloads_nothing(server, tmp_path, data_available):
    root, url, handler = server
    publish(root, SMALL)
    dest = tmp_path / "data"
    r = runner.invoke(app, ["data", "fetch", *SMALL, "--dest", str(dest), "--mirror", url, "--no-progress"])
    assert r.exit_code == 0, r.output
    statuses = data.verify(dest, SMALL)
    assert statuses and all(s.ok for s in statuses)
    # the two hand-transcribed coefficient tables are written from the registry, not downloaded
    assert "2 written from the registry" in r.output
    assert not leftovers(dest)
    n_get = len(handler.gets)
    assert n_get == sum(1 for s in SMALL for e in data.sets()[s]["files"].values() if e["urls"])
    r = runner.invoke(app, ["data", "fetch", *SMALL, "--dest", str(dest), "--mirror", url, "--no-progress"])
    assert r.exit_code == 0, r.output
    assert len(handler.gets) == n_get and "0 file(s) downloaded" in r.output


def test_experiment_names_fetch_their_releases(server, tmp_path, data_available):
    root, url, _ = server
    publish(root, ["dresden2_2022", "ge_quenching", "reactor_spectra"])
    dest = tmp_path / "data"
    rep = fetch.fetch(["dresden2_2022", "ge_quenching", "reactor_spectra"], dest=dest, mirror=url, progress=False)
    assert rep.ok
    r = runner.invoke(app, ["data", "fetch", "dresden2", "--dest", str(dest), "--mirror", url, "--no-progress"])
    assert r.exit_code == 0 and "0 file(s) downloaded" in r.output
    r = runner.invoke(app, ["data", "fetch", "nosuchset", "--dest", str(dest), "--mirror", url])
    assert r.exit_code == 2 and "unknown data set 'nosuchset'" in r.output


def test_official_origin_first_then_pinned_copy(server, tmp_path, data_available):
    """A file missing at the official origin is taken from the pinned public copy."""
    root, url, handler = server
    publish(root, ["coherent_csi_2021"])
    official = root / "arxiv.org/src/2110.07730v2/anc/brnPE.txt"
    official.unlink()
    rep = fetch.fetch(["coherent_csi_2021"], dest=tmp_path / "d", mirror=url, progress=False)
    assert rep.ok and "coherent_csi_2021/brnPE.txt" in rep.downloaded
    assert "/arxiv.org/src/2110.07730v2/anc/brnPE.txt" in handler.gets  # tried first
    assert data.check("coherent_csi_2021/brnPE.txt", tmp_path / "d").ok


def test_corrupted_file_on_server_is_refused_by_name(server, tmp_path, data_available):
    root, url, _ = server
    publish(root, ["dresden2_2022", "ge_quenching"])
    (u,) = data.sets()["dresden2_2022"]["files"]["dresden2_2022/data_release.txt"]["urls"]
    bad = root / url_path(u)
    bad.write_bytes(bad.read_bytes().replace(b"0.", b"1.", 1))
    dest = tmp_path / "data"
    r = runner.invoke(
        app,
        [
            "data",
            "fetch",
            "dresden2_2022",
            "ge_quenching",
            "--dest",
            str(dest),
            "--mirror",
            url,
            "--no-progress",
            "--retries",
            "0",
        ],
    )
    assert r.exit_code == 1
    line = next(ln for ln in r.output.splitlines() if "data_release.txt" in ln and ln.startswith("error"))
    assert "checksum differs" in line and u.split("://")[1] in line and "data install" in line
    assert not (dest / "dresden2_2022" / "data_release.txt").exists()  # refused, nothing left
    assert data.check("ge_quenching/QF_Fef_YBe.txt", dest).ok  # the others are fetched
    assert not leftovers(dest)


def test_interrupted_download_is_retried_and_leaves_no_partial_file(server, tmp_path, data_available):
    root, url, handler = server
    publish(root, ["coherent_csi_2021"])
    # break the pinned copy of the largest file once (the official one is gone: only one source)
    name = "coherent_csi_2021/dataBeamOnC.txt"
    (u,) = data.sets()["coherent_csi_2021"]["files"][name]["urls"]
    handler.break_once.add("/" + url_path(u))
    dest = tmp_path / "data"
    rep = fetch.fetch(["coherent_csi_2021"], dest=dest, mirror=url, progress=False, retries=1)
    assert rep.ok, [f.message(dest) for f in rep.failed]
    assert handler.gets.count("/" + url_path(u)) == 2  # restarted once
    assert data.check(name, dest).ok and not leftovers(dest)


def test_interrupted_download_without_retry_fails_cleanly_then_resumes(server, tmp_path, data_available):
    root, url, handler = server
    publish(root, ["coherent_csi_2021"])
    name = "coherent_csi_2021/dataBeamOnAC.txt"
    (u,) = data.sets()["coherent_csi_2021"]["files"][name]["urls"]
    handler.break_once.add("/" + url_path(u))
    dest = tmp_path / "data"
    rep = fetch.fetch(["coherent_csi_2021"], dest=dest, mirror=url, progress=False, retries=0)
    assert [f.name for f in rep.failed] == [name]
    assert "interrupted" in rep.failed[0].message(dest)
    assert not (dest / name).exists() and not leftovers(dest)  # no half file in place
    n_before = len(handler.gets)
    rep = fetch.fetch(["coherent_csi_2021"], dest=dest, mirror=url, progress=False, retries=0)
    assert rep.ok and rep.downloaded == [name]  # only the missing file
    assert len(handler.gets) == n_before + 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_fetch_names_file_url_and_remedy(tmp_path):
    dest = tmp_path / "data"
    url = f"http://127.0.0.1:{_closed_port()}"
    r = runner.invoke(
        app, ["data", "fetch", "dresden2_2022", "--dest", str(dest), "--mirror", url, "--no-progress", "--retries", "0"]
    )
    assert r.exit_code == 1
    err = [ln for ln in r.output.splitlines() if ln.startswith("error")]
    assert len(err) == 1
    assert "dresden2_2022/data_release.txt" in err[0] and url in err[0]
    assert "server unreachable" in err[0] and "data install" in err[0]
    assert not dest.exists() or not leftovers(dest)


def test_offline_with_complete_data_needs_no_network(tmp_path, data_available):
    dest = tmp_path / "data"
    for s in SMALL:
        for name in data.sets()[s]["files"]:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(data.data_dir() / name, dest / name)
    url = f"http://127.0.0.1:{_closed_port()}"
    rep = fetch.fetch(SMALL, dest=dest, mirror=url, progress=False, retries=0)
    assert rep.ok and not rep.downloaded and len(rep.present) == sum(len(data.sets()[s]["files"]) for s in SMALL)


def test_altered_local_file_is_replaced(server, tmp_path, data_available):
    root, url, _ = server
    publish(root, ["ge_quenching"])
    dest = tmp_path / "data"
    assert fetch.fetch(["ge_quenching"], dest=dest, mirror=url, progress=False).ok
    f = dest / "ge_quenching" / "QF_Fef_YBe.txt"
    f.write_text(f.read_text() + "\n")
    rep = fetch.fetch(["ge_quenching"], dest=dest, mirror=url, progress=False)
    assert (
        rep.ok
        and rep.downloaded == ["ge_quenching/QF_Fef_YBe.txt"]
        and data.check(f.relative_to(dest).as_posix(), dest).ok
    )


def test_files_without_url_are_reported_with_how_to_obtain_them(server, tmp_path, monkeypatch, data_available):
    """A registered file with no public URL is named with its set's explanation of how to obtain it,
    and the exit code says the data are incomplete (no registered file is like that at present: a
    release whose file lost its URL stands in for one)."""
    root, url, _ = server
    publish(root, ["coherent_csi_2017"])
    meta = copy.deepcopy(data.sets()["coherent_csi_2017"])
    lost = sorted(meta["files"])[:2]
    for name in lost:
        meta["files"][name]["urls"] = []
    meta["unavailable"] = "Ask the authors for them and run 'cevnsfit data install DIR'."
    sets = {**data.sets(), "coherent_csi_2017": meta}
    monkeypatch.setattr(data, "sets", lambda: sets)
    dest = tmp_path / "d"
    r = runner.invoke(
        app, ["data", "fetch", "coherent_csi_2017", "--dest", str(dest), "--mirror", url, "--no-progress"]
    )
    assert r.exit_code == 1
    line = next(ln for ln in r.output.splitlines() if ln.startswith("not downloadable"))
    assert all(n in line for n in lost) and "Ask the authors" in line and "data install" in line
    assert "error" not in r.output  # every file with a source came
    assert sorted(s.name for s in data.verify(dest, ["coherent_csi_2017"]) if not s.ok) == lost


def test_every_registered_file_has_a_public_source():
    """A user with internet access and nothing else gets every release: each registered file has a
    URL, is written from the registry or is derived from public files at fetch time."""
    for s, meta in data.sets().items():
        derived = meta.get("derive", {}).get("headers", {})
        lacking = [n for n, e in meta["files"].items() if not e["urls"] and "content" not in e and n not in derived]
        assert not lacking, (s, lacking[:3])


@pytest.mark.parametrize(
    "name, cases",
    [
        pytest.param("xenonnt_er", [{}, {"zeff": "rrpa", "ssm": "agss09", "nufit": "5.2"}], id="xenonnt_er"),
        pytest.param(
            "xenonnt_8b", [{}, {"b8_spectrum": "bahcall", "nufit": "6.1"}], id="xenonnt_8b", marks=pytest.mark.slow
        ),  # a fresh process reads the 7000 files of the 8B release
    ],
)
def test_xenonnt_data_sets_load_from_the_fetched_solar_release(server, tmp_path, data_available, name, cases):
    """'data fetch solar' brings the whole solar release (exit 0), and with it beside the other
    releases the XENONnT data sets give the same predictions as with the curated data directory
    (fresh process, no template cache: everything is read from the fetched files)."""
    import json
    import subprocess
    import sys

    import numpy as np

    from cevnsfit import experiments
    from cevnsfit.physics.parameters import Params

    root, url, _ = server
    publish(root, ["solar"])
    dest = tmp_path / "data"
    r = runner.invoke(app, ["data", "fetch", "solar", "--dest", str(dest), "--mirror", url, "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "not downloadable" not in r.output
    assert all(s.ok for s in data.verify(dest, ["solar"]))
    assert sorted(p.relative_to(dest).as_posix() for p in (dest / "solar").rglob("*") if p.is_file()) == sorted(
        data.sets()["solar"]["files"]
    )
    for folder in {n.split("/")[0] for n in data.registry()} - {"solar"}:
        (dest / folder).symlink_to(data.data_dir() / folder, target_is_directory=True)
    params = {"mu_nu": 3.0, "r2_ee": 5.0}
    code = (
        "import json, sys\n"
        "from cevnsfit import experiments\n"
        "from cevnsfit.physics.parameters import Params\n"
        "name, cases, params = json.loads(sys.argv[1])\n"
        "ps = (Params(), Params(**params))\n"
        "print(json.dumps([[experiments.load(name, **o).expected(p).tolist() for p in ps] for o in cases]))\n"
    )
    env = {
        **os.environ,
        "CEVNSFIT_DATA": str(dest),
        "CEVNSFIT_CACHE": "off",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"),
    }
    run = subprocess.run(
        [sys.executable, "-c", code, json.dumps([name, cases, params])],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    for opts, got in zip(cases, json.loads(run.stdout), strict=True):
        ds = experiments.load(name, **opts)
        for p, g in zip((Params(), Params(**params)), got, strict=True):
            np.testing.assert_allclose(g, ds.expected(p), rtol=1e-12, atol=0, err_msg=f"{name} {opts} {p}")


SNSFLUX = "coherent_csi_2021_snsflux"
FLAV = (("nu_e", "nuE"), ("nu_mu", "nuMu"), ("anti_nu_mu", "nuMuBar"), ("anti_nu_e", "nuEBar"))


def _table(name: str):
    import numpy as np

    path = data.data_dir() / f"coherent_csi_2021/snsflux/{name}"
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("#")]
    cols = lines[0].split(",")
    arr = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]])
    return {c: arr[:, i] for i, c in enumerate(cols)}


def publish_snsflux_inputs(root: Path, monkeypatch, tamper=None) -> None:
    """Serve stand-ins for the two public flux files the SNS flux tables are derived from (the
    real ones are not part of the data directory): .npy dicts of arrays built from the registered
    tables, with the same structure; their SHA-256 is put in the registry for this test."""
    import numpy as np

    e = _table("snsflux_energy_1MeV_nu_per_POT.csv")
    t = _table("snsflux_time_10ns_fraction.csv")
    two = _table("snsflux_2d_125ns_1MeV_nu_per_POT.csv")
    t_edges = np.append(t["t_lo_ns"], t["t_hi_ns"][-1])
    labels = np.unique(two["E_label_MeV"])
    t2 = np.append(np.unique(two["t_lo_ns"]), two["t_hi_ns"].max())
    one = {k: {"energy": (e["E_label_MeV"], e[c]), "time": (t_edges, t[c])} for c, k in FLAV}
    twod = {k: ((t2, labels), two[c].reshape(len(t2) - 1, len(labels))) for c, k in FLAV}
    if tamper is not None:
        tamper(one)
    recipe = data.sets()[SNSFLUX]["derive"]
    for key, obj in (("1d", one), ("2d", twod)):
        buf = io.BytesIO()
        np.save(buf, np.array(obj, dtype=object), allow_pickle=True)
        blob = buf.getvalue()
        spec = recipe["inputs"][key]
        p = root / url_path(spec["url"])
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(blob)
        monkeypatch.setitem(
            recipe["inputs"], key, {**spec, "sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob)}
        )


def test_snsflux_tables_are_derived_from_public_files(server, tmp_path, monkeypatch, data_available):
    """The CsI SNS flux tables have no URL of their own: fetch derives them from the public flux
    files and keeps them only if they are byte for byte the registered tables."""
    root, url, handler = server
    publish_snsflux_inputs(root, monkeypatch)
    dest = tmp_path / "data"
    r = runner.invoke(app, ["data", "fetch", SNSFLUX, "--dest", str(dest), "--mirror", url, "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "3 derived from public files" in r.output
    assert all(s.ok for s in data.verify(dest, [SNSFLUX])) and not leftovers(dest)
    assert sorted(g.rsplit("/", 3)[-3] for g in handler.gets) == sorted(
        u["url"].split("/")[5] for u in data.sets()[SNSFLUX]["derive"]["inputs"].values()
    )


def test_snsflux_input_with_other_objects_is_refused(server, tmp_path, monkeypatch, data_available):
    """A flux file that would build anything but arrays is refused (never unpickled), by name."""
    import datetime

    root, url, _ = server
    publish_snsflux_inputs(root, monkeypatch, tamper=lambda one: one.update(when=datetime.date(2024, 1, 1)))
    dest = tmp_path / "data"
    rep = fetch.fetch([SNSFLUX], dest=dest, mirror=url, progress=False)
    assert sorted(f.name for f in rep.failed) == sorted(data.sets()[SNSFLUX]["files"])
    assert "refusing to build datetime.date" in rep.failed[0].message(dest)
    assert not any((dest / n).exists() for n in data.sets()[SNSFLUX]["files"]) and not leftovers(dest)


def test_snsflux_derivation_differing_from_the_registry_is_refused(server, tmp_path, monkeypatch, data_available):
    def shift(one):
        one["nuE"]["energy"][1][3] *= 1.0000001

    root, url, _ = server
    publish_snsflux_inputs(root, monkeypatch, tamper=shift)
    dest = tmp_path / "data"
    rep = fetch.fetch([SNSFLUX], dest=dest, mirror=url, progress=False)
    assert [f.name for f in rep.failed] == ["coherent_csi_2021/snsflux/snsflux_energy_1MeV_nu_per_POT.csv"]
    assert "differs from the registered one" in rep.failed[0].message(dest)
    assert not (dest / rep.failed[0].name).exists()
    assert len(rep.derived) == 2


def test_archive_members_are_unpacked_and_verified(server, tmp_path, data_available):
    """The XENONnT release comes as one archive of the official repository; only registered members
    are unpacked, each verified (a corrupted member is refused and fetched singly instead)."""
    root, url, handler = server
    files = data.sets()["xenonnt_8b"]["files"]
    subset = [n for n in files if n.startswith("xenonnt_8b/cevns_data_release/") and "/mono/" not in n][:40]
    subset += [n for n in files if "/mono/" in n][:20]
    publish(root, ["xenonnt_8b"], only=set(subset), archive_members=set(subset))
    # corrupt one member inside the archive only (its single-file URL stays good)
    victim = subset[3]
    (arch,) = data.sets()["xenonnt_8b"]["archives"]
    apath = root / url_path(arch["url"])
    work = tmp_path / "unpacked"
    with tarfile.open(apath) as tar:
        tar.extractall(work, filter="data")
    top = next(work.iterdir())
    member = top / victim[len(arch["into"]) :]
    member.write_bytes(member.read_bytes() + b"x")
    with tarfile.open(apath, "w:gz", compresslevel=1) as tar:
        tar.add(top, arcname=top.name)
    dest = tmp_path / "data"
    rep = fetch.fetch(["xenonnt_8b"], dest=dest, mirror=url, progress=False, only=subset, archive_min=10)
    assert rep.ok, [f.message(dest) for f in rep.failed]
    assert sorted(rep.downloaded) == sorted(subset)
    singles = [g for g in handler.gets if not g.endswith(".tar.gz")]
    assert len(singles) == 1 and singles[0].endswith(victim.split("/")[-1])
    assert all(data.check(n, dest).ok for n in subset) and not leftovers(dest)


def test_user_data_directory_is_the_default_target(server, tmp_path, monkeypatch, data_available):
    root, url, _ = server
    publish(root, ["ge_quenching"])
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv(fetch.MIRROR_ENV, url)
    r = runner.invoke(app, ["data", "fetch", "ge_quenching", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert data.check("ge_quenching/QF_Fef_YBe.txt", tmp_path / "xdg" / "cevnsfit" / "data").ok
    assert os.environ.get(data.ENV_VAR) is None


@pytest.mark.slow
def test_full_fetch_of_every_release_verifies(server, tmp_path, monkeypatch, data_available):
    """Every release (81 MB, ~7100 files; the XENONnT one through its repository archive)."""
    root, url, handler = server
    publish(root, list(data.sets()))
    publish_snsflux_inputs(root, monkeypatch)
    dest = tmp_path / "data"
    rep = fetch.fetch(None, dest=dest, mirror=url, progress=False)
    assert not rep.failed
    lacking = {
        n
        for n, e in data.registry().items()
        if not data.sets()[e["set"]]["files"][n]["urls"]
        and "content" not in data.sets()[e["set"]]["files"][n]
        and n not in data.sets()[e["set"]].get("derive", {}).get("headers", {})
    }
    assert len(rep.derived) == 3
    assert {n for names in rep.unavailable.values() for n in names} == lacking
    ok = [s for s in data.verify(dest) if s.ok]
    assert len(ok) == len(data.registry()) - len(lacking)
    assert sum(g.endswith(".tar.gz") for g in handler.gets) == 1
    assert hashlib.sha256(b"").hexdigest() not in {data.registry()[s.name]["sha256"] for s in ok}


def test_a_file_downloaded_by_hand_is_installed_alone(tmp_path, data_available):
    """The remedy the errors name: download by hand, then 'cevnsfit data install DIR'."""
    hand = tmp_path / "by_hand" / "dresden2_2022"
    hand.mkdir(parents=True)
    shutil.copyfile(data.data_dir() / "dresden2_2022" / "data_release.txt", hand / "data_release.txt")
    dest = tmp_path / "data"
    r = runner.invoke(app, ["data", "install", str(tmp_path / "by_hand"), "--dest", str(dest)])
    assert r.exit_code == 0, r.output
    assert "installed and verified 1 files" in r.output and "still missing" in r.output
    assert data.check("dresden2_2022/data_release.txt", dest).ok
    (hand / "data_release.txt").write_text("0 0 0\n")
    r = runner.invoke(app, ["data", "install", str(tmp_path / "by_hand"), "--dest", str(dest)])
    assert r.exit_code == 1 and "data_release.txt (altered)" in r.output
