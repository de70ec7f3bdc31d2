"""PyTorch modules as workloads: the module is traced with ``torch.export`` (shapes only,
no arithmetic) and every ATen operator of the graph is either lowered to a GEMM layer,
summarized as a MAC-free operator, or refused.

Where ``torch.export`` cannot go (data-dependent Python control flow), the module is traced
by ``torch.fx`` (``make_fx``: the forward runs once on the example input and the operators
it ran are recorded), which follows the branches that input takes.

Lowering (C = A @ B, M x K x N, with ``batch`` independent GEMMs):

- ``conv{1,2,3}d`` / ``convolution``: M = batch x output positions, K = in-channels per
  group x kernel size, N = out-channels per group, ``batch`` = groups (a depthwise
  convolution is ``groups`` GEMMs with K = kernel size and N = 1 each, never one dense
  GEMM);
- ``linear``, ``addmm``, ``mm``, ``matmul`` with a weight operand: M = rows of the
  activation (leading dimensions folded), K, N = output features; kind ``linear``;
- ``bmm``, ``baddbmm``, ``matmul`` of two activations: ``batch`` = the broadcast batch
  dimensions; kind ``matmul``;
- ``scaled_dot_product_attention``: QKᵀ (L x E x S) and AV (L x S x Ev) per head.

Any other operator that torch counts FLOPs for, or that is known to do MACs (transposed
convolutions, ``einsum``, recurrent cells, ...), is refused with :class:`WorkloadError`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import operator
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.fx import Graph, Node

from dse.workload import Gemm, Layer, Workload, WorkloadError, count_kinds, unique_names
from dse.workload.lowering import conv_gemm, matmul_gemm
from hw.params import ParamError

#: Operators that pass a weight through unchanged in value (a weight seen through them is
#: still a weight).
_VIEW_OPS = {"t", "transpose", "permute", "view", "reshape", "_unsafe_view", "expand",
             "unsqueeze", "squeeze", "clone", "contiguous", "detach", "alias", "to",
             "_to_copy", "numpy_T", "lift_fresh_copy", "type_as", "flatten"}
_CONV_OPS = {"conv1d", "conv2d", "conv3d", "convolution", "_convolution"}
_GEMM_OPS = {"linear", "addmm", "mm", "bmm", "baddbmm", "matmul"}
_ATTENTION_OPS = {"scaled_dot_product_attention"}
#: Operators known to do MACs that are not lowered (besides torch's FLOP registry).
_REFUSED_OPS = {"conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "einsum",
                "bilinear", "addmv", "mv", "dot", "vdot", "addbmm", "addr", "lstm", "gru",
                "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell", "rnn_tanh_cell",
                "rnn_relu_cell", "tensordot", "chain_matmul", "inner", "kron",
                "_scaled_dot_product_flash_attention_for_cpu", "linalg_multi_dot",
                "_native_multi_head_attention", "fbgemm_linear_int8_weight",
                "quantized_lstm_cell", "flex_attention"}
#: Graph bookkeeping that is not an operator of the model.
_NOT_OPS = {"_assert_tensor_metadata", "_assert_scalar", "_assert_async", "sym_size",
            "sym_constrain_range_for_size", "sym_constrain_range", "getitem",
            "_enter_autocast", "_exit_autocast", "_set_grad_enabled"}


def _flop_registry_ops() -> set[str]:
    from torch.utils.flop_counter import flop_registry

    return {_op_name(op) for op in flop_registry}


def _op_name(target: Any) -> str:
    """``aten.conv2d.default`` -> ``conv2d``; a Python function -> its name."""
    if target is operator.getitem:
        return "getitem"
    schema = getattr(target, "_schema", None)
    if schema is not None:
        return str(schema.name).split("::")[-1]
    name = getattr(target, "__name__", None) or str(target)
    return str(name).split(".")[-1]


def _kind(op: str) -> str:
    """The summary kind of a MAC-free operator: ``add_`` and ``add`` are one kind."""
    return op.rstrip("_") or op


def _shape(node: Any) -> tuple[int, ...]:
    value = node.meta.get("val") if isinstance(node, Node) else None
    if value is None:
        value = node.meta.get("tensor_meta") if isinstance(node, Node) else None
    if value is None or not hasattr(value, "shape"):
        raise WorkloadError(f"node {getattr(node, 'name', node)!r}: no tensor shape recorded")
    try:
        return tuple(int(d) for d in value.shape)
    except (TypeError, ValueError):
        raise WorkloadError(f"node {node.name!r} has a dynamic shape {tuple(value.shape)}; "
                            "give a concrete input shape") from None


def _prod(values: Sequence[int]) -> int:
    return math.prod(values) if values else 1


class _Lowering:
    """Lowers one ATen graph; ``weights`` are the nodes holding parameters, buffers and
    constants."""

    def __init__(self, source: str, weights: set[Node], prefix: str) -> None:
        self.source = source
        self.weights = weights
        self.prefix = prefix
        self.refused = _flop_registry_ops() | _REFUSED_OPS
        self.layers: list[tuple[str, str, Gemm, int]] = []  # (name, op, gemm, batch)
        self.skipped: list[str] = []

    def is_weight(self, node: Any) -> bool:
        while isinstance(node, Node):
            if node in self.weights or node.op == "get_attr":
                return True
            if node.op != "call_function" or _op_name(node.target) not in _VIEW_OPS:
                return False
            node = node.args[0]
        return False

    def name_of(self, node: Node, op: str) -> str:
        """The path of the innermost module that ran ``node`` (``op`` outside any)."""
        stack = node.meta.get("nn_module_stack") or {}
        path = ""
        if stack:
            path = str(list(stack.values())[-1][0])
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + ".")):
            path = path[len(self.prefix):].lstrip(".")
        return path or op

    def add(self, node: Node, op: str, kind: str, m: int, k: int, n: int,
            batch: int = 1) -> None:
        if min(m, k, n, batch) == 0:
            return  # an empty GEMM does no MAC
        try:
            gemm = Gemm(m, k, n)
        except ParamError as error:
            raise WorkloadError(f"{self.source}: node {node.name!r} ({op}): {error}") from None
        self.layers.append((self.name_of(node, kind), kind, gemm, batch))

    def lower(self, graph: Graph) -> None:
        for node in graph.nodes:
            if node.op in ("placeholder", "output", "get_attr"):
                continue
            if node.op != "call_function":
                self.refuse(node, str(node.target), "is not an ATen operator")
            op = _op_name(node.target)
            if op in _CONV_OPS:
                self.conv(node, op)
            elif op in _GEMM_OPS:
                self.gemm(node, op)
            elif op in _ATTENTION_OPS:
                self.attention(node, op)
            elif op in self.refused:
                self.refuse(node, op, "does MACs and cannot be lowered to GEMMs")
            elif op not in _NOT_OPS and not op.startswith("sym_"):
                self.skipped.append(_kind(op))

    def refuse(self, node: Node, op: str, why: str) -> None:
        raise WorkloadError(f"{self.source}: node {node.name!r} "
                            f"({self.name_of(node, op)}): operator {op} {why}")

    def conv(self, node: Node, op: str) -> None:
        args: list[Any] = list(node.args)
        if op in ("convolution", "_convolution"):
            if args[6]:
                self.refuse(node, "conv_transpose", "does MACs and cannot be lowered to GEMMs")
            groups = int(args[8])
        else:
            groups = int(args[6]) if len(args) > 6 else int(dict(node.kwargs).get("groups", 1))  # type: ignore[arg-type]
        kind, m, k, n, batch = conv_gemm(_shape(args[1]), _shape(node), groups)
        self.add(node, op, kind, m, k, n, batch)

    def gemm(self, node: Node, op: str) -> None:
        args = list(node.args)
        if op == "linear":
            a, w = _shape(args[0]), _shape(args[1])
            k = w[-1]
            n = w[0] if len(w) == 2 else 1
            self.add(node, op, "linear", _prod(a) // k if k else 0, k, n)
            return
        if op in ("addmm", "baddbmm"):
            args = args[1:]
        a_node, b_node = args[0], args[1]
        a, b = _shape(a_node), _shape(b_node)
        kind = "linear" if self.is_weight(a_node) or self.is_weight(b_node) else "matmul"
        if op in ("mm", "addmm"):
            self.add(node, op, kind, a[0], a[1], b[1])
        elif op in ("bmm", "baddbmm"):
            self.add(node, op, kind, a[1], a[2], b[2], a[0])
        else:
            try:
                m, k, n, batch = matmul_gemm(a, b)
            except ParamError as error:
                raise WorkloadError(f"{self.source}: node {node.name!r}: {error}") from None
            self.add(node, op, kind, m, k, n, batch)

    def attention(self, node: Node, op: str) -> None:
        q, k, v = (_shape(arg) for arg in node.args[:3])
        batch = _prod(q[:-2])
        self.add(node, op, "matmul", q[-2], q[-1], k[-2], batch)
        self.add(node, op, "matmul", q[-2], k[-2], v[-1], batch)

    def workload(self) -> Workload:
        names = unique_names([name for name, *_ in self.layers])
        layers = tuple(Layer(name, gemm, op=kind, batch=batch)
                       for name, (_, kind, gemm, batch) in zip(names, self.layers, strict=True))
        return Workload(self.source, layers, count_kinds(self.skipped))


def lower_exported(program: Any, source: str, prefix: str = "") -> Workload:
    """The workload of a ``torch.export.ExportedProgram``.

    Raises:
        WorkloadError: for an operator with MACs that cannot be lowered.
    """
    signature = program.graph_signature
    weight_names = (set(signature.inputs_to_parameters) | set(signature.inputs_to_buffers)
                    | set(signature.inputs_to_lifted_tensor_constants))
    weights = {node for node in program.graph.nodes
               if node.op == "placeholder" and node.name in weight_names}
    lowering = _Lowering(source, weights, prefix)
    lowering.lower(program.graph)
    return lowering.workload()


def lower_fx(graph_module: torch.fx.GraphModule, source: str, prefix: str = "") -> Workload:
    """The workload of an ATen graph made by ``make_fx`` (weights are ``get_attr`` nodes).

    Raises:
        WorkloadError: for an operator with MACs that cannot be lowered.
    """
    lowering = _Lowering(source, set(), prefix)
    lowering.lower(graph_module.graph)
    return lowering.workload()


@contextlib.contextmanager
def _quiet_torch_logs() -> Iterator[None]:
    """torch's loggers held at ERROR and stderr captured for the duration: a failed export
    logs warnings and prints its partial graph before the fallback takes over."""
    names = ["torch"] + [name for name in logging.root.manager.loggerDict
                         if name.startswith("torch.")]
    saved = {name: logging.getLogger(name).level for name in names}
    try:
        for name in names:
            logging.getLogger(name).setLevel(logging.ERROR)
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


_PATH = "hwdse_module_path"


def _trace_fx(module: nn.Module, args: Sequence[Any],
              kwargs: Mapping[str, Any]) -> torch.fx.GraphModule:
    """``make_fx`` on real inputs, each node tagged with the path of the innermost module
    that was running when it was recorded (``nn_module_stack``, as ``torch.export``
    records it)."""
    from torch.fx.experimental.proxy_tensor import get_proxy_mode, make_fx

    stack: list[str] = []

    def tag(path: str) -> None:
        mode = get_proxy_mode()
        if mode is None:
            return
        for node in mode.tracer.graph.nodes:
            node.meta.setdefault(_PATH, path)

    def enter(path: str) -> None:
        tag(stack[-1] if stack else "")
        stack.append(path)

    def leave() -> None:
        tag(stack.pop())

    handles = []
    for path, sub in module.named_modules():
        handles.append(sub.register_forward_pre_hook(
            lambda _module, _args, path=path: enter(path)))
        handles.append(sub.register_forward_hook(
            lambda _module, _args, _out: leave(), always_call=True))
    try:
        with torch.no_grad():
            graph_module = make_fx(_WithKeywords(module, kwargs),
                                   _error_on_data_dependent_ops=False)(*args)
    finally:
        for handle in handles:
            handle.remove()
    for node in graph_module.graph.nodes:
        node.meta["nn_module_stack"] = {"path": (node.meta.pop(_PATH, ""), "")}
    return graph_module


class _WithKeywords(nn.Module):
    """``model`` called with fixed keyword arguments (``make_fx`` passes positional ones)."""

    def __init__(self, model: nn.Module, kwargs: Mapping[str, Any]) -> None:
        super().__init__()
        self.model = model
        self.kwargs = dict(kwargs)

    def forward(self, *args: Any) -> Any:
        return self.model(*args, **self.kwargs)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def from_module(module: nn.Module, args: Sequence[Any], kwargs: Mapping[str, Any] | None = None,
                *, source: str = "module", prefix: str = "") -> Workload:
    """Trace ``module`` on example inputs and lower it (``torch.export``; ``make_fx`` where
    export fails). Inputs may be meta tensors: tracing needs shapes only.

    Raises:
        WorkloadError: if the module fails to trace, or has an operator with MACs that
            cannot be lowered.
    """
    module = module.eval()
    kwargs = dict(kwargs or {})
    try:
        with torch.no_grad(), _quiet_torch_logs():
            program = torch.export.export(module, tuple(args), kwargs, strict=False)
    except Exception as export_error:  # noqa: BLE001 - any tracing failure falls back
        try:
            graph_module = _trace_fx(module, args, kwargs)
        except Exception:  # noqa: BLE001 - reported as the export failure
            raise WorkloadError(f"{source} fails to trace with torch.export and torch.fx: "
                                f"{_first_line(export_error)}") from None
        return lower_fx(graph_module, source, prefix)
    return lower_exported(program, source, prefix)


def from_shape(module: nn.Module, input_shape: Sequence[int], *, source: str = "module",
               dtype: torch.dtype = torch.float32, device: str = "cpu") -> Workload:
    """:func:`from_module` on one input of ``input_shape`` (zeros).

    Raises:
        WorkloadError: for a bad shape, or as :func:`from_module`.
    """
    shape = check_shape(input_shape, source)
    return from_module(module, (torch.zeros(shape, dtype=dtype, device=device),),
                       source=source)


def check_shape(shape: Any, source: str) -> tuple[int, ...]:
    """``shape`` as a tuple of positive ints.

    Raises:
        WorkloadError: naming the shape.
    """
    if (not isinstance(shape, list | tuple) or not shape
            or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in shape)):
        raise WorkloadError(f"{source}: the input shape must be a list of positive integers "
                            f"(e.g. 1,3,224,224), not {shape!r}")
    return tuple(shape)
