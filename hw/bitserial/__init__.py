"""Bit-serial array generator ``bitserial-v1`` (run-time precision, per-group scaling)."""

from hw.bitserial.params import SERIAL_OPERANDS, BitSerialParams
from hw.family import GeneratorSpec

__all__ = ["GENERATOR", "SERIAL_OPERANDS", "BitSerialParams"]


GENERATOR = GeneratorSpec("bitserial-v1", "bitserial", BitSerialParams,
                          "hw.bitserial.array:BitSerialArray",
                          "bit-serial GEMM array: precision set per run, per-group scales")
