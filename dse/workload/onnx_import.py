"""ONNX files as workloads: the graph is read with the ``onnx`` package (external weight
data is not needed and not loaded), shapes come from ONNX shape inference, and every node
is lowered to a GEMM layer, summarized as a MAC-free operator, or refused.

Lowered: ``Conv`` (also ``ConvInteger``, ``QLinearConv``), ``Gemm``, ``MatMul`` (also
``MatMulInteger``, ``QLinearMatMul``), with the shapes of :mod:`dse.workload.lowering`.
Refused (they do MACs): ``ConvTranspose``, ``Einsum``, recurrent and attention operators,
and any node of a non-standard domain or with a control-flow body holding such nodes.

Layer names are the node names with the exporter's scope path turned into the module path
(``/layer1/layer1.0/conv1/Conv`` -> ``layer1.0.conv1``), so a model exported by
``torch.onnx.export`` names its layers as its PyTorch import does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dse.workload import Gemm, Layer, Workload, WorkloadError, count_kinds, unique_names
from dse.workload.lowering import conv_gemm, matmul_gemm
from hw.params import ParamError

_CONV_OPS = {"Conv": 1, "ConvInteger": 1, "QLinearConv": 3}  # op -> index of the weight
_MATMUL_OPS = {"MatMul": (0, 1), "MatMulInteger": (0, 1), "QLinearMatMul": (0, 3)}
_REFUSED_OPS = {"ConvTranspose", "Einsum", "LSTM", "GRU", "RNN", "Attention",
                "MultiHeadAttention", "QAttention", "DeformConv", "QLinearConvTranspose",
                "RotaryEmbedding", "GroupQueryAttention"}
_CONTROL_FLOW = {"If", "Loop", "Scan"}
#: Operators that pass a weight through (a weight seen through them is still a weight).
_WEIGHT_PASS = {"Transpose", "Reshape", "Cast", "Identity", "Unsqueeze", "Squeeze",
                "Flatten", "DequantizeLinear", "QuantizeLinear", "Expand"}
_STANDARD_DOMAINS = {"", "ai.onnx", "ai.onnx.ml"}


def _dims(value_type: Any) -> list[int | str | None] | None:
    """A tensor type's dimensions: ints, a ``dim_param`` name, or ``None`` (unknown)."""
    if not value_type.HasField("tensor_type") or not value_type.tensor_type.HasField("shape"):
        return None
    dims: list[int | str | None] = []
    for dim in value_type.tensor_type.shape.dim:
        if dim.HasField("dim_value") and dim.dim_value > 0:
            dims.append(int(dim.dim_value))
        elif dim.HasField("dim_param"):
            dims.append(dim.dim_param)
        else:
            dims.append(None)
    return dims


def layer_name(node_name: str, kind: str) -> str:
    """The module path of an exported node name (``/a/a.0/conv/Conv_3`` -> ``a.0.conv``;
    ``kind`` outside any module); a name without scopes is kept as it is."""
    if "/" not in node_name:
        return node_name or kind
    path = ""
    for part in node_name.strip("/").split("/")[:-1]:
        if path and part.startswith(path + "."):
            path = part
        else:
            path = f"{path}.{part}" if path else part
    return path or kind


def _load(path: Path) -> Any:
    import onnx

    try:
        data = path.read_bytes()
    except OSError as error:
        raise WorkloadError(f"cannot read {path}: {error.strerror}") from None
    try:
        model = onnx.load_model_from_string(data)
    except Exception:  # noqa: BLE001 - protobuf raises its own DecodeError
        raise WorkloadError(f"{path} is not an ONNX file (it does not parse as an ONNX "
                            "model)") from None
    if not model.HasField("graph") or not model.graph.node:
        raise WorkloadError(f"{path} is not an ONNX file (no graph nodes)")
    return model


def _set_input_shape(model: Any, input_shape: Sequence[int] | None, source: str) -> None:
    """Give the graph's first input ``input_shape``; refuse any input left with a dynamic
    dimension."""
    initializers = {init.name for init in model.graph.initializer}
    inputs = [value for value in model.graph.input if value.name not in initializers]
    if input_shape is not None:
        if not inputs:
            raise WorkloadError(f"{source}: the graph has no input to give a shape to")
        dims = inputs[0].type.tensor_type.shape.dim
        if len(dims) != len(input_shape):
            raise WorkloadError(f"{source}: input {inputs[0].name!r} has {len(dims)} "
                                f"dimensions, the input shape {list(input_shape)} has "
                                f"{len(input_shape)}")
        for dim, value in zip(dims, input_shape, strict=True):
            dim.Clear()
            dim.dim_value = int(value)
    for value in inputs:
        dims = _dims(value.type)
        if dims is None:
            raise WorkloadError(f"{source}: input {value.name!r} has no shape; give "
                                "--input-shape (input_shape in a spec)")
        for dim in dims:
            if not isinstance(dim, int):
                what = f"dynamic dimension {dim!r}" if dim else "a dimension of no size"
                raise WorkloadError(f"{source}: input {value.name!r} has a {what} "
                                    f"{[d if d else '?' for d in dims]}; give its value with "
                                    "--input-shape (input_shape in a spec)")


