"""A design's Verilog from the emission cache (``flows.verilog``) builds the same simulator
as the freshly emitted one: same build key, so a cached run never rebuilds."""

from __future__ import annotations

from hw.bitserial import BitSerialParams
from hw.systolic import SystolicParams
from sim.activity import emit_instrumented
from sim.runner import build_key


def test_cached_verilog_has_the_build_key_of_fresh_verilog(tmp_path, monkeypatch):
    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path))
    for params in (SystolicParams(rows=2, cols=3), BitSerialParams(rows=2, cols=2)):
        fresh = emit_instrumented(params, cache=False)
        emit_instrumented(params)  # stored
        cached = emit_instrumented(params)
        assert build_key(cached) == build_key(fresh)
