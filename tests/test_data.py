"""The data registry: every file verified, corruption and absence detected with a clear message."""

import shutil

import pytest
from typer.testing import CliRunner

from cevnsfit import data
from cevnsfit.cli import app

runner = CliRunner()


def test_all_registered_files_verify(data_available):
    statuses = data.verify()
    assert len(statuses) == len(data.registry()) > 40
    assert all(s.ok for s in statuses)


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    src = data.data_dir()
    dst = tmp_path / "data"
    shutil.copytree(src, dst)
    monkeypatch.setenv(data.ENV_VAR, str(dst))
    return dst


def test_corrupted_file_detected(data_copy):
    f = data_copy / "dresden2_2022" / "data_release.txt"
    text = f.read_text()
    f.write_text(text.replace("0.", "1.", 1))
    st = data.check("dresden2_2022/data_release.txt")
    assert st.status == "altered"
    with pytest.raises(data.DataError, match=r"dresden2_2022/data_release.txt has been altered.*CEVNSFIT_DATA"):
        data.path("dresden2_2022/data_release.txt")
    r = runner.invoke(app, ["data", "verify"])
    assert r.exit_code == 1
    assert "ALTERED" in r.output and "data_release.txt" in r.output


def test_missing_file_detected(data_copy):
    (data_copy / "coherent_csi_2021" / "brnPE.txt").unlink()
    with pytest.raises(data.DataError, match=r"brnPE.txt is missing: looked for .*arXiv:2110.07730"):
        data.path("coherent_csi_2021/brnPE.txt")
    r = runner.invoke(app, ["data", "verify"])
    assert r.exit_code == 1 and "MISSING" in r.output


def test_install_copies_and_verifies(tmp_path, data_available):
    dest = tmp_path / "installed"
    r = runner.invoke(app, ["data", "install", str(data.data_dir()), "--dest", str(dest)])
    assert r.exit_code == 0, r.output
    assert all(s.ok for s in data.verify(dest))


def test_install_refuses_bad_source(tmp_path):
    r = runner.invoke(app, ["data", "install", str(tmp_path)])
    assert r.exit_code == 1
    assert "missing" in r.output


def test_unset_env_falls_back_to_user_dir(monkeypatch, tmp_path):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert data.data_dir() == tmp_path / "cevnsfit" / "data"
    with pytest.raises(data.DataError, match="user data directory"):
        data.path("dresden2_2022/data_release.txt")


def test_template_cache_is_keyed_and_verifies_data(tmp_path, monkeypatch, data_copy):
    """Cached data sets are reused, rebuilt when an input changes, and a corrupted data file is
    reported even when a cache entry exists."""
    from cevnsfit import cache, experiments

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    import dataclasses

    calls = []
    inf = experiments.info("dresden2")
    patched = dataclasses.replace(inf, build=lambda *a, **k: calls.append(k) or inf.build(*a, **k))
    orig_info = experiments.info
    monkeypatch.setattr(experiments, "info", lambda n: patched if n == "dresden2" else orig_info(n))
    experiments.load.cache_clear()
    a = experiments.load("dresden2", qf="ybe")
    experiments.load.cache_clear()
    b = experiments.load("dresden2", qf="ybe")
    assert len(calls) == 1 and len(list((tmp_path / "cache").glob("*.npz"))) == 1
    from cevnsfit.physics.parameters import Params

    assert (a.expected(Params()) == b.expected(Params())).all()
    experiments.load.cache_clear()
    experiments.load("dresden2", qf="fef")  # another model choice: a new entry
    assert len(calls) == 2
    f = data_copy / "ge_quenching" / "QF_Fef_YBe.txt"
    f.write_text(f.read_text() + "\n")
    experiments.load.cache_clear()
    with pytest.raises(data.DataError, match="QF_Fef_YBe.txt has been altered"):
        experiments.load("dresden2", qf="ybe")
    experiments.load.cache_clear()


def test_altered_file_of_another_release_does_not_block(tmp_path, monkeypatch, data_copy):
    """A data set verifies only the releases it reads: an altered CsI file leaves Dresden-II usable
    (with the template cache on) and is still reported for CsI."""
    from cevnsfit import cache, experiments

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    f = data_copy / "coherent_csi_2021" / "brnPE.txt"
    f.write_text(f.read_text() + "\n")
    experiments.load.cache_clear()
    try:
        assert experiments.load("dresden2").observed.size > 100
        with pytest.raises(data.DataError, match="brnPE.txt has been altered"):
            experiments.load("csi")
    finally:
        experiments.load.cache_clear()
