"""The bit-serial array component.

Stream protocol: one ``operands`` stream in, one ``results`` stream out; the whole array
advances on a cycle unless ``results`` holds a beat its sink does not take (global stall).

Operand beat ``{a[rows * lanes], b[cols * lanes], scale[cols], start, shift, negate,
group_last, last}`` (``scale`` only when ``scale_width`` > 0). Element ``a[i * lanes + l]``
is lane ``l`` of row ``i``'s operand, ``b[j * lanes + l]`` lane ``l`` of column ``j``'s;
the serial operand's elements are single bits (one bit plane), the parallel operand's are
``parallel_width``-bit words. PE (i, j) forms ``p`` = the sum over lanes of the parallel
word where the serial bit is set, and updates its group accumulator ``g``:

- ``start``: ``g = ±p`` (first beat of a group);
- ``shift``: ``g = 2 g ± p`` (first beat of a bit plane after the group's first);
- neither: ``g = g ± p`` (further beats of the same plane: more lanes of the group);
- the sign is minus with ``negate`` (the sign plane of a signed serial operand).

So a group of ``c`` chunks of ``lanes`` elements at ``b`` bits is ``b * c`` beats, plane by
plane from the most significant, each plane chunk by chunk. ``group_last`` marks a group's
final beat: the group's sum is handed to the dequantization step, which adds
``g * scale[j]`` to the PE's total (``scale_width`` > 0: one scale bit per cycle for
``scale_width`` cycles, least significant first, while the next group computes; otherwise
``g`` at once). ``last`` (with ``group_last``) ends an output tile: when its dequantization
is done the totals leave as ``rows`` result beats ``{c[cols]}`` (row i of the tile) and
clear. The first result beat leaves ``scale_width + 2`` cycles after the ``last`` beat.

Rules the array enforces by holding ``ready`` low: a ``group_last`` beat only
``scale_width`` or more cycles after the previous one (the dequantization step is busy
until then), a ``last`` beat only ``rows`` or more cycles after the previous one (the
result port drains a tile in ``rows`` cycles).

Activity taps (``BitSerialArray.activity``, as in ``hw.systolic.array``: events in the
current cycle, counted only on cycles where the array advances):

``pe_steps``        PEs updating their group accumulator (one adder tree over ``lanes``).
``group_adds``      PEs handing a finished group's sum over (to the total, or to the
                    dequantization register).
``dequant_steps``   PEs doing one shift-and-add step of the dequantization.
``serial_bits``     serial-operand bits taken from the stream.
``parallel_words``  parallel-operand words taken from the stream.
``scale_words``     scale factors taken with ``group_last`` beats.
``result_words``    results handed to the sink.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import data

from hw.bitserial.params import BitSerialParams
from hw.logic import kept, tree_sum
from hw.stream import StreamArray, int_shape

#: Per-beat control flags, in payload order after the operands and scales.
FLAGS = ("start", "shift", "negate", "group_last", "last")


def operand_layout(params: BitSerialParams) -> data.StructLayout:
    """Payload layout of the ``operands`` stream (fields from the least significant bit)."""
    a_width, b_width = params.serial_widths

    def element(width: int) -> object:
        return unsigned(1) if width == 1 else int_shape(width, params.signed)

    fields: dict[str, object] = {
        "a": data.ArrayLayout(element(a_width), params.rows * params.lanes),
        "b": data.ArrayLayout(element(b_width), params.cols * params.lanes),
    }
    if params.scale_width:
        fields["scale"] = data.ArrayLayout(unsigned(params.scale_width), params.cols)
    fields.update(dict.fromkeys(FLAGS, 1))
    return data.StructLayout(fields)


def result_layout(params: BitSerialParams) -> data.StructLayout:
    """Payload layout of the ``results`` stream: one row of ``cols`` totals."""
    return data.StructLayout(
        {"c": data.ArrayLayout(int_shape(params.acc_width, params.signed), params.cols)})


def activity_bounds(params: BitSerialParams) -> dict[str, int]:
    """Largest per-cycle count of each activity tap, by name (see the module docstring)."""
    pes, lanes = params.rows * params.cols, params.lanes
    serial_side = params.cols if params.serial == "weights" else params.rows
    parallel_side = params.rows if params.serial == "weights" else params.cols
    return {"pe_steps": pes, "group_adds": pes, "dequant_steps": pes,
            "serial_bits": serial_side * lanes, "parallel_words": parallel_side * lanes,
            "scale_words": params.cols, "result_words": params.cols}


class BitSerialArray(StreamArray):
    """A ``rows`` x ``cols`` bit-serial array; see the module docstring for the protocol.

    ``keep_lane_sums``: each PE's lane sum ``p`` becomes a kept wire (:func:`hw.logic.kept`)
    apart from the group update. For a parent that ties ``negate`` to a constant (the
    accelerator with an unsigned core): with the sign multiplexer gone, Yosys' ``alumacc``
    merges the lane sum and the update into one ``$macc`` at the accumulator's width,
    mapped to gates (``bench/results/area_accel.md``). The array alone keeps ``negate`` a
    port, and its Verilog does not change."""

    def __init__(self, params: BitSerialParams, *, keep_lane_sums: bool = False) -> None:
        self.params = params
        self.keep_lane_sums = keep_lane_sums
        super().__init__(operand_layout(params), result_layout(params),
                         activity_bounds(params), params.cols)

    def elaborate_datapath(self, m: Module, advance: Signal) -> None:
        p = self.params
        operands, results = self.operands, self.results
        payload = operands.payload
        acc = int_shape(p.acc_width, p.signed)
        scaled = p.scale_width > 0

        # Hold back group_last beats while the dequantization step is busy, and last beats
        # until the previous tile has drained.
        since_last = Signal(range(p.rows + 1), init=p.rows)
        since_group = Signal(range(p.scale_width + 1), init=p.scale_width)
        last_ok = since_last == p.rows
        group_ok = since_group == p.scale_width
        m.d.comb += operands.ready.eq(advance & (last_ok | ~payload.last)
                                      & (group_ok | ~payload.group_last))
        accept = operands.valid & operands.ready
        with m.If(accept & payload.last):
            m.d.sync += since_last.eq(1)
        with m.Elif(~last_ok):
            m.d.sync += since_last.eq(since_last + 1)
        if scaled:
            with m.If(accept & payload.group_last):
                m.d.sync += since_group.eq(1)
            with m.Elif(~group_ok):
                m.d.sync += since_group.eq(since_group + 1)

        a_serial = p.serial == "activations"
        serial_side = p.rows if a_serial else p.cols
        m.d.comb += [
            self.activity["serial_bits"].eq(Mux(accept, serial_side * p.lanes, 0)),
            self.activity["parallel_words"].eq(
                Mux(accept, (p.rows + p.cols - serial_side) * p.lanes, 0))]
        if scaled:
            m.d.comb += self.activity["scale_words"].eq(
                Mux(accept & payload.group_last, p.cols, 0))

        # Input stage: every beat is registered once, then broadcast to the PEs.
        beat = Signal(operand_layout(p), name="beat")
        beat_valid = Signal(name="beat_valid")
        m.d.sync += [beat.eq(payload), beat_valid.eq(accept)]
        step = beat_valid
        hand_over = beat_valid & beat.group_last
        m.d.comb += [self.activity["pe_steps"].eq(Mux(advance & step, p.pes, 0)),
                     self.activity["group_adds"].eq(Mux(advance & hand_over, p.pes, 0))]

        # Dequantization control, shared by all PEs: the scale bits of each column shift
        # out least significant first, one per cycle.
        dq_count = Signal(range(p.scale_width + 1), name="dq_count")
        dq_last = Signal(name="dq_last")
        dq_busy = dq_count != 0
        scales = [Signal(p.scale_width, name=f"scale{j}") for j in range(p.cols)]
        if scaled:
            with m.If(dq_busy):
                m.d.sync += dq_count.eq(dq_count - 1)
                m.d.sync += [s.eq(s >> 1) for s in scales]
            with m.If(hand_over):
                m.d.sync += [dq_count.eq(p.scale_width), dq_last.eq(beat.last)]
                m.d.sync += [s.eq(beat.scale[j]) for j, s in enumerate(scales)]
            m.d.comb += self.activity["dequant_steps"].eq(Mux(advance & dq_busy, p.pes, 0))
        capture = (dq_busy & dq_last & (dq_count == 1)) if scaled else (hand_over & beat.last)

        # Result drain: row 0 of the captured tile is on the port; a taken beat shifts
        # the rows up. Captures (below) override the shift.
        out_count = Signal(range(p.rows + 1), name="out_count")
        result = [[Signal(acc, name=f"pe{i}_{j}_res") for j in range(p.cols)]
                  for i in range(p.rows)]
        m.d.comb += results.valid.eq(out_count != 0)
        m.d.comb += [results.payload.c[j].eq(result[0][j]) for j in range(p.cols)]
        with m.If(out_count != 0):
            m.d.sync += out_count.eq(out_count - 1)
            for i in range(p.rows - 1):
                m.d.sync += [result[i][j].eq(result[i + 1][j]) for j in range(p.cols)]
        with m.If(capture):
            m.d.sync += out_count.eq(p.rows)

        for i in range(p.rows):
            for j in range(p.cols):
                self._elaborate_pe(m, i, j, beat, step, hand_over, capture,
                                   dq_busy, scales[j], result[i][j])

    def _elaborate_pe(self, m: Module, i: int, j: int, beat: Signal, step: Signal,
                      hand_over: Signal, capture: object, dq_busy: object,
                      scale: Signal, result: Signal) -> None:
        p = self.params
        acc = int_shape(p.acc_width, p.signed)
        row = [beat.a[i * p.lanes + lane] for lane in range(p.lanes)]
        column = [beat.b[j * p.lanes + lane] for lane in range(p.lanes)]
        pairs = zip(column, row, strict=True) if p.serial == "weights" \
            else zip(row, column, strict=True)
        partial = tree_sum([Mux(bit, word, 0) for bit, word in pairs])
        if self.keep_lane_sums:
            partial = kept(m, partial, f"pe{i}_{j}_lanes")
        group = Signal(acc, name=f"pe{i}_{j}_group")
        total = Signal(acc, name=f"pe{i}_{j}_total")
        group_next = Signal(acc, name=f"pe{i}_{j}_group_next")
        base = Mux(beat.start, 0, Mux(beat.shift, group << 1, group))
        m.d.comb += group_next.eq(base + Mux(beat.negate, -partial, partial))
        with m.If(step):
            m.d.sync += group.eq(group_next)
        if p.scale_width:
            held = Signal(acc, name=f"pe{i}_{j}_dq")
            addend = Signal(acc, name=f"pe{i}_{j}_dq_add")
            m.d.comb += addend.eq(Mux(scale[0], held, 0))
            with m.If(dq_busy):
                m.d.sync += held.eq(held << 1)
                with m.If(capture):
                    m.d.sync += [result.eq(total + addend), total.eq(0)]
                with m.Else():
                    m.d.sync += total.eq(total + addend)
            with m.If(hand_over):
                m.d.sync += held.eq(group_next)
        else:
            with m.If(hand_over):
                with m.If(beat.last):
                    m.d.sync += [result.eq(total + group_next), total.eq(0)]
                with m.Else():
                    m.d.sync += total.eq(total + group_next)
