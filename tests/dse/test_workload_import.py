"""The workload front end: lowering of PyTorch modules and ONNX files, transformer phases
against their closed form, specs with imported networks, and bad inputs (exit 2)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from dse.spec import SpecError, load_spec, parse_spec
from dse.workload import Gemm, Layer, Workload, WorkloadError
from dse.workload.nets import small_cnn
from dse.workload.onnx_import import from_onnx, layer_name
from dse.workload.sources import transformer
from dse.workload.torch_import import from_shape
from hw.params import ParamError

ROOT = Path(__file__).resolve().parents[2]


def torch_macs(module: nn.Module, shape: tuple[int, ...]) -> int:
    """torch's own count: FlopCounterMode on a forward pass (meta tensors), halved."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(torch.zeros(shape, device=next(module.parameters()).device))
    return counter.get_total_flops() // 2


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv1(x))) + x


class UserNet(nn.Module):
    """Stride, padding, dilation, groups (depthwise and grouped), linear, matmul and bmm."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.layers = nn.Sequential(Block(), Block())
        self.dw = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8)
        self.grouped = nn.Conv2d(8, 16, 1, groups=2)
        self.fc = nn.Linear(16, 10)
        self.weight = nn.Parameter(torch.zeros(10, 5))
        self.proj = nn.Linear(5, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.grouped(self.dw(self.layers(torch.relu(self.conv(x)))))
        y = self.fc(x.mean((2, 3)))
        a = y.unsqueeze(1)
        scores = torch.bmm(a.transpose(1, 2), a)
        return self.proj((y @ self.weight).unsqueeze(1)).sum() + scores.sum()


def test_user_module_lowered_and_counted_as_torch_does() -> None:
    workload = from_shape(UserNet(), (2, 3, 16, 16), source="user")
    assert workload.total_macs == torch_macs(UserNet(), (2, 3, 16, 16))
    ops = [(layer.name, layer.op, str(layer.gemm), layer.batch) for layer in workload.layers]
    assert ops == [
        ("conv", "conv2d", "128x27x8", 1),
        ("layers.0.conv1", "conv2d", "128x72x8", 1),
        ("layers.1.conv1", "conv2d", "128x72x8", 1),
        ("dw", "conv2d-depthwise", "128x9x1", 8),  # one GEMM per channel, never dense
        ("grouped", "conv2d-grouped", "128x4x8", 2),
        ("fc", "linear", "2x16x10", 1),
        ("matmul", "matmul", "10x1x10", 2),
        ("linear", "linear", "2x10x5", 1),
        ("proj", "linear", "2x5x6", 1),
    ]
    skipped = dict(workload.skipped_ops)
    assert skipped["relu"] == 3 and skipped["batch_norm"] == 2 and skipped["add"] >= 2
    merged = workload.merged()
    assert [layer.count for layer in merged.layers][:2] == [1, 2]
    assert merged.total_macs == workload.total_macs


def test_onnx_export_gives_the_same_layers(tmp_path: Path) -> None:
    model = UserNet().eval()
    path = tmp_path / "user.onnx"
    torch.onnx.export(model, (torch.zeros(2, 3, 16, 16),), str(path), dynamo=False)
    assert from_onnx(path).layers == from_shape(model, (2, 3, 16, 16)).layers


def test_fx_fallback_where_export_cannot_go() -> None:
    class Branchy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.sum() > 0:  # data-dependent: torch.export refuses it
                x = x * 2
            return self.fc(x)

    workload = from_shape(Branchy(), (5, 4))
    assert [(layer.name, str(layer.gemm)) for layer in workload.layers] == [("fc", "5x4x3")]


def test_mac_operator_that_cannot_be_lowered_is_refused() -> None:
    class Upsample(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.up = nn.ConvTranspose2d(4, 4, 2, stride=2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.up(x)

    with pytest.raises(WorkloadError, match=r"^net: node '\w+' \(up\): operator "
                                            r"conv_transpose2d does MACs and cannot be "
                                            r"lowered to GEMMs$"):
        from_shape(Upsample(), (1, 4, 8, 8), source="net")


def closed_form_gpt2(phase: str, tokens: int) -> int:
    d, layers, vocab = 768, 12, 50257
    if phase == "prefill":
        return layers * (12 * tokens * d * d + 2 * tokens * tokens * d) + tokens * d * vocab
    return layers * (12 * d * d + 2 * d * (tokens + 1)) + d * vocab


@pytest.mark.parametrize("phase, tokens", [("prefill", 128), ("decode", 128)])
def test_gpt2_phases_match_the_closed_form(phase: str, tokens: int) -> None:
    workload = transformer("gpt2", phase, tokens)
    assert workload.total_macs == closed_form_gpt2(phase, tokens)
    shapes = {(str(layer.gemm), layer.batch) for layer in workload.merged().layers}
    if phase == "decode":  # GEMVs: weights (or the KV cache) first, N = 1
        assert {("2304x768x1", 1), ("768x768x1", 1), ("3072x768x1", 1), ("768x3072x1", 1),
                ("129x64x1", 12), ("64x129x1", 12), ("50257x768x1", 1)} == shapes


def test_llama_preset_has_grouped_query_attention_and_swiglu() -> None:
    layers = transformer("llama-3.2-1b", "decode", 64).merged().layers
    by_name = {layer.name.split("layers.0.")[-1]: layer for layer in layers}
    assert str(by_name["self_attn.k_proj"].gemm) == "512x2048x1"  # 8 KV heads x 64
    assert by_name["self_attn"].batch == 32  # every query head attends
    assert str(by_name["mlp.gate_proj"].gemm) == "8192x2048x1"
    assert by_name["mlp.gate_proj"].count == 32  # gate and up, 16 layers


def test_select_and_merge() -> None:
    workload = Workload("w", (Layer("a.0", Gemm(2, 3, 4), op="linear"),
                              Layer("b", Gemm(5, 5, 5), op="linear"),
                              Layer("a.1", Gemm(2, 3, 4), op="linear")))
    assert [layer.count for layer in workload.merged().layers] == [2, 1]
    assert [layer.name for layer in workload.select(r"^a\.").layers] == ["a.0", "a.1"]
    assert [layer.name for layer in workload.select(max_layers=1).layers] == ["a.0"]
    with pytest.raises(WorkloadError, match=r"^no layer of w matches `layers` = 'zz'"):
        workload.select("zz")


def test_onnx_layer_names() -> None:
    assert layer_name("/layer1/layer1.0/conv1/Conv", "conv2d") == "layer1.0.conv1"
    assert layer_name("/MatMul_1", "matmul") == "matmul"
    assert layer_name("conv_17", "conv2d") == "conv_17"


def test_onnx_dynamic_dimension_needs_a_value(tmp_path: Path) -> None:
    path = tmp_path / "dyn.onnx"
    torch.onnx.export(nn.Linear(4, 3), (torch.zeros(2, 4),), str(path), dynamo=False,
                      input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    with pytest.raises(WorkloadError, match=r"input 'x' has a dynamic dimension 'batch'"):
        from_onnx(path)
    assert str(from_onnx(path, (7, 4)).layers[0].gemm) == "7x4x3"


def test_small_cnn_matches_the_main_job_layers() -> None:
    """dse.workload.nets.SmallCnn lowers to exactly the layers the main job types."""
    spec = load_spec(ROOT / "dse" / "specs" / "accel_cnn.toml")
    merged = from_shape(small_cnn(), (1, 3, 32, 32)).merged()
    assert [(layer.gemm, layer.repeat) for layer in merged.layers] == \
        [(layer.gemm, layer.repeat) for layer in spec.workload]


SPEC = """
generator = "systolic"
[space]
rows = [2, 4]
cols = 4
[[workload]]
{entry}
[objectives]
latency_cycles = "minimize"
"""


def test_spec_with_a_python_model_regex_and_max_layers() -> None:
    spec = parse_spec(SPEC.format(entry='model = "dse.workload.nets:small_cnn"\n'
                                        'input_shape = [1, 3, 32, 32]\nlayers = "conv"\n'
                                        'repeat = 2'))
    assert [(layer.name, str(layer.gemm), layer.repeat) for layer in spec.workload] == \
        [("conv1", "1024x27x16", 2), ("conv2.0", "256x144x32", 4)]


@pytest.mark.parametrize("entry, message", [
    ('onnx = "../x.onnx"', r"`workload\[0\]`: `onnx` must name a file inside the spec's "
                           r"folder"),
    ('model = "hf:resnet18"', r"`workload\[0\]`: unknown model 'hf:resnet18'; did you mean "
                              r"hf:resnet-18"),
    ('transformer = "gpt2"\ntokens = 8\ninput_shape = [1]',
     r"`workload\[0\]`: `input_shape` does not apply to a `transformer` entry"),
    ('gemm = "2x2x2"\ntokens = 8', r"`workload\[0\].tokens` is for `model`, `onnx` or "
                                   r"`transformer` entries"),
])
def test_spec_errors(entry: str, message: str) -> None:
    with pytest.raises(SpecError, match="^" + message):
        parse_spec(SPEC.format(entry=entry))


@pytest.mark.parametrize("example", ["resnet18_systolic", "mobilenetv2_bitserial",
                                     "gpt2_decode_pim"])
def test_examples_load_and_evaluate(example: str) -> None:
    spec = load_spec(ROOT / "examples" / f"{example}.toml")
    assert len(spec.workload) > 3
    for point in spec.space.points():
        try:
            params = spec.space.params(point)
        except ParamError:
            continue
        break
    metrics = spec.evaluate(params)
    assert metrics["latency_cycles"] > 0 and metrics["energy_pj"] > 0


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows.cli", "workload", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, message", [
    (["README.md"], r"README\.md is not an ONNX file"),
    (["dse.workload.nets:small_cnn"], r"dse\.workload\.nets:small_cnn needs an input shape"),
    (["hf:resnet5"], r"unknown model 'hf:resnet5'; did you mean hf:resnet-50"),
    (["transformer:gpt2", "--tokens", "2000"], r"`tokens` for transformer:gpt2 prefill "
                                               r"must be an integer in 1\.\.1024"),
])
def test_cli_bad_inputs_one_line_exit_2(args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.returncode == 2
    assert re.fullmatch(r"error: " + message + r".*\n", result.stderr)


def test_cli_json() -> None:
    import json

    result = cli("dse.workload.nets:small_cnn", "--input-shape", "1,3,32,32", "--json")
    record = json.loads(result.stdout)
    assert record["schema"] == "hwdse.workload/1"
    assert record["total_macs"] == 1024 * 27 * 16 + 2 * 256 * 144 * 32 + 2048 * 10
    assert [(layer["name"], layer["gemm"], layer["count"]) for layer in record["layers"]] == \
        [("conv1", "1024x27x16", 1), ("conv2.0", "256x144x32", 2), ("fc", "1x2048x10", 1)]
    assert record["skipped_ops"]["relu"] == 2
