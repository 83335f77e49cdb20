"""``reproduce --section``: the published analyses of the reference papers apart from those
beyond them (new physics, solar neutrinos)."""

import pytest

from cevnsfit.config import load, shipped
from cevnsfit.report.reproduce import SECTIONS, select


@pytest.fixture(scope="module")
def analyses():
    return [load(p) for p in shipped()]


def test_sections_partition_the_shipped_analyses(analyses):
    parts = {s: {a.name for a in select(analyses, section=s)} for s in SECTIONS}
    assert set.union(*parts.values()) == {a.name for a in analyses}
    assert not parts["papers"] & parts["beyond"]
    # the reference papers' charge radii and their all-profiled twins are published analyses;
    # NSI, mediators and the solar data are not
    assert {"r2_combined", "r2_combined_allprofiled", "mu_dresden2_fef_es", "cevns_csi2017"} <= parts["papers"]
    assert {"nsi_combined", "mediators_bl", "solar_xenonnt", "rn_csi2017"} <= parts["beyond"]


def test_section_and_only_combine(analyses):
    names = [a.name for a in select(analyses, only="r2_combined", section="papers")]
    assert names and all("r2_combined" in n for n in names)
    assert "solar_r2_combined" not in names
    assert [a.name for a in select(analyses, only="r2_combined", section="beyond")] == ["solar_r2_combined"]


def test_bad_selection(analyses):
    with pytest.raises(ValueError, match="unknown section 'appendix'; allowed: papers, beyond"):
        select(analyses, section="appendix")
    with pytest.raises(ValueError, match="no shipped analysis matches 'nsi_' and is in section 'papers'"):
        select(analyses, only="nsi_", section="papers")
