"""MkDocs hooks: pages generated from the package itself, and the navigation.

* ``data-releases.md`` from the data registry (``cevnsfit/registry/<set>.json``): each release's
  origin, DOI/URL, licence, what to cite and how to fetch it;
* ``analyses.md`` from the shipped analysis files (``cevnsfit/analyses/*.yaml``);
* ``api/<module>.md`` for every public module (mkdocstrings renders the docstrings), and an index;
* the tutorial notebook(s) ``examples/*.ipynb`` (rendered by mkdocs-jupyter as committed; with
  ``CEVNSFIT_DOCS_EXECUTE=1`` executed at build time, which needs the data), or the tutorial script
  if no notebook exists;
* the navigation lists the hand-written pages that exist (``docs/*.md``) and the generated ones.

Nothing here needs network access.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import sys
from pathlib import Path

import mkdocs.plugins
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

#: hand-written pages in the order of the navigation (those that exist are listed)
HAND = [
    ("Home", "index.md"),
    ("Getting started", "getting-started.md"),
    ("Physics", "physics.md"),
    ("New physics", "new-physics.md"),
    ("Conventions", "conventions.md"),
    ("Statistics", "statistics.md"),
    ("Data", "data.md"),
]
#: modules left out of the API reference: the command line (documented by --help) and private ones
API_SKIP = {"cevnsfit.cli", "cevnsfit.cli_data", "cevnsfit._version", "cevnsfit._optional"}

MATHJAX = """window.MathJax = {
  tex: {inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]], processEscapes: true,
        processEnvironments: true},
  options: {ignoreHtmlClass: ".*|", processHtmlClass: "arithmatex"}
};
"""


def public_modules() -> list[str]:
    """Every importable public module of the package, sorted, ``cevnsfit.api`` first if present."""
    import cevnsfit

    names = ["cevnsfit"]
    for info in pkgutil.walk_packages(cevnsfit.__path__, "cevnsfit."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]) or info.name in API_SKIP:
            continue
        names.append(info.name)
    names.sort(key=lambda n: (n != "cevnsfit.api", n))
    return names


def public_names(module: str) -> list[str]:
    """The public names of ``module``: its ``__all__``, else the functions and classes it defines."""
    mod = importlib.import_module(module)
    if hasattr(mod, "__all__"):
        return list(mod.__all__)
    out = []
    for name, obj in vars(mod).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module:
            continue
        if isinstance(obj, type) or callable(obj):
            out.append(name)
    return out


def _first_line(module: str) -> str:
    doc = (importlib.import_module(module).__doc__ or "").strip()
    return doc.split("\n\n")[0].replace("\n", " ") if doc else ""


def api_pages() -> dict[str, str]:
    pages = {}
    mods = public_modules()
    lines = [
        "# API reference",
        "",
        "Generated from the docstrings. The public names of each module are listed on its page.",
        "",
    ]
    for m in mods:
        lines.append(f"* [`{m}`]({m}.md) — {_first_line(m)}")
        names = public_names(m)
        body = [f"# `{m}`", ""]
        if names:
            body += ["Public names: " + ", ".join(f"`{n}`" for n in names), ""]
        body += [f"::: {m}"]
        if hasattr(importlib.import_module(m), "__all__"):
            body += ["    options:", "      members: [" + ", ".join(names) + "]"]
        pages[f"api/{m}.md"] = "\n".join(body) + "\n"
    pages["api/index.md"] = "\n".join(lines) + "\n"
    return pages


def _no_spec(text: str) -> str:
    """Drop internal specification references ("(SPEC 12.2)") from user-facing text."""
    return re.sub(r"\s*\(SPEC[^)]*\)", "", text).strip()


def data_page() -> str:
    from cevnsfit import data

    out = [
        "# Data releases",
        "",
        "Generated from the data registry (`cevnsfit/registry/<set>.json`). `cevnsfit data fetch SET` downloads "
        "a release from the URLs below (the official origin first, then a public copy pinned at a commit) "
        "and verifies every file's SHA-256; it needs internet access. `cevnsfit data sets` prints this list, "
        "`cevnsfit cite SET` the BibTeX.",
        "",
        "| release | files | size | fetchable | licence |",
        "|---|---|---|---|---|",
    ]
    for name, meta in data.sets().items():
        files = meta["files"]
        derived = meta.get("derive", {}).get("headers", {})
        n_ok = sum(1 for n, e in files.items() if e.get("urls") or "content" in e or n in derived)
        size = sum(e["size"] for e in files.values()) / 1e6
        out.append(
            f"| [`{name}`](#{name.lower()}) | {len(files)} | {size:.2f} MB | "
            f"{'all' if n_ok == len(files) else f'{n_ok} of {len(files)}'} | {meta.get('license') or ''} |"
        )
    for name, meta in data.sets().items():
        files = meta["files"]
        hosts = sorted({u.split("/")[2] for e in files.values() for u in e.get("urls", [])})
        out += [
            "",
            f"## {name}",
            "",
            f"**{meta['title']}**",
            "",
            f"* Cite: {meta['cite']}",
            f"* Official origin: {_link(meta.get('origin')) or 'none (see below)'}",
            f"* Public copy: {_link(meta.get('mirror'))}",
            f"* Licence: {meta.get('license')}",
            f"* Downloaded from: {', '.join(hosts) or 'nowhere (no public URL)'}",
            f"* Fetch: `cevnsfit data fetch {name}`",
        ]
        if meta.get("archives"):
            out.append(
                "* Fetched as one archive of the official repository: "
                + ", ".join(_link(a["url"]) for a in meta["archives"])
            )
        if any("content" in e for e in files.values()):
            n = sum("content" in e for e in files.values())
            out.append(
                f"* {n} small coefficient table(s) transcribed by hand from the papers are written from the registry"
            )
        if meta.get("derive"):
            out.append(
                "* Derived at fetch time from public files (kept only if byte for byte the registered tables): "
                + ", ".join(_link(i["url"]) for i in meta["derive"]["inputs"].values())
            )
        if meta.get("unavailable"):
            out += ["", '!!! note "Files without a public download"', "    " + meta["unavailable"]]
        if len(files) <= 60:
            out += ["", "| file | size [B] | first URL |", "|---|---|---|"]
            for rel, e in files.items():
                first = e["urls"][0] if e.get("urls") else ("(in the registry)" if "content" in e else "—")
                out.append(f"| `{rel}` | {e['size']} | {_link(first) if first.startswith('http') else first} |")
    return "\n".join(out) + "\n"


def _link(text: str | None) -> str:
    if not text:
        return ""
    return re.sub(r"(https?://[^\s;,)]+)", r"<\1>", text)


def analyses_page() -> str:
    from cevnsfit import config

    out = [
        "# Analyses",
        "",
        "The published analyses shipped with the package (`cevnsfit/analyses/*.yaml`), generated from the files. "
        "`cevnsfit run FILE` runs one, `cevnsfit reproduce` all of them (tables and plots); "
        "`cevnsfit cite NAME` prints what to cite. The results beside the published numbers are in the "
        "[reproduction record](reproduction.md).",
        "",
        "| analysis | data | what it reproduces | limits | contours |",
        "|---|---|---|---|---|",
    ]
    for p in config.shipped():
        a = config.load(p)
        lim = ", ".join(f"`{l.param}`" + (f" ({l.cl:.0%})" if l.cl != 0.9 else "") for l in a.limits) or "—"
        con = ", ".join(f"`{c.params[0]}`–`{c.params[1]}`" for c in a.contours) or "—"
        out.append(
            f"| [`{a.name}`](#{a.name.lower()}) | {', '.join(a.data)} | {_no_spec(a.description)} | {lim} | {con} |"
        )
    for p in config.shipped():
        a = config.load(p)
        model = {k: v for k, v in a.model.model_dump().items() if v not in (None, False)}
        out += [
            "",
            f"## {a.name}",
            "",
            _no_spec(a.description) or "",
            "",
            f"* Data: {', '.join(a.data)}",
            f"* Model: {', '.join(f'`{k}={v}`' for k, v in model.items()) or 'defaults'}",
            f"* File: `src/cevnsfit/analyses/{p.name}`",
        ]
        for l in a.limits:
            out.append(
                f"* Limit: `{l.param}` at {l.cl:.0%} CL, {l.points} points"
                + (f", range {list(l.range)}" if l.range else "")
            )
        for c in a.contours:
            out.append(f"* Contour: `{c.params[0]}`, `{c.params[1]}` on {c.points}×{c.points} points")
        for param, pub in a.published.items():
            what = (
                " ∪ ".join(f"[{lo:g}, {hi:g}]" for lo, hi in pub.intervals)
                if pub.intervals
                else f"{pub.value:g}"
                if pub.value is not None
                else ""
            )
            out.append(f"* Published `{param}`: {what}" + (f" ({pub.source})" if pub.source else ""))
    return "\n".join(out) + "\n"


def tutorial_sources() -> list[Path]:
    """The notebooks to render: ``examples/*.ipynb`` (``$CEVNSFIT_DOCS_EXAMPLES`` overrides the folder)."""
    return sorted(Path(os.environ.get("CEVNSFIT_DOCS_EXAMPLES") or ROOT / "examples").glob("*.ipynb"))


def tutorial_fallback() -> str:
    script = ROOT / "examples" / "tutorial.py"
    return (
        "# Tutorial\n\nThe tutorial script `examples/tutorial.py` (run it with "
        "`python examples/tutorial.py OUTPUT_DIR`):\n\n```python\n" + script.read_text() + "```\n"
    )


def _existing(config) -> dict[str, bool]:
    docs = Path(config["docs_dir"])
    return {f: (docs / f).is_file() for _, f in HAND + [("", "reproduction.md")]}


def on_config(config):
    have = _existing(config)
    nav: list = [{title: f} for title, f in HAND if have[f] and f != "data.md"]
    data_pages = ([{"Data": "data.md"}] if have["data.md"] else []) + [{"Data releases": "data-releases.md"}]
    nav.append({"Data": data_pages})
    nav.append({"Analyses": "analyses.md"})
    if have["reproduction.md"]:
        nav.append({"Reproduction record": "reproduction.md"})
    # any other hand-written page is listed too (titled by its first heading), never left out
    known = {f for _, f in HAND} | {"reproduction.md"}
    for page in sorted(Path(config["docs_dir"]).glob("*.md")):
        if page.name not in known:
            heading = next((ln[2:].strip() for ln in page.read_text().splitlines() if ln.startswith("# ")), page.stem)
            nav.append({heading: page.name})
    notebooks = tutorial_sources()
    if notebooks:
        nav.append(
            {
                "Tutorial": [{nb.stem.replace("_", " ").capitalize(): nb.name} for nb in notebooks]
                if len(notebooks) > 1
                else notebooks[0].name
            }
        )
    else:
        nav.append({"Tutorial": "tutorial.md"})
    api = ["api/index.md"] + [f"api/{m}.md" for m in public_modules()]
    nav.append({"API reference": api})
    config["nav"] = nav
    if os.environ.get("CEVNSFIT_DOCS_EXECUTE"):  # run the notebooks at build time (needs the data)
        config["plugins"]["mkdocs-jupyter"].config["execute"] = True
    return config


@mkdocs.plugins.event_priority(100)  # before mkdocs-jupyter converts the notebooks
def on_files(files, config):
    generated = {
        "data-releases.md": data_page(),
        "analyses.md": analyses_page(),
        "javascripts/mathjax.js": MATHJAX,
        **api_pages(),
    }
    if not tutorial_sources():
        generated["tutorial.md"] = tutorial_fallback()
    for uri, content in generated.items():
        files.append(File.generated(config, uri, content=content))
    for nb in tutorial_sources():  # a regular file whose source folder is examples/
        files.append(
            File(
                nb.name,
                src_dir=str(nb.parent),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files
