"""Packaging: version, citation (CITATION.cff, `cevnsfit cite`), declared dependencies and extras."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import cevnsfit
from cevnsfit import config, data, references
from cevnsfit.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

#: the paper of each data set (DOI), which `cite` must print for any analysis using it
PAPER_DOI = {
    "csi": "10.1103/PhysRevLett.129.081801",
    "ar": "10.1103/PhysRevLett.126.012002",
    "dresden2": "10.1103/PhysRevLett.129.211802",
    "csi2017": "10.1126/science.aao0990",
    "xenonnt_8b": "10.1103/PhysRevLett.133.191002",
    "xenonnt_er": "10.1103/PhysRevLett.129.161805",
}


def test_version_option():
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0
    assert r.output.strip() == f"cevnsfit {cevnsfit.__version__}"
    assert re.match(r"^\d+(\.\d+)*", cevnsfit.__version__) or cevnsfit.__version__ == "0+unknown"


def test_version_is_not_hardcoded():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in meta["project"]["dynamic"] and "version" not in meta["project"]
    assert meta["tool"]["setuptools_scm"]["fallback_version"]


def bib_entries(text: str) -> list[tuple[str, str, str]]:
    """(type, key, body) of every entry; raises on unbalanced braces."""
    out = []
    for m in re.finditer(r"@(\w+)\{([^,\s]+),", text):
        depth, i = 1, m.end()
        while depth:
            if i >= len(text):
                raise AssertionError(f"unbalanced braces in entry {m.group(2)}")
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        out.append((m.group(1).lower(), m.group(2), text[m.end() : i - 1]))
    return out


def test_registry_bibtex_is_well_formed():
    keys = {}
    for s, meta in data.sets().items():
        assert meta.get("bibtex"), f"{s}: no BibTeX"
        for entry in meta["bibtex"]:
            ((kind, key, body),) = bib_entries(entry)
            assert kind in ("article", "misc"), key
            assert re.search(r"\btitle\s*=", body) and (re.search(r"\byear\s*=", body) or "howpublished" in body), key
            assert keys.setdefault(key, entry) == entry, f"two different entries with key {key}"
            if kind == "article":
                assert all(re.search(rf"\b{f}\s*=", body) for f in ("journal", "volume", "pages")), key


@pytest.mark.parametrize("path", config.shipped(), ids=lambda p: p.stem)
def test_cite_every_shipped_analysis(path):
    analysis = config.load(path)
    r = runner.invoke(app, ["cite", path.stem])
    assert r.exit_code == 0, r.output
    entries = bib_entries(r.output)
    assert entries[0][:2] == ("software", "cevnsfit")
    assert len({k for _, k, _ in entries}) == len(entries)  # each entry once
    for name in analysis.data:
        assert PAPER_DOI[name] in r.output, (path.stem, name)
    # the data releases read, and no other experiment's paper
    for name, doi in PAPER_DOI.items():
        if name not in analysis.data and not any(
            set(references.experiment_sets(name)) & set(references.experiment_sets(d)) for d in analysis.data
        ):
            assert doi not in r.output, (path.stem, name)


def test_cite_data_releases_and_errors():
    r = runner.invoke(app, ["cite", "coherent_ar_2020"])
    assert r.exit_code == 0 and "10.5281/zenodo.3903810" in r.output  # the release's own DOI
    r = runner.invoke(app, ["cite"])
    assert r.exit_code == 0 and [e[1] for e in bib_entries(r.output)] == ["cevnsfit"]
    r = runner.invoke(app, ["cite", "r2_nothing"])
    assert r.exit_code == 2 and "shipped analyses:" in r.output and "r2_coherent" in r.output
    r = runner.invoke(app, ["cite", "all"])
    assert r.exit_code == 0 and len(bib_entries(r.output)) == 1 + len(
        {e for m in data.sets().values() for e in m["bibtex"]}
    )


def test_citation_cff():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["authors"] and cff["message"] and cff["license"] == "MIT"
    assert cff["title"] in references.package_bibtex()
    dois = {ref["doi"] for ref in cff.get("references", [])}
    assert {PAPER_DOI["csi"], PAPER_DOI["ar"], PAPER_DOI["dresden2"]} <= dois


def test_changelog_has_unreleased_section():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in text and "data fetch" in text


# import name -> distribution name, where they differ
DIST = {"yaml": "pyyaml", "distributed": "dask", "sklearn": "scikit-learn", "PIL": "pillow"}


def _declared() -> tuple[set[str], dict[str, set[str]]]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(reqs):
        return {re.split(r"[\[<>=~!; ]", r, maxsplit=1)[0].lower() for r in reqs}

    return names(meta["dependencies"]), {k: names(v) for k, v in meta["optional-dependencies"].items()}


def _third_party_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    mods = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods.add(node.module.split(".")[0])
    return {m for m in mods if m not in sys.stdlib_module_names and m != "cevnsfit"}


def test_every_import_is_declared():
    """Every third-party module imported by the package is a dependency or in an extra; an import
    from an extra is guarded (imported where the feature is used, with a clear message)."""
    core, extras = _declared()
    optional = set().union(*extras.values())
    src = ROOT / "src" / "cevnsfit"
    undeclared = {}
    for p in src.rglob("*.py"):
        for m in _third_party_imports(p):
            dist = DIST.get(m, m).lower().replace("_", "-")
            if dist not in core | optional:
                undeclared.setdefault(dist, []).append(p.relative_to(src).as_posix())
    assert not undeclared, f"imports not declared in pyproject.toml: {undeclared}"
    assert "dask" not in core and "dask" in extras["dask"]


def test_missing_dask_extra_is_a_one_line_error(monkeypatch, capsys):
    from cevnsfit import cli

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    monkeypatch.setattr(
        sys,
        "argv",
        ["cevnsfit", "scan", "--data", "dresden2", "--param", "mu_e=0:1:2", "--backend", "dask", "--workers", "1"],
    )
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: the 'dask' backend needs") and "pip install 'cevnsfit[dask]'" in err[-1]
