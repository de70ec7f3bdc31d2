"""Named models: total MACs equal torch's own count (FlopCounterMode / 2) within 0.1%."""

from __future__ import annotations

import pytest
import torch

from dse.workload.sources import HF_PRESETS, load_source
from tests.dse.test_workload_import import torch_macs


@pytest.mark.parametrize("name, macs", [("resnet-18", 1.81e9), ("resnet-50", 4.09e9),
                                        ("mobilenet-v2", 0.30e9), ("vit-b-16", 17.56e9)])
def test_named_model_macs_match_torch(name: str, macs: float) -> None:
    workload = load_source(f"hf:{name}")
    with torch.device("meta"):
        model = HF_PRESETS[name]().eval()
    reference = torch_macs(model, (1, 3, 224, 224))
    assert workload.total_macs == pytest.approx(reference, rel=1e-3)
    assert workload.total_macs == pytest.approx(macs, rel=1e-2)
    if name == "mobilenet-v2":
        assert {layer.op for layer in workload.layers} >= {"conv2d", "conv2d-depthwise"}
