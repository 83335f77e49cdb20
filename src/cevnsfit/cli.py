"""The ``cevnsfit`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from . import data as datamod

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="CEvNS and nu-e scattering: predictions and fits of neutrino EM properties "
                       "for COHERENT CsI/Ar and Dresden-II.")
data_app = typer.Typer(no_args_is_help=True, help="Locate, verify and install the public data releases.")
app.add_typer(data_app, name="data")


def _fail(msg: str, code: int = 2) -> None:
    typer.secho(f"error: {msg}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command()
def info() -> None:
    """Version, data location and verification status."""
    root = datamod.data_dir()
    statuses = datamod.verify(root)
    bad = [s for s in statuses if not s.ok]
    typer.echo(f"cevnsfit {__version__}")
    src = f"${datamod.ENV_VAR}" if datamod.os.environ.get(datamod.ENV_VAR) else "user data directory"
    typer.echo(f"data directory: {root} (from {src})")
    typer.echo(f"data files: {len(statuses) - len(bad)}/{len(statuses)} verified"
               + ("" if not bad else f"; {len(bad)} missing or altered (run 'cevnsfit data verify')"))


@data_app.command("verify")
def data_verify(path: Optional[Path] = typer.Option(None, help="directory to check (default: the data directory)")) -> None:
    """Check every data file against its recorded SHA-256; exit 1 naming any missing or altered file."""
    root = path or datamod.data_dir()
    statuses = datamod.verify(root)
    bad = [s for s in statuses if not s.ok]
    for s in bad:
        typer.secho(f"{s.status.upper():8s} {s.name}  (looked for {s.path}; source: {s.source})",
                    fg=typer.colors.RED, err=True)
    if bad:
        typer.echo(datamod.HOW_TO_GET, err=True)
        raise typer.Exit(1)
    typer.echo(f"all {len(statuses)} data files verified in {root}")


@data_app.command("install")
def data_install(source: Path = typer.Argument(..., help="directory holding the data releases"),
                 dest: Optional[Path] = typer.Option(None, help="target (default: the user data directory)")) -> None:
    """Copy the data releases into the user data directory, verifying every checksum."""
    try:
        statuses = datamod.install(source, dest)
    except datamod.DataError as e:
        _fail(str(e), 1)
    target = dest or datamod.user_data_dir()
    typer.echo(f"installed and verified {len(statuses)} files in {target}")


@app.command()
def couplings(as_json: bool = typer.Option(False, "--json", help="print a JSON object"),
              q: Optional[float] = typer.Option(None, "--q", help="momentum transfer |q| [MeV] for effective radii"),
              sin2w: Optional[float] = typer.Option(None, help="sin^2 theta_W in the tree-level term"),
              tree: bool = typer.Option(False, help="tree level (no radiative corrections)")) -> None:
    """Neutrino-nucleon couplings and SM neutrino charge radii (1e-32 cm^2)."""
    from .constants import SIN2W_0
    from .physics import charge_radius as cr
    from .physics import couplings as c

    s = SIN2W_0 if sin2w is None else sin2w
    if q is not None and not (q >= 0 and q < float("inf")):
        _fail(f"--q must be a non-negative momentum in MeV, got {q}")
    try:
        out = {"sin2w": s, "radiative": not tree,
               "gVp_e": c.gvp("e", s, not tree), "gVp_mu": c.gvp("mu", s, not tree),
               "gVp_tau": c.gvp("tau", s, not tree), "gVn": c.gvn(not tree),
               "gVp_no_radius": c.gvp_no_radius(s, not tree)}
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


def main() -> None:  # entry point
    try:
        app()
    except datamod.DataError as e:
        typer.secho(f"error: {e}", fg=typer.colors.RED, err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