def from_onnx(path: Path, input_shape: Sequence[int] | None = None,
              source: str | None = None) -> Workload:
    """The workload of an ONNX file.

    Raises:
        WorkloadError: for a file that is not ONNX, a dynamic input dimension without a
            value, a shape inference cannot give, or a node with MACs that cannot be
            lowered.
    """
    import onnx

    source = source or str(path)
    model = _load(Path(path))
    _set_input_shape(model, input_shape, source)
    try:
        model = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    except Exception as error:  # noqa: BLE001 - onnx raises several error types
        first = (str(error).strip().splitlines() or [""])[0]
        raise WorkloadError(f"{source}: ONNX shape inference failed: {first}") from None
    graph = model.graph
    shapes: dict[str, list[int | str | None]] = {}
    for value in [*graph.input, *graph.value_info, *graph.output]:
        dims = _dims(value.type)
        if dims is not None:
            shapes[value.name] = dims
    for init in graph.initializer:
        shapes[init.name] = [int(d) for d in init.dims]
    weights = {init.name for init in graph.initializer}
    layers: list[tuple[str, str, Gemm, int]] = []
    skipped: list[str] = []

    def shape(node: Any, name: str) -> list[int]:
        dims = shapes.get(name)
        if dims is None or not all(isinstance(d, int) for d in dims):
            raise WorkloadError(f"{source}: node {node.name!r} ({node.op_type}): the shape of "
                                f"{name!r} is unknown after shape inference "
                                f"({dims if dims is not None else 'no shape'})")
        return [int(d) for d in dims]  # type: ignore[arg-type]

    def add(node: Any, kind: str, m: int, k: int, n: int, batch: int = 1) -> None:
        if min(m, k, n, batch) == 0:
            return
        try:
            gemm = Gemm(m, k, n)
        except ParamError as error:
            raise WorkloadError(f"{source}: node {node.name!r} ({node.op_type}): "
                                f"{error}") from None
        layers.append((layer_name(node.name, kind), kind, gemm, batch))

    for node in graph.node:
        op = node.op_type
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.domain not in _STANDARD_DOMAINS:
            raise WorkloadError(f"{source}: node {node.name!r}: operator {op} of domain "
                                f"{node.domain!r} is not a standard ONNX operator; cannot "
                                "tell its MACs")
        if op == "Constant" or (op in _WEIGHT_PASS and node.input and node.input[0] in weights):
            weights.update(node.output)
        if op in _CONV_OPS:
            weight, output = shape(node, node.input[_CONV_OPS[op]]), shape(node, node.output[0])
            try:
                kind, m, k, n, batch = conv_gemm(weight, output, int(attrs.get("group", 1)))
            except ParamError as error:
                raise WorkloadError(f"{source}: node {node.name!r} ({op}): {error}") from None
            add(node, kind, m, k, n, batch)
        elif op == "Gemm":
            a, b = shape(node, node.input[0]), shape(node, node.input[1])
            m, k = (a[1], a[0]) if attrs.get("transA", 0) else (a[0], a[1])
            n = b[0] if attrs.get("transB", 0) else b[1]
            kind = "linear" if {node.input[0], node.input[1]} & weights else "matmul"
            add(node, kind, m, k, n)
        elif op in _MATMUL_OPS:
            left, right = (node.input[i] for i in _MATMUL_OPS[op])
            left_shape, right_shape = shape(node, left), shape(node, right)
            try:
                m, k, n, batch = matmul_gemm(left_shape, right_shape)
            except ParamError as error:
                raise WorkloadError(f"{source}: node {node.name!r} ({op}): {error}") from None
            add(node, "linear" if {left, right} & weights else "matmul", m, k, n, batch)
        elif op in _REFUSED_OPS or (op in _CONTROL_FLOW and _has_macs(node)):
            raise WorkloadError(f"{source}: node {node.name!r} "
                                f"({layer_name(node.name, op)}): operator {op} does MACs and "
                                "cannot be lowered to GEMMs")
        else:
            skipped.append(op)
    names = unique_names([name for name, *_ in layers])
    return Workload(source, tuple(Layer(name, gemm, op=kind, batch=batch) for name,
                                  (_, kind, gemm, batch) in zip(names, layers, strict=True)),
                    count_kinds(skipped))


def _has_macs(node: Any) -> bool:
    """Whether a control-flow node's bodies hold an operator with MACs."""
    import onnx

    for attribute in node.attribute:
        graphs = ([attribute.g] if attribute.type == onnx.AttributeProto.GRAPH
                  else list(attribute.graphs))
        for graph in graphs:
            for inner in graph.node:
                if (inner.op_type in _CONV_OPS or inner.op_type in _MATMUL_OPS
                        or inner.op_type in ("Gemm", *_REFUSED_OPS)
                        or (inner.op_type in _CONTROL_FLOW and _has_macs(inner))):
                    return True
    return False
