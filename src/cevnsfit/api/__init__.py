"""The Python API (``import cevnsfit as cf``): :func:`load`, :class:`Data`, :class:`Analysis`
and the result objects.  See :mod:`cevnsfit.api.core` and :mod:`cevnsfit.api.results`."""

from .core import Analysis, Data, load
from .results import (
    ContourResult,
    ExclusionResult,
    FCContourResult,
    FitResult,
    LimitResult,
    PosteriorResult,
    Prediction,
    Result,
    ScanResult,
    from_dict,
)

__all__ = [
    "Analysis",
    "ContourResult",
    "Data",
    "ExclusionResult",
    "FCContourResult",
    "FitResult",
    "LimitResult",
    "PosteriorResult",
    "Prediction",
    "Result",
    "ScanResult",
    "from_dict",
    "load",
]
