"""FPGA and gate-level targets of the synthesis flow: Yosys script, nextpnr command, the
constraint file, and how tool cell types map to the resources users compare (LUTs, FFs,
DSPs, BRAMs).

Place-and-route targets (``ice40-up5k``, ``ecp5-85k``, and its variants on the same
device: ``ecp5-85k-nowidelut``, logic mapped to LUT4s only, and ``ecp5-85k-area``, LUTs
mapped to the clock constraint) read used and available resources
and Fmax from nextpnr's JSON report. Synthesis-only targets (``xc7a35t``, ``xc7a100t``,
``generic``) count Yosys cells; the 7-series capacities are from AMD's data sheet DS180
(7 Series FPGAs Overview, Table 3, Artix-7): XC7A35T 20,800 LUTs, 41,600 FFs, 90 DSP48E1,
50 RAMB36; XC7A100T 63,400 LUTs, 126,800 FFs, 240 DSP48E1, 135 RAMB36.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from flows.tools import NEXTPNR_ECP5, NEXTPNR_ICE40, Tool

#: The resources every target reports, in this order.
RESOURCES = ("lut", "ff", "dsp", "bram")


class UnknownTargetError(ValueError):
    """A target name that is not registered; the message lists the valid ones."""


@dataclasses.dataclass(frozen=True)
class Target:
    """One device (or the generic gate library) and how the flow treats it."""

    name: str
    description: str
    synth_command: str  # Yosys synthesis command; ``{top}`` is the top module
    constraint_file: str  # in the ``constraints`` package
    default_clock_mhz: float
    # Yosys cell type -> (resource, weight): e.g. a CCU2C is two LUT4s.
    synth_cells: Mapping[str, tuple[str, float]]
    pnr_tool: Tool | None = None
    pnr_args: tuple[str, ...] = ()
    constraint_flag: str = ""  # how nextpnr takes the constraint file
    bitstream_output: tuple[str, str] = ("", "")  # nextpnr flag and file, e.g. --asc top.asc
    bitstream_command: str = ""  # packer command, e.g. yowasp-icepack top.asc top.bin
    # nextpnr cell type -> resource, for the placed design
    pnr_cells: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # synthesis-only targets: device capacity per resource
    capacity: Mapping[str, int] = dataclasses.field(default_factory=dict)
    # label of the synthesis script's step that runs ``abc9`` ("": the script has none);
    # the flow stops before it to make public wire names with ``[`` private (see
    # ``flows.synth.yosys_script``)
    abc9_label: str = ""
    # when ``abc9`` fails on a design: the commands run in its step's place, and the label of
    # the step the script resumes at (``flows.synth.synthesis_commands``)
    abc9_fallback: tuple[str, ...] = ()
    abc9_resume_label: str = ""
    # commands run in the ``abc9`` step's place on every design (the script resumes at
    # ``abc9_resume_label``); ``{period_ps}`` is the clock period in picoseconds, e.g. an
    # ``abc9 -D {period_ps}`` that maps LUTs to the clock constraint (``()``: the
    # script's own step)
    abc9_mapping: tuple[str, ...] = ()

    @property
    def place_and_route(self) -> bool:
        return self.pnr_tool is not None

    @property
    def clock_mapped(self) -> bool:
        """Whether synthesis maps logic to the clock (:attr:`abc9_mapping` takes its
        period), so that the netlist, and its LUT count, depend on the clock."""
        return any("{period_ps}" in line for line in self.abc9_mapping)


def _lut_cells(prefix: str, sizes: range) -> dict[str, tuple[str, float]]:
    return {f"{prefix}{size}": ("lut", 1.0) for size in sizes}


_ICE40_CELLS: dict[str, tuple[str, float]] = {
    "SB_LUT4": ("lut", 1.0), "SB_MAC16": ("dsp", 1.0), "SB_RAM40_4K": ("bram", 1.0),
    **{f"SB_DFF{suffix}": ("ff", 1.0) for suffix in (
        "", "E", "SR", "R", "SS", "S", "ESR", "ER", "ESS", "ES", "N", "NE", "NSR", "NR",
        "NSS", "NS", "NESR", "NER", "NESS", "NES")},
}

_ECP5_CELLS: dict[str, tuple[str, float]] = {
    "LUT4": ("lut", 1.0), "CCU2C": ("lut", 2.0), "TRELLIS_DPR16X4": ("lut", 2.0),
    "TRELLIS_FF": ("ff", 1.0), "MULT18X18D": ("dsp", 1.0), "DP16KD": ("bram", 1.0),
}

_XC7_CELLS: dict[str, tuple[str, float]] = {
    **_lut_cells("LUT", range(1, 7)),
    **{cell: ("ff", 1.0) for cell in ("FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE")},
    # distributed RAM: LUTs per primitive (UG474, Table 5-2)
    "RAM32X1D": ("lut", 2.0), "RAM64X1D": ("lut", 2.0), "RAM32M": ("lut", 4.0),
    "RAM64M": ("lut", 4.0), "RAM128X1D": ("lut", 4.0), "SRL16E": ("lut", 1.0),
    "SRLC32E": ("lut", 1.0),
    "DSP48E1": ("dsp", 1.0), "RAMB36E1": ("bram", 1.0), "RAMB18E1": ("bram", 0.5),
}



def _artix7(part: str, capacity: dict[str, int]) -> Target:
    """A synthesis-only Artix-7 part (the Arty A7 boards share one pin file)."""
    return Target(
        name=part.lower(),
        description=f"AMD Artix-7 {part}, Yosys synth_xilinx only (area estimate, no timing)",
        synth_command="synth_xilinx -family xc7 -flatten -top {top}",
        constraint_file="xc7a35t.xdc", default_clock_mhz=100.0, synth_cells=_XC7_CELLS,
        capacity=capacity, abc9_label="map_luts")


_ECP5 = Target(
    name="ecp5-85k",
    description="Lattice ECP5 LFE5U-85F (CABGA381), nextpnr-ecp5; pins: ULX3S",
    synth_command="synth_ecp5 -top {top}", constraint_file="ecp5-85k.lpf",
    default_clock_mhz=25.0, synth_cells=_ECP5_CELLS, pnr_tool=NEXTPNR_ECP5,
    pnr_args=("--85k", "--package", "CABGA381"), constraint_flag="--lpf",
    bitstream_output=("--textcfg", "top.config"),
    bitstream_command="yowasp-ecppack top.config top.bit",
    pnr_cells={"TRELLIS_COMB": "lut", "TRELLIS_FF": "ff", "MULT18X18D": "dsp",
               "DP16KD": "bram"}, abc9_label="map_luts",
    # synth_lattice's map_luts step with ABC's area-oriented LUT mapping for abc9
    abc9_fallback=("techmap -map +/lattice/latches_map.v", "abc -dress -lut 4:7",
                   "clean"),
    abc9_resume_label="map_cells")


#: ``ecp5-85k`` with ``synth_ecp5 -nowidelut``: ABC maps logic to LUT4s only, with no
#: PFUMX / L6MUX21 wide-function muxes. On mux-heavy designs this gives fewer and steadier
#: LUT counts (``bench/results/widelut_ecp5.md``: pim-v1 designs 11.5% fewer in all, and
#: designs its area model cannot tell apart spread 0.5-3.5% instead of 6-30%); the device,
#: pins, memories and DSPs are those of ``ecp5-85k``.
_ECP5_LUT4_ONLY = dataclasses.replace(
    _ECP5, name="ecp5-85k-nowidelut",
    description="Lattice ECP5 LFE5U-85F as ecp5-85k, logic mapped to LUT4s only "
                "(synth_ecp5 -nowidelut)",
    synth_command="synth_ecp5 -nowidelut -top {top}",
    # the fallback maps to LUT4s only, as the script does
    abc9_fallback=("techmap -map +/lattice/latches_map.v", "abc -dress -lut 4", "clean"))


#: ``ecp5-85k`` with ``abc9`` given the clock period as its delay target (``-D``, in ps;
#: the wire delay ``-W 300`` as ``synth_ecp5`` has it): ABC maps each path only as fast as
#: the clock needs and recovers area on every path with slack, where ``synth_ecp5`` maps
#: for the smallest delay reachable and copies logic into the readers of critical
#: signals. Over the 460 ``qmlp-v1`` area samples at the default 25 MHz: LUTs -46% to +14%
#: per design against ``ecp5-85k`` (median -2.8%, -3.8% in all), the same FFs and block
#: RAMs, and a LUT count the area model follows about twice as closely
#: (``bench/results/area_qmlp_ecp5-85k-area.md``); ``pim-v1`` designs 1.6-38.6% fewer (median
#: 10.8%), with a model that meets its target here and not on ``ecp5-85k``
#: (``bench/results/area_pim_ecp5-85k-area.md``). Placed designs may run slower: ABC
#: stops at the clock's period (with its 300 ps per wire), and nextpnr reports what is met.
_ECP5_AREA = dataclasses.replace(
    _ECP5, name="ecp5-85k-area",
    description="Lattice ECP5 LFE5U-85F as ecp5-85k, LUTs mapped to the clock constraint "
                "(abc9 -D <period>): area recovered wherever the clock allows",
    abc9_mapping=("techmap -map +/lattice/latches_map.v", "abc9 -W 300 -D {period_ps}",
                  "clean"))


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target(
        name="ice40-up5k",
        description="Lattice iCE40 UltraPlus UP5K (SG48), nextpnr-ice40; pins: iCEBreaker",
        synth_command="synth_ice40 -dsp -top {top}", constraint_file="ice40-up5k.pcf",
        default_clock_mhz=12.0, synth_cells=_ICE40_CELLS, pnr_tool=NEXTPNR_ICE40,
        pnr_args=("--up5k", "--package", "sg48"), constraint_flag="--pcf",
        bitstream_output=("--asc", "top.asc"),
        bitstream_command="yowasp-icepack top.asc top.bin",
        pnr_cells={"ICESTORM_LC": "lut", "ICESTORM_DSP": "dsp", "ICESTORM_RAM": "bram"},
        abc9_label="map_luts",
        # synth_ice40's map_luts step with ABC's area-oriented LUT mapping for abc9
        abc9_fallback=("techmap -map +/ice40/latches_map.v", "abc -dress -lut 4",
                       "ice40_wrapcarry -unwrap", "techmap -map +/ice40/ff_map.v", "clean",
                       "opt_lut -tech ice40"),
        abc9_resume_label="map_cells"),
    _ECP5,
    _ECP5_LUT4_ONLY,
    _ECP5_AREA,
    _artix7("XC7A35T", {"lut": 20_800, "ff": 41_600, "dsp": 90, "bram": 50}),
    _artix7("XC7A100T", {"lut": 63_400, "ff": 126_800, "dsp": 240, "bram": 135}),
    Target(
        name="generic",
        description="Yosys generic gate library (synth -flatten): gates, flip-flops and "
                    "NAND2 gate equivalents",
        synth_command="synth -flatten -top {top}", constraint_file="generic.sdc",
        # gates and flip-flops ($_*DFF*_, $_DLATCH*_) are told apart by cell name
        default_clock_mhz=100.0, synth_cells={}),
)}


def target_names() -> list[str]:
    return sorted(TARGETS)


def get_target(name: str) -> Target:
    """The target called ``name``.

    Raises:
        UnknownTargetError: naming the valid targets.
    """
    if name not in TARGETS:
        raise UnknownTargetError(
            f"`target` must be one of {', '.join(target_names())}, not {name!r}")
    return TARGETS[name]
