"""Bit-serial array generator ``bitserial-v1`` (run-time precision, per-group scaling)."""

from hw.bitserial.params import SERIAL_OPERANDS, BitSerialParams

__all__ = ["SERIAL_OPERANDS", "BitSerialParams"]
