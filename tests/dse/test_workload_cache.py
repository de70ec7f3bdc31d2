"""Imported workloads are remembered on disk, so a spec that names a model loads without
tracing it again; a change to the model's code, the importers or the options is a new
entry."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from dse.workload.sources import cached_source

ROOT = Path(__file__).resolve().parents[2]


def test_the_main_job_spec_loads_from_the_cache_without_torch(tmp_path):
    code = textwrap.dedent("""
        import json, sys
        from dse.spec import load_spec
        spec = load_spec("examples/accel_cnn.toml")
        print(json.dumps({"torch": "torch" in sys.modules,
                          "layers": [[l.name, str(l.gemm), l.count] for l in spec.workload]}))
    """)
    env = {"HWDSE_CACHE": str(tmp_path), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    runs = [json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                                      capture_output=True, text=True, check=True,
                                      timeout=300).stdout) for _ in range(2)]
    assert runs[0]["torch"] and not runs[1]["torch"]
    assert runs[0]["layers"] == runs[1]["layers"] == [
        ["conv1", "1024x27x16", 1], ["conv2.0", "256x144x32", 2], ["fc", "1x2048x10", 1]]


def test_a_changed_module_is_imported_again(tmp_path, monkeypatch):
    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path / "cache"))
    package = tmp_path / "pkg_cache_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    net = package / "net.py"
    template = ("import torch\n"
                "def make():\n"
                "    return torch.nn.Linear(4, {outputs})\n")
    net.write_text(template.format(outputs=3))
    monkeypatch.syspath_prepend(str(tmp_path))
    first = cached_source("pkg_cache_probe.net:make", input_shape=[2, 4])
    assert [str(layer.gemm) for layer in first.layers] == ["2x4x3"]
    assert len(list((tmp_path / "cache" / "workloads").glob("*.json"))) == 1
    again = cached_source("pkg_cache_probe.net:make", input_shape=[2, 4])
    assert again == first
    net.write_text(template.format(outputs=5))  # same options, new code
    sys.modules.pop("pkg_cache_probe.net", None)
    changed = cached_source("pkg_cache_probe.net:make", input_shape=[2, 4])
    assert [str(layer.gemm) for layer in changed.layers] == ["2x4x5"]
    assert len(list((tmp_path / "cache" / "workloads").glob("*.json"))) == 2
