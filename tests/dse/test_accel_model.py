"""accel-v1 models, pure: what holds by construction (the RTL tests hold them equal to the
simulation: tests/sim/test_accel_rtl.py)."""

from __future__ import annotations

import pytest

from dse.models.accel import (
    AccelActivity,
    AccelBitSerialActivity,
    bram_blocks,
    buffer_memories,
    cycles,
    energy,
    energy_from_counters,
)
from dse.models.energy import default_energy_table
from dse.models.registry import family_models
from dse.workload import Gemm
from hw.accel import AccelParams
from hw.accel.tiling import Mapping, dram_bytes
from hw.params import ParamError


def test_registered_and_exact():
    record = family_models("accel-v1")
    assert record.cycles is cycles and record.tolerance == 0.0


def test_refused_mapping_raises():
    with pytest.raises(ParamError, match=r"^`tiles` 64x8x64 is refused by accel-v1"):
        cycles(AccelParams(), Gemm(64, 64, 64), "64x8x64")


def test_report_is_consistent():
    params = AccelParams()
    gemm = Gemm(100, 70, 50)
    report = cycles(params, gemm, Mapping(32, 70, 16, "nmk"), bandwidth=2, latency=40)
    read, written = dram_bytes(params, 100, 70, 50, report.mapping)
    assert (report.activity.dram_read_bytes, report.activity.dram_write_bytes) == (read,
                                                                                   written)
    assert report.cycles > report.compute_bound and 0 < report.utilization < 1
    assert report.stall_cycles < report.cycles
    # at 2 bytes per cycle the DRAM moves 8-byte beats every 4 cycles: a floor on cycles
    assert report.cycles >= (read + written) // 2


def test_more_bandwidth_never_costs_cycles():
    params = AccelParams()
    gemm = Gemm(64, 64, 64)
    by_bandwidth = [cycles(params, gemm, "32x32x32", bandwidth, 40).cycles
                    for bandwidth in (1, 2, 4, 8)]
    assert by_bandwidth == sorted(by_bandwidth, reverse=True)
    assert cycles(params, gemm, "32x32x32", 16, 40).cycles == by_bandwidth[-1]  # bus-bound


def test_energy_components_and_counters_agree():
    params = AccelParams(spad_kib=64, acc_kib=32)
    gemm = Gemm(64, 64, 64)
    report = energy(params, gemm, mapping="32x64x32", bandwidth=8, latency=40)
    activity = cycles(params, gemm, "32x64x32", 8, 40).activity
    assert isinstance(report.activity, AccelActivity) and report.activity == activity
    table = default_energy_table()
    dram_bits = 8 * (activity.dram_read_bytes + activity.dram_write_bytes)
    assert report.offchip_pj == pytest.approx(dram_bits / 64 * table.dram_access_64b.energy_pj)
    assert set(report.on_chip) >= {"core_mac", "scratchpad", "accumulator"}
    again = energy_from_counters(params, activity.to_dict(), gemm.macs)
    assert again.total_pj == pytest.approx(report.total_pj)


def test_buffers_and_brams():
    params = AccelParams(spad_kib=64, acc_kib=32)
    memories = buffer_memories(params)
    total_bits = sum(width * depth for width, depth in memories.values())
    assert total_bits == (64 + 32) * 1024 * 8
    # one DP16KD holds 18 Kbit (16 Kbit of data at byte widths): at least 48 are needed
    assert bram_blocks(params) >= total_bits // (16 * 1024)


# --- the bit-serial core ---------------------------------------------------------------

BITSERIAL = AccelParams(core="bitserial", rows=2, cols=4, lanes=4, spad_kib=4, acc_kib=4)


