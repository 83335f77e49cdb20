"""What every result records about how it was made: package version, git commit (when the
package runs from a git checkout), date, Python and numpy versions, and the options."""

from __future__ import annotations

import datetime as _dt
import platform
import subprocess
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the source tree the package runs from ('+dirty' with local changes), or
    None when it is not a git checkout (an installed wheel)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
        if not sha:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def metadata(options: dict | None = None) -> dict:
    """{'cevnsfit': version, 'git_commit', 'date' (UTC, ISO 8601), 'python', 'numpy', 'options'}."""
    import numpy as np

    from . import __version__

    out: dict[str, object] = {
        "cevnsfit": __version__,
        "git_commit": git_commit(),
        "date": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    if options is not None:
        out["options"] = options
    return out
