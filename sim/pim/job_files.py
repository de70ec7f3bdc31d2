"""The files between the host and the C++ DRAM-PIM device model (``sim.pim.device_model``):
a job (memory images, x, timing, bus layouts) written in bulk before the run, and its
outcome (results, counters, the first violation) read in bulk after it. Standard library
and numpy only: the outcome is read inside the simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

JOB_MAGIC = 0x4D4944504F4A5748     # "HWJOPDIM", as the C++ model expects
OUTCOME_MAGIC = 0x54554F4D49505748  # "HWPIMOUT"
KIND_NAMES = ("NOP", "ACT", "PRE", "MAC", "RD", "RDRES", "REF")
_OUTCOME_HEADER = 9 + 3 * len(KIND_NAMES)


def _field_pairs(layout: dict[str, Any], names: tuple[str, ...]) -> list[int]:
    return [int(v) for name in names for v in layout["fields"][name]]


def write_job(path: Path, job: dict[str, Any]) -> None:
    """Write ``job`` (``sim.pim.jobs``) in the layout the C++ model loads."""
    config = job["design"]
    layout = config["layout"]
    timing = config["timing"]
    host = config["pim_mode"] == "none"
    expected = len(job["expected"]) * (job["chunks"] if host else 1)
    header = [JOB_MAGIC, config["channels"], config["banks"], config["rows"],
              config["columns"], config["lanes"], job["chunks"], config["element_width"],
              config["acc_width"], int(host),
              *(timing[name] for name in ("rcd", "rp", "ras", "ccd", "rrd", "faw", "rtp",
                                          "cl", "refi", "rfc")),
              job["max_cycles"], expected, job["job_word"],
              layout["cmd"]["width"],
              *_field_pairs(layout["cmd"], ("kind", "all", "bank", "row", "col", "last")),
              layout["rdata"]["width"], *_field_pairs(layout["rdata"], ("valid", "data")),
              layout["result"]["width"],
              *_field_pairs(layout["result"], ("valid", "tag", "chunk", "data")),
              len(job["x"])]
    parts = [np.array(header, dtype="<i8"),
             np.asarray(job["x"], dtype="<i8")]
    lanes = config["lanes"]
    for channel in range(config["channels"]):
        entries = job["memory"][channel]
        flat = np.empty((len(entries), 3 + lanes), dtype="<i8")
        for index, (bank, row, col, values) in enumerate(entries):
            flat[index, :3] = (bank, row, col)
            flat[index, 3:] = values
        parts += [np.array([len(entries)], dtype="<i8"), flat.reshape(-1)]
    with open(path, "wb") as file:
        for part in parts:
            file.write(part.tobytes())


def read_outcome(path: Path) -> dict[str, Any]:
    """What the C++ model wrote for a job: cycles processed, the handshake and last
    result cycles, the results by key, the error, the command counts, and with
    ``HWDSE_PIM_PROFILE`` set in the simulator the nanoseconds the model spent in its
    per-cycle calls and loading the job file (else 0)."""
    raw = path.read_bytes()
    header = np.frombuffer(raw, dtype="<i8", count=_OUTCOME_HEADER)
    if int(header[0]) != OUTCOME_MAGIC:
        raise ValueError(f"{path} is not a PIM outcome")
    now, start, last_result, results, data_words, error_bytes, device_ns, load_ns = (
        int(v) for v in header[1:9])
    counts: dict[str, int] = {}
    bank_ops: dict[str, int] = {}
    for index, kind in enumerate(KIND_NAMES):
        count, ops, seen = (int(v) for v in header[9 + 3 * index:12 + 3 * index])
        if count:
            counts[kind] = count
        if seen:
            bank_ops[kind] = ops
    at = 8 * _OUTCOME_HEADER
    keys = np.frombuffer(raw, dtype="<i8", count=2 * results, offset=at).reshape(-1, 2)
    at += 16 * results
    data = np.frombuffer(raw, dtype="<u4", count=data_words * results, offset=at)
    at += 4 * data_words * results
    error = raw[at:at + error_bytes].decode() or None
    rows = data.reshape(results, data_words)
    values = [int.from_bytes(row.tobytes(), "little") for row in rows]
    return {"cycles_run": now, "start": None if start < 0 else start,
            "last_result": None if last_result < 0 else last_result,
            "keys": [(int(tag), int(chunk)) for tag, chunk in keys], "values": values,
            "error": error, "counts": counts, "bank_ops": bank_ops, "device_ns": device_ns,
            "load_ns": load_ns}
