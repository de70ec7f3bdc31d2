"""Pure tests of the activity counts and the energy model; tests/sim/test_activity_rtl.py
holds the counts against the RTL's counters."""

from __future__ import annotations

import dataclasses
import tomllib
from importlib import resources

import pytest

from dse.models.energy import (
    DEFAULT_TABLE,
    EnergyTableError,
    ScaledEnergy,
    default_energy_table,
    load_energy_table,
)
from dse.models.registry import family_models, names
from dse.models.systolic import (
    ACTIVITY_EVENTS,
    SystolicActivity,
    activity,
    energy,
    energy_from_counters,
)
from dse.workload import Gemm
from hw.registry import UnknownGeneratorError
from hw.systolic import SystolicParams

OS_8X8 = SystolicParams(rows=8, cols=8, dataflow="os")
WS_8X8 = SystolicParams(rows=8, cols=8, dataflow="ws")
CUBE = Gemm(64, 64, 64)


def default_text() -> str:
    return resources.files("dse.models").joinpath(DEFAULT_TABLE).read_text()


def test_activity_hand_checked():
    # 5x7x4 on 4x3 OS: 2x2 tiles of 7 beats, each through 12 PEs with 4 + 3 elements
    os_counts = activity(SystolicParams(rows=4, cols=3), Gemm(5, 7, 4))
    assert os_counts == SystolicActivity(pe_macs=28 * 12, operand_words=28 * 7,
                                         result_words=4 * 12, acc_reads=0, acc_writes=0,
                                         weight_writes=0, weight_swaps=0)
    # WS, acc_depth 2: 2 N tiles x 3 M blocks x 2 K tiles; 5 rows x 2 K tiles per N tile
    ws_counts = activity(SystolicParams(rows=4, cols=3, dataflow="ws", acc_depth=2),
                         Gemm(5, 7, 4))
    assert ws_counts == SystolicActivity(
        pe_macs=2 * 2 * 5 * 12, operand_words=2 * 2 * 5 * 4 + 2 * 3 * 7 * 3,
        result_words=2 * 5 * 3, acc_reads=2 * 5, acc_writes=2 * 5,
        weight_writes=2 * 3 * 7 * 3, weight_swaps=2 * 3 * 2 * 12)


@pytest.mark.parametrize("params", [OS_8X8, WS_8X8])
def test_no_padding_means_every_mac_is_useful(params):
    assert activity(params, CUBE).pe_macs == CUBE.macs
    assert activity(params, CUBE).result_words == 64 * 64


def test_activity_names_match_the_counters_contract():
    assert tuple(f.name for f in dataclasses.fields(SystolicActivity)) == ACTIVITY_EVENTS
    counts = activity(WS_8X8, Gemm(9, 17, 5))
    assert SystolicActivity.from_counters({**counts.to_dict(), "operand_beats": 3}) == counts
    partial = {k: v for k, v in counts.to_dict().items() if k != "acc_writes"}
    with pytest.raises(KeyError, match=r"^\"counters lack activity count 'acc_writes'"):
        SystolicActivity.from_counters(partial)


def test_default_table_is_the_cited_one():
    table = default_energy_table()
    assert (table.name, table.node, table.voltage) == ("horowitz-45nm", "45 nm", "0.9 V")
    assert "ISSCC 2014" in table.source
    assert table.int_add.at(8) == pytest.approx(0.03)
    assert table.int_add.at(32) == pytest.approx(0.1)
    assert table.int_multiply.at(8) == pytest.approx(0.2)
    assert table.int_multiply.at(32) == pytest.approx(3.1)
    assert table.float_add is not None and table.float_add.at(16) == pytest.approx(0.4)
    assert table.float_multiply is not None and table.float_multiply.at(32) == pytest.approx(3.7)
    assert [table.sram_access_64b.at(kib) for kib in (8, 32, 1024)] == pytest.approx(
        [10.0, 20.0, 100.0])
    dram = table.dram_access_64b
    assert (dram.low_pj, dram.energy_pj, dram.high_pj) == (1300.0, 1950.0, 2600.0)
    assert table.register_write_bit.node == "40 nm" and "Aladdin" in table.register_write_bit.source


def test_scaling_rule_between_and_beyond_cited_points():
    table = default_energy_table()
    # between cited widths: log-log interpolation (16 bits is the geometric midpoint)
    assert table.int_multiply.at(16) == pytest.approx((0.2 * 3.1) ** 0.5)
    assert table.int_add.at(16) == pytest.approx((0.03 * 0.1) ** 0.5)
    # beyond: the entry's power law from the nearest cited width
    assert table.int_multiply.at(4) == pytest.approx(0.2 / 4)
    assert table.int_multiply.at(64) == pytest.approx(3.1 * 4)
    assert table.int_add.at(40) == pytest.approx(0.1 * 40 / 32)
    assert table.sram_access_64b.at(2) == pytest.approx(5.0)
    assert ScaledEnergy(((8.0, 1.0),), 1.0, "", "").at(16) == 2.0
    with pytest.raises(ValueError, match=r"^size must be positive, not 0$"):
        table.int_add.at(0)


def test_pinned_energy_8x8_os_int8_64_cubed():
    report = energy(OS_8X8, CUBE)
    assert report.components() == pytest.approx({
        "mac": 262144 * 0.3,                         # int8 multiply + int32 add
        "pe_registers": 262144 * 48 * 0.009,         # A, B forwarded + 32-bit accumulator
        "weight_registers": 0.0, "accumulator": 0.0,
        "offchip": (65536 * 8 + 4096 * 32) / 64 * 1950.0,
    })
    assert report.total_pj == pytest.approx(20_159_889.408)
    assert report.pj_per_mac == pytest.approx(76.903875)
    assert report.on_chip_pj == pytest.approx(191_889.408)
    assert report.total_range_pj == pytest.approx((13_503_889.408, 26_815_889.408))
    assert report.table == "horowitz-45nm" and report.useful_macs == 262144


