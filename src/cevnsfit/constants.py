"""Physical constants and unit conversions, each with its source.

Everything is in MeV-based natural units (hbar = c = 1) unless the name says otherwise.
Values as listed in docs/physics.md (PDG 2022 values as used by Atzori Corona et al.,
JHEP 09 (2022) 164 and JHEP 05 (2024) 271).
"""

from __future__ import annotations

import math

# --- Electroweak -------------------------------------------------------------------------
#: Fermi constant [MeV^-2] (PDG: 1.1663787e-5 GeV^-2).
G_F = 1.1663787e-11
#: Fine-structure constant at q = 0 (PDG).
ALPHA = 1.0 / 137.035999
#: MS-bar fine-structure constant at M_Z, alpha-hat(M_Z) (PDG).
ALPHA_HAT_Z = 1.0 / 127.951
#: MS-bar sin^2(theta_W) at M_Z (PDG).
S2_HAT_Z = 0.23122
#: MS-bar cos^2(theta_W) at M_Z.
C2_HAT_Z = 1.0 - S2_HAT_Z
#: Low-energy sin^2(theta_W) used in the tree-level couplings (PDG, Erler & Ferro-Hernandez).
SIN2W_0 = 0.23863
#: Low-energy neutral-current rho parameter (Erler & Su, arXiv:1303.5522).
RHO_NC = 1.00063
#: Strong coupling at M_Z and at M_W (PDG).
ALPHA_S_MZ = 0.1179
ALPHA_S_MW = 0.1203
#: W and Z boson masses [MeV] (PDG).
M_W = 80379.0
M_Z = 91187.6

# --- Leptons and mesons [MeV] (PDG) --------------------------------------------------------
M_E = 0.51099895
M_MU = 105.6583755
M_TAU = 1776.86
M_PI = 139.57039
LEPTON_MASS = {"e": M_E, "mu": M_MU, "tau": M_TAU}

# --- Lifetimes [microseconds] (PDG) --------------------------------------------------------
TAU_MU_US = 2.1969811
TAU_PI_US = 0.026033

# --- Nuclear -------------------------------------------------------------------------------
#: Atomic mass unit [MeV] (CODATA 2018).
AMU = 931.49410242
#: Neutron mean-square charge radius [fm^2] (PDG).
R2_NEUTRON = -0.1161
#: Proton mean-square charge radius [fm^2] (PDG, muonic hydrogen r_p = 0.8409 fm).
R2_PROTON = 0.7071

# --- Conversions ---------------------------------------------------------------------------
#: hbar*c [MeV fm] (CODATA 2018).
HBARC_MEV_FM = 197.3269804
#: hbar*c [MeV cm].
HBARC_MEV_CM = HBARC_MEV_FM * 1e-13
#: (hbar c)^2 [MeV^2 cm^2]; 0.389379 GeV^2 mb = 3.89379e-28 GeV^2 cm^2.
HBARC2_MEV2_CM2 = HBARC_MEV_CM**2
#: Seconds per day.
SECONDS_PER_DAY = 86400.0

# --- Units of the physics parameters --------------------------------------------------------
#: Magnetic moments are quoted in units of 1e-10 Bohr magnetons.
MU_UNIT = 1e-10
#: Charge radii are quoted in units of 1e-32 cm^2.
R2_UNIT_CM2 = 1e-32
#: 1e-32 cm^2 in MeV^-2.
R2_UNIT_MEV2 = R2_UNIT_CM2 / HBARC2_MEV2_CM2

#: Charge radius -> vector-coupling shift per 1e-32 cm^2:
#: Q~ = sqrt(2) pi alpha / (3 G_F) <r^2>  (Atzori Corona et al. 2022 eq. 2.6);
#: evaluates to 0.023796 per 1e-32 cm^2.
QTILDE_PER_R2_UNIT = math.sqrt(2.0) * math.pi * ALPHA / (3.0 * G_F) * R2_UNIT_MEV2

#: Flavour labels used throughout.
FLAVOURS = ("e", "mu", "tau")
