"""The systolic-array component.

Stream protocol (both dataflows): one ``operands`` stream in, one ``results`` stream out.
The whole array advances on a cycle unless ``results`` holds a beat its sink does not take
(global stall), so back-pressure never corrupts data in flight.

Output-stationary (``os``), operand beat ``{a[rows], b[cols], last}``:
    Beat k of a tile carries column k of the A tile (``a[i] = A[m0+i, k]``) and row k of the
    B tile (``b[j] = B[k, n0+j]``); ``last`` marks the final k. PE (i, j) sees beat k at
    cycle ``t_k + 1 + i + j`` (skew registers), so tiles stream back to back: when the last
    beat passes a PE its sum moves to a result register and accumulation of the next tile
    starts at once. Each tile then leaves as ``rows`` result beats ``{c[cols]}`` (row i of
    the C tile), the first ``cols + 2`` cycles after the last operand beat. The array takes a
    beat with ``last`` set only ``rows`` or more cycles after the previous one (``ready`` is
    held low until then), so tiles shorter than ``rows`` never collide on the result port.

Weight-stationary (``ws``), operand beat
``{a[rows], b[cols], a_valid, w_valid, w_row, swap, acc_first, acc_last}``:
    With ``w_valid``, ``b`` is row ``w_row`` of the *next* weight tile (``b[j] = B[k0+w_row,
    n0+j]``), written into the PEs' shadow registers. With ``a_valid``, ``a`` is one
    activation row (``a[i] = A[m, k0+i]``); ``swap`` on the first activation of a tile makes
    the PEs switch to the shadow weights as that activation passes them. Partial sums flow
    down the columns into an accumulator memory indexed by the activation's position in the
    tile (``acc_depth`` rows at most): ``acc_first`` overwrites, ``acc_last`` emits the sum
    as a result beat ``{c[cols]}`` instead of storing it. Rules for the host (the driver in
    ``sim.systolic.driver`` follows them): weight row r of the next tile may ride on beat r
    of the current tile or later, and must arrive before that tile's ``swap`` beat + r; the
    first tile's weights come in beats before its first activation.

Activity taps: ``SystolicArray.activity`` maps an event name to a plain (non-port) signal
holding how many such events happen in the current cycle. They only read the datapath, for
energy accounting in simulation (``sim.activity`` sums them); unused, they synthesize to
nothing. Events happen only on cycles where the array advances. The taps (all exist in both
dataflows, zero where they do not apply):

``pe_macs``        PEs doing a multiply-accumulate with a valid operand (zero padding of
                   ragged tiles included).
``operand_words``  elements taken from the operand stream in valid lanes (``os``: ``rows`` +
                   ``cols`` per beat; ``ws``: ``rows`` with ``a_valid``, ``cols`` with
                   ``w_valid``).
``result_words``   elements handed to the result sink (``cols`` per result beat).
``acc_reads``      (``ws``) accumulator-memory rows read whose data is used (``acc_first``
                   clear; the port is clocked every cycle, a clock-gated port would do these).
``acc_writes``     (``ws``) accumulator-memory rows written.
``weight_writes``  (``ws``) weight shadow registers written (one element each).
``weight_swaps``   (``ws``) PE weight registers loaded from their shadow (``swap``).
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, Value
from amaranth.lib import data
from amaranth.lib.memory import Memory

from hw.logic import tree_sum
from hw.stream import StreamArray, index_shape, int_shape
from hw.systolic.params import SystolicParams


def operand_layout(params: SystolicParams) -> data.StructLayout:
    """Payload layout of the ``operands`` stream (fields from the least significant bit)."""
    element = int_shape(params.input_width, params.signed)
    fields: dict[str, object] = {
        "a": data.ArrayLayout(element, params.rows),
        "b": data.ArrayLayout(element, params.cols),
    }
    if params.dataflow == "os":
        fields["last"] = 1
    else:
        fields.update(a_valid=1, w_valid=1, w_row=index_shape(params.rows),
                      swap=1, acc_first=1, acc_last=1)
    return data.StructLayout(fields)


def result_layout(params: SystolicParams) -> data.StructLayout:
    """Payload layout of the ``results`` stream: one row of ``cols`` accumulators."""
    return data.StructLayout(
        {"c": data.ArrayLayout(int_shape(params.acc_width, params.signed), params.cols)})


def activity_bounds(params: SystolicParams) -> dict[str, int]:
    """Largest per-cycle count of each activity tap, by name (see the module docstring)."""
    pes = params.rows * params.cols
    return {"pe_macs": pes, "operand_words": params.rows + params.cols,
            "result_words": params.cols, "acc_reads": 1, "acc_writes": 1,
            "weight_writes": params.cols, "weight_swaps": pes}


def _delay(m: Module, value: Value, depth: int, name: str) -> Value:
    """``value`` delayed by ``depth`` registers."""
    for stage in range(depth):
        reg = Signal(value.shape(), name=f"{name}_d{stage}")
        m.d.sync += reg.eq(value)
        value = reg
    return value


class SystolicArray(StreamArray):
    """A ``rows`` x ``cols`` systolic array; see the module docstring for the protocol."""

    def __init__(self, params: SystolicParams) -> None:
        self.params = params
        super().__init__(operand_layout(params), result_layout(params),
                         activity_bounds(params), params.cols)

    def elaborate_datapath(self, m: Module, advance: Signal) -> None:
        if self.params.dataflow == "os":
            self._elaborate_os(m, advance)
        else:
            self._elaborate_ws(m, advance)

    def _elaborate_os(self, m: Module, advance: Signal) -> None:
        p = self.params
        operands, results = self.operands, self.results
        element = int_shape(p.input_width, p.signed)
        acc = int_shape(p.acc_width, p.signed)
        lane = data.StructLayout({"a": element, "valid": 1, "last": 1})

        # Tiles shorter than `rows` beats would collide on the result port: accept a `last`
        # beat only `rows` cycles after the previous one.
        since_last = Signal(range(p.rows + 1), init=p.rows)
        last_allowed = since_last == p.rows
        m.d.comb += operands.ready.eq(advance & (last_allowed | ~operands.payload.last))
        accept = operands.valid & operands.ready
        m.d.comb += self.activity["operand_words"].eq(Mux(accept, p.rows + p.cols, 0))

        row_in = []
        for i in range(p.rows):
            entry = Signal(lane, name=f"a_in{i}")
            m.d.comb += [entry.a.eq(operands.payload.a[i]), entry.valid.eq(accept),
                         entry.last.eq(operands.payload.last)]
            row_in.append(entry)

        with m.If(accept & operands.payload.last):
            m.d.sync += since_last.eq(1)
        with m.Elif(~last_allowed):
            m.d.sync += since_last.eq(since_last + 1)

        west = [_delay(m, row_in[i], i + 1, f"skew_a{i}") for i in range(p.rows)]
        north = [_delay(m, operands.payload.b[j], j + 1, f"skew_b{j}")
                 for j in range(p.cols)]
        # captured[i][j]: (pulse, value) of PE (i, j)'s finished sum
        captured: list[list[tuple[Signal, Signal]]] = []
        macs: list[Value] = []
        for i in range(p.rows):
            captured.append([])
            a_in = west[i]
            for j in range(p.cols):
                b_in = north[j]
                a_out = Signal(lane, name=f"pe{i}_{j}_a")
                b_out = Signal(element, name=f"pe{i}_{j}_b")
                total = Signal(acc, name=f"pe{i}_{j}_acc")
                result = Signal(acc, name=f"pe{i}_{j}_res")
                pulse = Signal(name=f"pe{i}_{j}_done")
                m.d.sync += [a_out.eq(a_in), b_out.eq(b_in), pulse.eq(0)]
                sum_ = total + a_in.a * b_in
                macs.append(a_in.valid)
                with m.If(a_in.valid):
                    with m.If(a_in.last):
                        m.d.sync += [result.eq(sum_), total.eq(0), pulse.eq(1)]
                    with m.Else():
                        m.d.sync += total.eq(sum_)
                captured[i].append((pulse, result))
                a_in = a_out
                north[j] = b_out
        m.d.comb += self.activity["pe_macs"].eq(Mux(advance, tree_sum(macs), 0))

        # Row i of a tile finishes in column j one cycle after row i-1: a one-hot pick
        # per column, then a deskew so that every column of a row leaves together.
        for j in range(p.cols):
            column_valid = Signal(name=f"col{j}_valid")
            column_value = Signal(acc, name=f"col{j}_value")
            picked = Signal(acc, name=f"col{j}_pick")
            any_pulse = Signal(name=f"col{j}_any")
            parts = [Mux(pulse, result, 0) for pulse, result in
                     (captured[i][j] for i in range(p.rows))]
            pulses = [captured[i][j][0] for i in range(p.rows)]
            acc_or: Value = parts[0]
            pulse_or: Value = pulses[0]
            for part, pulse in zip(parts[1:], pulses[1:], strict=True):
                acc_or = acc_or | part
                pulse_or = pulse_or | pulse
            m.d.comb += [picked.eq(acc_or), any_pulse.eq(pulse_or)]
            m.d.sync += [column_value.eq(picked), column_valid.eq(any_pulse)]
            depth = p.cols - 1 - j
            value_out = _delay(m, column_value, depth, f"deskew_c{j}")
            m.d.comb += results.payload.c[j].eq(value_out)
            if j == p.cols - 1:
                m.d.comb += results.valid.eq(column_valid)

    def _elaborate_ws(self, m: Module, advance: Signal) -> None:
        p = self.params
        assert p.acc_depth is not None
        operands, results = self.operands, self.results
        payload = operands.payload
        element = int_shape(p.input_width, p.signed)
        acc = int_shape(p.acc_width, p.signed)
        row_lane = data.StructLayout(
            {"a": element, "a_valid": 1, "swap": 1, "acc_first": 1, "acc_last": 1})
        col_lane = data.StructLayout({"b": element, "w_valid": 1, "w_row": index_shape(p.rows)})

        m.d.comb += operands.ready.eq(advance)
        accept = operands.valid & operands.ready
        activation = accept & payload.a_valid
        m.d.comb += self.activity["operand_words"].eq(
            Mux(activation, p.rows, 0) + Mux(accept & payload.w_valid, p.cols, 0))

        row_in, col_in = [], []
        for i in range(p.rows):
            entry = Signal(row_lane, name=f"a_in{i}")
            m.d.comb += [entry.a.eq(Mux(activation, payload.a[i], 0)),
                         entry.a_valid.eq(activation), entry.swap.eq(activation & payload.swap),
                         entry.acc_first.eq(payload.acc_first),
                         entry.acc_last.eq(payload.acc_last)]
            row_in.append(entry)
        for j in range(p.cols):
            entry = Signal(col_lane, name=f"w_in{j}")
            m.d.comb += [entry.b.eq(payload.b[j]), entry.w_valid.eq(accept & payload.w_valid),
                         entry.w_row.eq(payload.w_row)]
            col_in.append(entry)

        m.submodules.accumulators = memory = Memory(
            shape=data.ArrayLayout(acc, p.cols), depth=p.acc_depth, init=[])
        write = memory.write_port()
        read = memory.read_port(transparent_for=(write,))

        west = [_delay(m, row_in[i], i + 1, f"skew_a{i}") for i in range(p.rows)]
        loads = [_delay(m, col_in[j], j + 1, f"skew_w{j}") for j in range(p.cols)]
        shadow = [[Signal(element, name=f"pe{i}_{j}_shadow") for j in range(p.cols)]
                  for i in range(p.rows)]
        for j, load in enumerate(loads):
            for i in range(p.rows):
                with m.If(load.w_valid & (load.w_row == i)):
                    m.d.sync += shadow[i][j].eq(load.b)
        # A column writes the shadow register of row `w_row`, if there is one.
        m.d.comb += self.activity["weight_writes"].eq(
            Mux(advance, tree_sum([load.w_valid & (load.w_row < p.rows) for load in loads]), 0))

        column_psum: list[Value] = [0] * p.cols  # type: ignore[list-item]
        bottom_flags = west[p.rows - 1]
        macs: list[Value] = []
        swaps: list[Value] = []
        for i in range(p.rows):
            a_in = west[i]
            for j in range(p.cols):
                a_out = Signal(row_lane, name=f"pe{i}_{j}_a")
                weight = Signal(element, name=f"pe{i}_{j}_weight")
                psum = Signal(acc, name=f"pe{i}_{j}_psum")
                used = Mux(a_in.swap, shadow[i][j], weight)
                m.d.sync += [a_out.eq(a_in), psum.eq(column_psum[j] + a_in.a * used)]
                with m.If(a_in.swap):
                    m.d.sync += weight.eq(shadow[i][j])
                macs.append(a_in.a_valid)
                swaps.append(a_in.swap)
                column_psum[j] = psum
                a_in = a_out
                if i == p.rows - 1 and j == p.cols - 1:
                    bottom_flags = a_out
        m.d.comb += [self.activity["pe_macs"].eq(Mux(advance, tree_sum(macs), 0)),
                     self.activity["weight_swaps"].eq(Mux(advance, tree_sum(swaps), 0))]

        # Deskew the column sums so a whole row of partial sums arrives together with
        # the flags of its activation (those of the bottom-right PE).
        aligned = [_delay(m, column_psum[j], p.cols - 1 - j, f"deskew_p{j}")
                   for j in range(p.cols)]

        # Stage A: address the accumulator row of this activation.
        index = Signal(range(p.acc_depth), name="acc_index")
        next_index = Signal(range(p.acc_depth), name="acc_next_index")
        m.d.comb += index.eq(Mux(bottom_flags.swap, 0, next_index))
        with m.If(bottom_flags.a_valid):
            m.d.sync += next_index.eq(index + 1)
        m.d.comb += [read.addr.eq(index), read.en.eq(advance)]
        stage_psum = Signal(data.ArrayLayout(acc, p.cols), name="stage_psum")
        stage_flags = Signal(row_lane, name="stage_flags")
        stage_index = Signal(range(p.acc_depth), name="stage_index")
        m.d.sync += [stage_flags.eq(bottom_flags), stage_index.eq(index)]
        m.d.sync += [stage_psum[j].eq(aligned[j]) for j in range(p.cols)]

        # Stage B: add to the stored partial sum (or start afresh), store or emit.
        total = Signal(data.ArrayLayout(acc, p.cols), name="acc_total")
        for j in range(p.cols):
            m.d.comb += total[j].eq(
                Mux(stage_flags.acc_first, 0, read.data[j]) + stage_psum[j])
        m.d.comb += [write.addr.eq(stage_index), write.data.eq(total),
                     write.en.eq(advance & stage_flags.a_valid & ~stage_flags.acc_last)]
        m.d.comb += [
            self.activity["acc_reads"].eq(advance & stage_flags.a_valid & ~stage_flags.acc_first),
            self.activity["acc_writes"].eq(write.en)]
        m.d.sync += results.valid.eq(stage_flags.a_valid & stage_flags.acc_last)
        with m.If(stage_flags.a_valid & stage_flags.acc_last):
            m.d.sync += results.payload.eq(total)