def test_pinned_energy_8x8_ws_int8_64_cubed():
    report = energy(WS_8X8, CUBE)
    assert report.components() == pytest.approx({
        "mac": 78643.2, "pe_registers": 94371.84, "weight_registers": 589.824,
        # 7168 row accesses of 256 bits to a 2 KiB SRAM (5 pJ per 64 bits)
        "accumulator": 143360.0, "offchip": 12_979_200.0})
    assert report.total_pj == pytest.approx(13_296_164.864)
    assert report.pj_per_mac == pytest.approx(50.72084375)


def test_energy_from_counters_equals_the_prediction_on_the_same_counts():
    params = SystolicParams(rows=5, cols=3, dataflow="ws", acc_depth=4, input_width=12,
                            acc_width=30)
    gemm = Gemm(11, 13, 7)
    counters = {**activity(params, gemm).to_dict(), "operand_beats": 1, "result_beats": 2}
    assert energy_from_counters(params, counters, gemm.macs) == energy(params, gemm)
    with pytest.raises(ValueError, match=r"^`useful_macs` must be a positive integer, not 0$"):
        energy_from_counters(params, counters, 0)


def test_registry_knows_the_energy_model():
    assert set(names()) == {"systolic-v1", "bitserial-v1", "pim-v1", "qmlp-v1", "accel-v1"}
    assert family_models("systolic-v1").energy is energy
    with pytest.raises(UnknownGeneratorError, match=r"^no analytic models for 'nope'; known: "):
        family_models("nope")


def test_user_table_overrides_the_default(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(default_text()
                    .replace('name = "horowitz-45nm"', 'name = "mine"')
                    .replace("points = { 8 = 0.2, 32 = 3.1 }", "points = { 8 = 0.4, 32 = 6.2 }")
                    .replace("energy_pj = 1950.0", "energy_pj = 1300.0"))
    table = load_energy_table(path)
    assert table.name == "mine"
    default, mine = energy(OS_8X8, CUBE), energy(OS_8X8, CUBE, table)
    assert mine.table == "mine"
    assert mine.components()["mac"] - default.components()["mac"] == pytest.approx(262144 * 0.2)
    assert mine.offchip_pj == pytest.approx(default.offchip_low_pj)
    assert mine.components()["pe_registers"] == default.components()["pe_registers"]


def test_optional_entries_may_be_left_out(tmp_path):
    text = default_text()
    path = tmp_path / "int-only.toml"
    path.write_text(text.split("[float_add]")[0] + "[sram_access_64b]"
                    + text.split("[sram_access_64b]")[1])
    assert "float" not in tomllib.loads(path.read_text())
    table = load_energy_table(path)
    assert table.float_add is None and table.float_multiply is None
    assert energy(OS_8X8, CUBE, table) == energy(OS_8X8, CUBE)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace("[int_multiply]", "[int_mul]"),
     r"unknown entry `int_mul`; known: table, int_add, int_multiply, float_add, "),
    (lambda t: t.replace("[register_write_bit]", "[float_divide]"),
     r"unknown entry `float_divide`"),
    (lambda t: t.split("[register_write_bit]")[0], r"missing entry `register_write_bit`$"),
    (lambda t: t.replace("low_pj = 1300.0", "low = 1300.0"),
     r"unknown key `dram_access_64b.low`; known: energy_pj, low_pj, high_pj, node, source$"),
    (lambda t: t.replace("exponent = 2.0", ""), r"missing key `int_multiply.exponent`$"),
    (lambda t: t.replace('name = "horowitz-45nm"\n', ""), r"missing key `table.name`$"),
    (lambda t: t.replace("energy_pj = 1950.0", 'energy_pj = "a lot"'),
     r"`dram_access_64b.energy_pj` must be a positive number, not 'a lot'$"),
    (lambda t: t.replace("energy_pj = 1950.0", "energy_pj = 3000.0"),
     r"`dram_access_64b` must have low_pj <= energy_pj <= high_pj, "
     r"not 1300\.0 / 3000\.0 / 2600\.0$"),
    (lambda t: t.replace("8 = 0.2,", "8 = -0.2,"),
     r"`int_multiply.points.8` must be a positive number, not -0\.2$"),
    (lambda t: t.replace("8 = 0.2,", "eight = 0.2,"),
     r"`int_multiply.points` sizes must be positive numbers, not 'eight'$"),
    (lambda t: t.replace("points = { 8 = 0.2, 32 = 3.1 }", "points = 0.2"),
     r"`int_multiply.points` must map sizes to energies in pJ, not 0\.2$"),
    (lambda t: t + "\n[table2\n", r"not valid TOML: "),
])
def test_bad_tables_name_the_key(tmp_path, edit, message):
    path = tmp_path / "bad.toml"
    path.write_text(edit(default_text()))
    with pytest.raises(EnergyTableError, match=rf"^energy table {path}: {message}"):
        load_energy_table(path)


def test_scalar_where_an_entry_belongs(tmp_path):
    path = tmp_path / "bad.toml"
    text = default_text()
    head, _, tail = text.partition("[int_add]")
    path.write_text("int_add = 3\n" + head + tail.split("\n", 3)[3])
    with pytest.raises(EnergyTableError,
                       match=rf"^energy table {path}: `int_add` must be a table of keys, not 3$"):
        load_energy_table(path)
