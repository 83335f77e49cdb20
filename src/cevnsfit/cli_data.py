"""Command-line commands about the data releases: ``data fetch`` and ``data sets``.

Registered on the ``cevnsfit data`` group by :func:`register` (called from :mod:`cevnsfit.cli`).
"""

from pathlib import Path
from typing import Optional

import typer


def _fail(msg: str, code: int = 2) -> None:
    typer.secho(f"error: {msg}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def resolve_sets(items: list[str] | None) -> list[str] | None:
    """Data-set arguments -> registry sets.  A registry set (``coherent_csi_2021``) is taken as is;
    an experiment name used in analysis files (``csi``, ``dresden2``, ...) stands for the
    releases it reads.  None (no argument) means every set."""
    from . import data as datamod
    from .references import experiment_sets

    if not items:
        return None
    out: list[str] = []
    for item in items:
        for name in (t.strip() for t in item.split(",") if t.strip()):
            if name in datamod.sets():
                new = [name]
            else:
                try:
                    new = list(experiment_sets(name))
                except KeyError:
                    raise ValueError(
                        f"unknown data set {name!r}; registered releases: {', '.join(datamod.sets())}"
                        f"; or an experiment name"
                    ) from None
            out += [s for s in new if s not in out]
    return out


def data_fetch(
    sets: Optional[list[str]] = typer.Argument(
        None, help="data releases (e.g. coherent_csi_2021) or experiments (csi, ar, dresden2, ...); default: all"
    ),
    dest: Optional[Path] = typer.Option(
        None, help="target directory (default: $CEVNSFIT_DATA if set, else the user data directory)"
    ),
    mirror: Optional[str] = typer.Option(
        None, help="fetch https://HOST/PATH from MIRROR/HOST/PATH instead (default: $CEVNSFIT_MIRROR)"
    ),
    retries: int = typer.Option(2, min=0, max=10, help="retries of an interrupted download"),
    progress: bool = typer.Option(True, help="show a progress bar"),
) -> None:
    """Download the public data releases from their origins (needs internet access), verifying
    every file's SHA-256.  Files already present and verified are not downloaded again."""
    from . import data as datamod
    from . import fetch as fetchmod

    try:
        names = resolve_sets(sets)
        report = fetchmod.fetch(names, dest=dest, mirror=mirror, retries=retries, progress=progress)
    except (KeyError, ValueError) as e:
        _fail(str(e).strip("'\""))
    except OSError as e:
        _fail(f"cannot write the data directory: {e}", 1)
    where = report.dest
    typer.echo(
        f"{len(report.downloaded)} file(s) downloaded ({report.bytes_downloaded / 1e6:.1f} MB), "
        f"{len(report.present)} already present, {len(report.written)} written from the registry, "
        f"{len(report.derived)} derived from public files; "
        f"data directory {where}"
    )
    for f in report.failed[:20]:
        typer.secho(f"error: {f.message(where)}", fg=typer.colors.RED, err=True)
    if len(report.failed) > 20:
        typer.secho(f"error: ... and {len(report.failed) - 20} more file(s) failed", fg=typer.colors.RED, err=True)
    for line in fetchmod.describe_unavailable(report):
        typer.secho(f"not downloadable: {line}", fg=typer.colors.YELLOW, err=True)
    if not report.ok:
        raise typer.Exit(1)
    if dest is None and not datamod.os.environ.get(datamod.ENV_VAR):
        typer.echo("cevnsfit will find them there (CEVNSFIT_DATA is unset).")


def data_sets(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Every data release: files, size, origin, licence and whether 'data fetch' can download it."""
    import json

    from . import data as datamod

    rows = []
    for name, meta in datamod.sets().items():
        files = meta["files"]
        derived = meta.get("derive", {}).get("headers", {})
        n_url = sum(1 for n, e in files.items() if e.get("urls") or "content" in e or n in derived)
        rows.append(
            {
                "set": name,
                "title": meta["title"],
                "files": len(files),
                "bytes": sum(e["size"] for e in files.values()),
                "fetchable": n_url,
                "origin": meta.get("origin"),
                "license": meta.get("license"),
                "cite": meta.get("cite"),
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        fetchable = "all" if r["fetchable"] == r["files"] else f"{r['fetchable']} of {r['files']}"
        typer.echo(
            f"{r['set']}: {r['title']}\n    {r['files']} files, {r['bytes'] / 1e6:.2f} MB; "
            f"fetchable: {fetchable}; licence: {r['license']}\n    origin: {r['origin'] or 'none'}\n"
            f"    cite: {r['cite']}"
        )


def cite(
    target: Optional[str] = typer.Argument(
        None,
        help="a shipped analysis (e.g. r2_coherent), an analysis file, a data set (csi, dresden2, ...), "
        "a data release, or 'all'; none: the package only",
    ),
) -> None:
    """BibTeX of cevnsfit and of every experiment paper and data release an analysis uses."""
    from . import references

    try:
        typer.echo(references.cite(target), nl=False)
    except ValueError as e:
        _fail(str(e))


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    data_app.command("fetch")(data_fetch)
    data_app.command("sets")(data_sets)
    app.command("cite")(cite)
