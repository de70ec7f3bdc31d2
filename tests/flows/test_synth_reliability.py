"""Reliability of the synthesis cache (issue 15): simultaneous runs of one design and
target synthesize once; the second waits for the first and reuses its result."""

from __future__ import annotations

import json
import os

import pytest

from tests.processes import run_at_once

pytestmark = pytest.mark.synth


def test_simultaneous_runs_of_one_design_synthesize_once(tmp_path):
    env = dict(os.environ, HWDSE_CACHE=str(tmp_path))
    code = ("import json\n"
            "from flows.synth import synthesize\n"
            "from hw.systolic import SystolicParams\n"
            "result = synthesize(SystolicParams(rows=2, cols=2), 'generic')\n"
            "print(json.dumps(result.to_json()))\n")
    payloads = [json.loads(line) for line in run_at_once(code, env)]
    assert sorted(p["cached"] for p in payloads) == [False, True]
    assert payloads[0] | {"cached": False} == payloads[1] | {"cached": False}
    entries = [p.name for p in (tmp_path / "synth").iterdir() if not p.name.endswith(".lock")]
    assert entries == [payloads[0]["content_hash"]]