def test_bitserial_report_and_precision():
    gemm = Gemm(20, 30, 17, bits=3)
    report = cycles(BITSERIAL, gemm, "8x16x8", bandwidth=2, latency=3, order="nmk")
    assert isinstance(report.activity, AccelBitSerialActivity)
    read, written = dram_bytes(BITSERIAL, 20, 30, 17, report.mapping)
    assert (report.activity.dram_read_bytes, report.activity.dram_write_bytes) == (read,
                                                                                   written)
    # every beat: one A and one B word; 3 planes of 4 chunks per core tile
    core_tiles = 10 * 5 * 2      # core rows of M (padded to 20), columns of N (20), K tiles
    assert report.activity.spad_reads == 2 * core_tiles * 4 * 3
    assert report.activity.core_pe_steps == core_tiles * 4 * 3 * BITSERIAL.pes
    assert report.compute_bound == -(-gemm.macs * 3 // (BITSERIAL.pes * 4))
    # the default precision is max_bits; fewer planes never cost cycles
    by_bits = [cycles(BITSERIAL, Gemm(20, 30, 17, bits=b), "8x16x8", 8, 3).cycles
               for b in (1, 2, 4, 8)]
    assert by_bits == sorted(by_bits)
    assert cycles(BITSERIAL, Gemm(20, 30, 17), "8x16x8", 8, 3).cycles == by_bits[-1]


def test_bitserial_refuses_what_it_cannot_run():
    with pytest.raises(ParamError, match=r"^`bits` must be an integer in 1\.\.8, not 9$"):
        cycles(BITSERIAL, Gemm(8, 8, 8, bits=9))
    with pytest.raises(ParamError, match=r"^`bits` must be one integer per accel-v1 job"):
        cycles(BITSERIAL, Gemm(8, 8, 8, bits=(2, 4)))
    with pytest.raises(ParamError, match=r"^accel-v1 takes no `group_size`"):
        cycles(BITSERIAL, Gemm(8, 8, 8, bits=2, group_size=4))
    with pytest.raises(ParamError, match=r"^`bits` applies only to core 'bitserial'"):
        cycles(AccelParams(), Gemm(8, 8, 8, bits=4))
    with pytest.raises(ParamError, match=r"is refused by accel-v1: TK = 6 is not a multiple"):
        cycles(BITSERIAL, Gemm(8, 8, 8), "2x6x4")


def test_bitserial_energy_components_and_counters_agree():
    gemm = Gemm(16, 64, 16, bits=5)
    report = energy(BITSERIAL, gemm, mapping="16x32x16", bandwidth=1, latency=20)
    activity = cycles(BITSERIAL, gemm, "16x32x16", 1, 20).activity
    assert report.activity == activity
    assert set(report.on_chip) >= {"core_pe_adders", "core_pe_registers",
                                   "core_input_registers", "scratchpad", "accumulator"}
    assert "core_offchip" not in report.on_chip
    table = default_energy_table()
    dram_bits = 8 * (activity.dram_read_bytes + activity.dram_write_bytes)
    assert report.offchip_pj == pytest.approx(dram_bits / 64 * table.dram_access_64b.energy_pj)
    again = energy_from_counters(BITSERIAL, activity.to_dict(), gemm.macs)
    assert again.total_pj == pytest.approx(report.total_pj)
    with pytest.raises(KeyError, match="core_pe_steps"):
        energy_from_counters(BITSERIAL, {"dram_read_bytes": 0}, gemm.macs)


def test_bitserial_buffers_and_brams():
    params = AccelParams(core="bitserial", rows=8, cols=8, lanes=8, spad_kib=64, acc_kib=32)
    memories = buffer_memories(params)
    assert set(memories) == {"spad_a", "spad_b", "acc0", "acc1"}
    assert memories["spad_a"] == (8 * 64, 64 * 1024 // 2 // 64)   # a word per core beat
    total_bits = sum(width * depth for width, depth in memories.values())
    assert total_bits == (64 + 32) * 1024 * 8
    # the same memories as the systolic core's with the same word widths
    twin = AccelParams(rows=64, cols=64, spad_kib=64, acc_kib=32)
    assert buffer_memories(twin)["spad_a"] == memories["spad_a"]
    assert bram_blocks(params) > 0


def test_a_cores_energy_refuses_the_other_cores_events():
    """The bit-serial core's energy is not computed from the systolic core's events (the
    mapper costs each core with its own record: tests/dse/test_mapping.py)."""
    from dse.models.accel import energy_of_activity_core

    systolic_counts = AccelActivity(**dict.fromkeys(AccelActivity.events(), 1))
    with pytest.raises(ParamError, match=r"^accel-v1 with core 'bitserial' counts its own "
                                         r"core's events \(AccelBitSerialActivity\), not "
                                         r"AccelActivity's$"):
        energy_of_activity_core(BITSERIAL, systolic_counts, 1, default_energy_table())
