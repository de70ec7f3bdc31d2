"""The pure logic of ``bench/scalesim/accel_compare.py``: the SCALE-Sim SRAM sizes that
match an accelerator's buffers, the legal mapping closest to SCALE-Sim's schedule, and the
size of SCALE-Sim's demand matrices."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from dse.workload import Gemm
from hw.accel import AccelParams
from hw.accel.tiling import Mapping, padded_k, padded_m, refusal

BENCH = Path(__file__).resolve().parents[2] / "bench" / "scalesim"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def compare() -> ModuleType:
    return _load("accel_compare")


GEMMS = [Gemm(64, 64, 64), Gemm(512, 512, 512), Gemm(784, 64, 128), Gemm(49, 256, 512),
         Gemm(17, 33, 9), Gemm(49, 4608, 512), Gemm(1, 512, 1000)]


def test_sram_sizes_follow_the_buffers(compare: ModuleType) -> None:
    params = AccelParams(spad_kib=64, acc_kib=32)
    assert compare.scalesim_sram_kb(params) == {"ifmap_kb": 32, "filter_kb": 32,
                                                "ofmap_kb": 32}
    assert compare.scalesim_sram_kb(AccelParams(spad_kib=8, acc_kib=16)) == {
        "ifmap_kb": 4, "filter_kb": 4, "ofmap_kb": 16}


@pytest.mark.parametrize("dataflow", ["os", "ws"])
@pytest.mark.parametrize("gemm", GEMMS, ids=str)
def test_scalesim_like_mapping_is_legal_and_maximal(compare: ModuleType, dataflow: str,
                                                     gemm: Gemm) -> None:
    params = AccelParams(dataflow=dataflow, spad_kib=64, acc_kib=32, bus_bytes=8)
    mapping = compare.scalesim_like_mapping(params, gemm)
    assert refusal(params, gemm.m, gemm.k, gemm.n, mapping) is None
    assert mapping.order == "nmk"
    assert mapping.tn == params.n_granule
    # K: all of it, or no larger granule multiple fits next to the smallest TM
    if mapping.tk < padded_k(params, gemm.k):
        wider = Mapping(params.m_granule, mapping.tk + params.k_granule, mapping.tn, "nmk")
        assert refusal(params, gemm.m, gemm.k, gemm.n, wider) is not None
    # M: all of it, or one more granule is refused
    if mapping.tm < padded_m(params, gemm.m):
        taller = Mapping(mapping.tm + params.m_granule, mapping.tk, mapping.tn, "nmk")
        assert refusal(params, gemm.m, gemm.k, gemm.n, taller) is not None


@pytest.mark.parametrize("dataflow", ["os", "ws"])
def test_scalesim_lines_match_the_calc_closed_form(compare: ModuleType,
                                                   dataflow: str) -> None:
    closed = _load("compare").scalesim_closed_form
    params = AccelParams(dataflow=dataflow)
    for gemm in GEMMS:
        assert compare.scalesim_lines(params, gemm) == closed(8, 8, dataflow, gemm) + 1
