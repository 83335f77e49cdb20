"""cevnsfit: CEvNS and neutrino-electron scattering with neutrino electromagnetic properties."""

__version__ = "0.1.0"
