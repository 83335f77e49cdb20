"""Optional dependencies ("extras"): a clear message naming the extra to install when one is missing."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtra(ImportError):
    """An optional dependency of a feature is not installed; the message says which extra to install."""


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtra`: "<feature> needs <module>: pip install 'cevnsfit[<extra>]'"."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(
            f"{feature} needs the optional dependency '{module}', which is not installed: "
            f"pip install 'cevnsfit[{extra}]'"
        ) from exc
