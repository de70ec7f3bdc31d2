"""accel-v1 models, pure: what holds by construction (the RTL tests hold them equal to the
simulation: tests/sim/test_accel_rtl.py)."""

from __future__ import annotations

import pytest

from dse.models.accel import (
    AccelActivity,
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
