"""A design's Verilog from the emission cache (``flows.verilog``) builds the same simulator
as the freshly emitted one: same build key, so a cached run never rebuilds."""

from __future__ import annotations

from hw.bitserial import BitSerialParams
from hw.systolic import SystolicParams
from sim.activity import emit_instrumented
from sim.runner import build_key


def test_cached_verilog_has_the_build_key_of_fresh_verilog(tmp_path, monkeypatch):
    from sim import activity

    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path))
    designs = (SystolicParams(rows=2, cols=3), BitSerialParams(rows=2, cols=2))
    fresh = [emit_instrumented(params, cache=False) for params in designs]
    for params in designs:
        emit_instrumented(params)  # stored

    def no_emission(*args, **kwargs):
        raise AssertionError("emitted again: the cache did not answer")

    monkeypatch.setattr(activity, "_instrumented", no_emission)
    for params, emitted in zip(designs, fresh, strict=True):
        cached = emit_instrumented(params)  # from the cache, or the AssertionError above
        assert build_key(cached) == build_key(emitted)
