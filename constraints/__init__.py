"""Clock and pin constraint files per supported device, rendered with the clock target.

Each file constrains the place-and-route top level of hwdse (``hw.shim.SerialShim``): the
clock ``clk``, the reset ``rst`` and eight serial stream pins. ``hw.shim.PortShim`` (designs
with other ports than one operand and one result stream) uses five of the same pins;
nextpnr passes over the constraints of pins a top level does not have (nextpnr-ice40 with a
warning). ``${clock_mhz}`` and ``${clock_period_ns}`` in a file are replaced by the flow's
clock target.
"""

from __future__ import annotations

import math
import string
from importlib import resources

#: Constraint file of each device, with the board whose pins it uses.
FILES = {
    "ice40-up5k": "ice40-up5k.pcf",   # iCEBreaker (iCE40UP5K-SG48)
    "ecp5-85k": "ecp5-85k.lpf",       # ULX3S (LFE5U-85F-6BG381C)
    "xc7a35t": "xc7a35t.xdc",         # Digilent Arty A7-35T (XC7A35T-1CSG324C)
    "generic": "generic.sdc",         # clock only
}


def template(file_name: str) -> str:
    """The raw text of a constraint file shipped with hwdse."""
    return resources.files(__name__).joinpath(file_name).read_text()


def render(file_name: str, clock_mhz: float) -> str:
    """A constraint file with the clock target filled in.

    Raises:
        ValueError: if ``clock_mhz`` is not a finite positive number.
    """
    if not (math.isfinite(clock_mhz) and clock_mhz > 0):
        raise ValueError(f"`clock` must be a positive frequency in MHz, not {clock_mhz:g}")
    return string.Template(template(file_name)).substitute(
        clock_mhz=f"{clock_mhz:g}", clock_period_ns=f"{1000.0 / clock_mhz:.3f}")
