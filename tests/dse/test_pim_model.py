"""The PIM models without the simulator: command energies hand-checked from the cited IDD
data, command counts, the device model's timing rules."""

from __future__ import annotations

import pytest

from dse.models.pim import command_energies, cycles, energy
from dse.workload import Gemm
from hw.params import ParamError
from hw.pim import PimParams
from sim.pim.device import Channel, Command, TimingViolation


def test_hbm2_command_energies_from_idd():
    e = command_energies(PimParams(timing="hbm2", lanes=16))
    # VDD (IDD0 tRC - IDD3N tRAS - IDD2N tRP) tCK = 1.2 (65 x 48 - 55 x 34 - 40 x 14)
    assert e["ACT"] == pytest.approx(1.2 * (65 * 48 - 55 * 34 - 40 * 14))
    assert e["RD"] == pytest.approx(1.2 * (390 - 55) * 2)          # BL 4 / 2 cycles
    assert e["REF"] == pytest.approx(1.2 * (250 - 55) * 260)
    assert e["background"] == pytest.approx(1.2 * 55)
    assert e["MAC"] > e["RD"]                                       # + 16 multiply-adds


def test_ddr4_counts_eight_devices_per_channel():
    e = command_energies(PimParams(timing="ddr4"))
    assert e["RD"] == pytest.approx(1.2 * (135 - 43) * 4 * 0.833 * 8)


def test_counts_and_pim_beats_the_host():
    gemm = Gemm(256, 768, 1)
    pim, host = PimParams(pim_mode="all-bank"), PimParams(pim_mode="none")
    p, h = cycles(pim, gemm), cycles(host, gemm)
    assert p.bank_operations["MAC"] == 256 * 768 // 16   # every 16-element column once
    assert h.bank_operations["RD"] == 256 * 768 // 16
    assert p.bank_operations["RDRES"] == 256             # one result per matrix row
    assert h.cycles > 3 * p.cycles
    assert energy(pim, gemm).total_pj < energy(host, gemm).total_pj


def test_a_gemm_is_refused():
    with pytest.raises(ParamError, match=r"N must be 1, not 4"):
        cycles(PimParams(), Gemm(8, 8, 4))


def _channel() -> Channel:
    timing = {"rcd": 14, "rp": 14, "ras": 34, "ccd": 2, "rrd": 6, "faw": 30, "rtp": 6,
              "cl": 14, "refi": 3900, "rfc": 260}
    return Channel(0, 2, timing, {"rows": 8, "columns": 4, "lanes": 2, "chunks": 2},
                   {(0, 0, 0): [1, 2], (0, 0, 1): [3, 4]}, [5, 6, 7, 8], 8, 32)


def cmd(kind: str, bank: int = 0, row: int = 0, col: int = 0, last: bool = False) -> Command:
    return Command(kind, False, bank, row, col, last)


def test_device_computes_and_returns_after_cl():
    channel = _channel()
    channel.step(0, cmd("ACT"))
    channel.step(14, cmd("MAC", col=0))
    channel.step(16, cmd("MAC", col=1, last=True))
    channel.step(18, cmd("RDRES"))
    assert channel.data_due(32) == 1 * 5 + 2 * 6 + 3 * 7 + 4 * 8


@pytest.mark.parametrize(("steps", "rule"), [
    ([(0, cmd("ACT")), (13, cmd("MAC"))], "tRCD: 13 < 14"),
    ([(0, cmd("ACT")), (14, cmd("MAC")), (15, cmd("MAC", col=1))], "tCCD: 1 < 2"),
    ([(0, cmd("ACT")), (33, cmd("PRE"))], "tRAS: 33 < 34"),
    ([(0, cmd("ACT")), (40, cmd("PRE")), (53, cmd("ACT"))], "tRP: 13 < 14"),
    ([(0, cmd("ACT")), (5, cmd("ACT", bank=1))], "tRRD: 5 < 6"),
    ([(0, cmd("ACT")), (14, cmd("MAC")), (34, cmd("PRE")), (36, cmd("ACT")),
      ], "tRP: 2 < 14"),
    ([(0, cmd("MAC"))], "bank 0 is closed"),
    ([(0, cmd("RDRES"))], "holds no sum"),
    ([(0, cmd("ACT")), (40, Command("REF", True, 0, 0, 0, False))], "bank 0 is open"),
    ([(40_000, cmd("NOP"))], "no REF for 40000 cycles"),
])
def test_device_rejects_every_early_command(steps, rule):
    channel = _channel()
    with pytest.raises(TimingViolation, match=rule):
        for when, command in steps:
            channel.step(when, command)
