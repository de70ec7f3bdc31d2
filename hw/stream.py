"""The one stream signature every generator uses for its data links.

A stream is Amaranth's ``lib.stream.Signature``: ``payload`` (a struct layout), ``valid``
driven by the source and ``ready`` driven by the sink; a beat moves on a clock edge where
both are high. Sources keep ``payload`` stable while ``valid`` is high and ``ready`` low.
"""

from __future__ import annotations

from amaranth.hdl import Shape, ShapeLike, signed, unsigned
from amaranth.lib import stream


def stream_signature(payload: ShapeLike) -> stream.Signature:
    """A valid/ready stream carrying ``payload``."""
    return stream.Signature(payload)


def int_shape(width: int, is_signed: bool) -> Shape:
    """Two's-complement ``width``-bit shape if ``is_signed``, else unsigned."""
    return signed(width) if is_signed else unsigned(width)


def index_shape(count: int) -> Shape:
    """Unsigned shape that holds an index in ``0..count-1`` (at least one bit)."""
    return unsigned(max(1, (count - 1).bit_length()))
