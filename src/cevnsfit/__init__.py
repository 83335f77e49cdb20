"""cevnsfit: CEvNS and neutrino-electron scattering with neutrino electromagnetic properties."""

def _version() -> str:
    """The version: written from the git tag by setuptools-scm at install (``_version.py``), else the
    installed distribution's metadata, else a placeholder for an uninstalled source tree."""
    try:
        from ._version import version

        return version
    except ImportError:
        pass
    from importlib.metadata import PackageNotFoundError, version as _dist_version

    try:
        return _dist_version("cevnsfit")
    except PackageNotFoundError:
        return "0+unknown"


__version__ = _version()
