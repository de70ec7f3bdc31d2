"""The interactive report, `pareto.html`, loaded in a real browser (headless Chromium): the
Pareto front is drawn on top of the other designs and joined, on log axes where a metric
spans decades, with hover text naming the design and its RTL-check status."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from dse.records import ATTR_PREFIX
from dse.report import trial_records, write_report
from dse.spec import parse_spec
from dse.study import explore

SPEC = """
name = "report"
generator = "systolic"
target = "ecp5-85k"
[space]
rows = [1, 2, 4, 8, 16]
cols = [1, 2, 4, 8, 16]
input_width = [8]
acc_width = 32
dataflow = ["os", "ws"]
[[workload]]
gemm = "64x64x64"
[objectives]
latency_cycles = "minimize"
lut = "minimize"
[constraints]
lut = { max = 8000 }
"""


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("HWDSE_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required (HWDSE_REQUIRE_CHROMIUM) but not installed")
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does)")
    return found


def _rendered(browser: str, page) -> str:
    """The page's DOM after its scripts ran (plotly draws SVG)."""
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
         "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_the_browser_renders_the_front_on_top_joined_on_log_axes(tmp_path):
    browser = _chromium()
    spec = parse_spec(SPEC)
    study = explore(spec, tmp_path / "run", trials=40, sampler="random", seed=0)
    front = [r for r in trial_records(study) if r["pareto"]]
    checked = front[0]["number"]
    study.set_user_attr(f"{ATTR_PREFIX}{checked}", {
        "trial": checked, "params": front[0]["params"], "error": "", "synth": None,
        "layers": [{"layer": "l0", "gemm": "64x64x64", "model_cycles": 1, "rtl_cycles": 1,
                    "passed": True, "skipped": "", "agrees": True}]})
    write_report(spec, study, tmp_path / "report", top=0)
    page = tmp_path / "report" / "pareto.html"
    source = page.read_text()
    figure = json.loads(re.search(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{",
                                  source, re.S).group(1))
    assert [trace["name"] for trace in figure][-1] == "Pareto front"  # drawn last: on top
    pareto = figure[-1]
    assert pareto["mode"] == "lines+markers" and pareto["x"] == sorted(pareto["x"])
    assert len(pareto["x"]) == len(front) >= 3
    hover = dict(zip(pareto["x"], pareto["text"], strict=True))
    assert any("RTL check: agrees" in text and f"trial {checked}<br>" in text
               for text in hover.values())
    assert all("rows = " in text and "RTL check: " in text for text in hover.values())
    assert '"type":"log"' in source.replace(" ", "")  # latency and LUTs span decades

    dom = _rendered(browser, page)
    assert dom.count('class="scatterlayer') == 1  # two objectives: one plot
    traces = re.split(r'<g class="trace scatter', dom[dom.index('class="scatterlayer'):])[1:]
    assert len(traces) >= 2
    last = traces[-1]  # the front: the last trace drawn
    assert re.search(r'class="js-line" d="M[^"]+L', last), "the front is not joined"
    blue = re.findall(r'class="point"[^>]*fill: rgb\(31, 119, 180\)', last)
    assert len(blue) == len(front)
    grey = re.findall(r'class="point"[^>]*fill: rgb\(158, 158, 158\)', dom)
    assert grey, "the other feasible designs are drawn too"
