"""The accelerator component ``accel-v1``: a systolic or bit-serial core fed from an
operand scratchpad, an accumulator buffer, and a DMA engine with an AXI4 master.

Ports:

- ``cmd`` (stream in): one job, ``{a_addr, b_addr, c_addr, lda, ldb, ldc, m, k, n, tm, tk,
  tn, order}`` (byte addresses and row strides of the layout in ``hw.accel.tiling``; order
  0 = ``mnk``, 1 = ``nmk``), and for the bit-serial core ``bits``, the precision of its
  serial operand (a job with ``bits`` outside 1..``max_bits`` is refused), taken while
  ``busy`` is low;
- ``busy``, ``done`` (high from the end of a job until the next command), ``error`` (the
  last job was refused: its tiles do not fit or break a rule of ``tiling.refusal``; nothing
  was read or written);
- ``axi``: an AXI4 master (``axi__ar*``, ``axi__r*``, ``axi__aw*``, ``axi__w*``,
  ``axi__b*``), INCR bursts of full beats, ids 0;
- ``counters``: per job (cleared when a command is taken), ``cycles`` (command taken to
  done), ``dram_read_bytes``, ``dram_write_bytes``, ``spad_reads`` / ``spad_writes``
  (scratchpad words), ``acc_reads`` / ``acc_writes`` (accumulator words), ``stall_cycles``
  (cycles a step waits for the DMA with the core idle) and the core's activity taps
  (``core_pe_macs``, ``core_operand_words``, ...: ``hw.systolic.array`` names them; for the
  bit-serial core ``core_pe_steps``, ``core_serial_bits``, ...: ``hw.bitserial.array``).

Schedule (one step at a time, deterministic): a job's tiles run in the order of
``tiling.tiles``. Step s computes tile s - 1 from its scratchpad slots while the DMA first
writes back the C tile finished in step s - 1 (if any) and then loads tile s's A and B
tiles (those not already on chip) into the other slots; the step ends when both are done.
Step 0 only loads; the last step only writes back. The DMA runs one transfer at a time:
bursts (never crossing a multiple of ``max_burst`` beats) issue while fewer than
``outstanding`` are in flight; a read transfer ends when its last beat is in, a write
transfer when its last response is.

Compute, output-stationary core: for each core tile (``rows`` x ``cols`` of C) of the
tile, ``tk`` beats from the scratchpad (a column of A^T's tile row and a row of B's, one
read of each per beat). Weight-stationary core: for each ``cols`` columns of the tile, each
block of ``acc_depth`` rows and each ``rows`` of K, ``rows`` weight beats (a row of B each)
and then one activation beat per row of the block (a row of A: ``rows`` elements of K;
``swap`` on the first, the core sums over the tile's K in its own accumulator). Bit-serial
core (``lanes`` = L): for each core tile, for each bit plane of the job's precision (most
significant first), for each chunk of L elements of the tile's K, one beat from the
scratchpad (a word of the blocked A and one of the blocked B, one read of each; the serial
operand's plane bits picked from its words), with the flags of ``hw.bitserial.array``.
Every way each result row is added into the accumulator slot (written without a read on
the first K tile).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory, WritePort
from amaranth.lib.wiring import In, Out

from hw.accel.params import AccelParams
from hw.accel.tiling import BITS_WIDTH
from hw.bitserial.array import BitSerialArray, activity_bounds
from hw.stream import stream_signature
from hw.systolic.array import SystolicArray

ADDR_WIDTH = 32
DIM_WIDTH = 16
COUNTER_WIDTH = 48
#: The counters every job reports (the core's activity taps follow them).
COUNTERS = ("cycles", "dram_read_bytes", "dram_write_bytes", "spad_reads", "spad_writes",
            "acc_reads", "acc_writes", "stall_cycles")
#: The core's activity taps (``hw.systolic.array``), counted as ``core_<event>``.
CORE_EVENTS = ("pe_macs", "operand_words", "result_words", "acc_reads", "acc_writes",
               "weight_writes", "weight_swaps")
CORE_COUNTERS = tuple(f"core_{event}" for event in CORE_EVENTS)


def core_events(params: AccelParams) -> tuple[str, ...]:
    """The activity taps of ``params``' core (:data:`CORE_EVENTS` for the systolic one)."""
    if params.core == "bitserial":
        return tuple(activity_bounds(params.bitserial_core))
    return CORE_EVENTS


def core_counters(params: AccelParams) -> tuple[str, ...]:
    """The counters of ``params``' core activity, ``core_<event>``."""
    return tuple(f"core_{event}" for event in core_events(params))


def command_layout(params: AccelParams | None = None) -> data.StructLayout:
    """Payload of the ``cmd`` stream (fields from the least significant bit); the
    bit-serial core's adds ``bits`` at the top."""
    fields = {
        "a_addr": ADDR_WIDTH, "b_addr": ADDR_WIDTH, "c_addr": ADDR_WIDTH,
        "lda": ADDR_WIDTH, "ldb": ADDR_WIDTH, "ldc": ADDR_WIDTH,
        "m": DIM_WIDTH, "k": DIM_WIDTH, "n": DIM_WIDTH,
        "tm": DIM_WIDTH, "tk": DIM_WIDTH, "tn": DIM_WIDTH, "order": 1}
    if params is not None and params.core == "bitserial":
        fields["bits"] = BITS_WIDTH
    return data.StructLayout(fields)


def axi_signature(bus_bytes: int) -> wiring.Signature:
    """An AXI4 master's signals (as the master sees them), standard names."""
    return wiring.Signature({
        "awid": Out(1), "awaddr": Out(ADDR_WIDTH), "awlen": Out(8), "awsize": Out(3),
        "awburst": Out(2), "awvalid": Out(1), "awready": In(1),
        "wdata": Out(8 * bus_bytes), "wstrb": Out(bus_bytes), "wlast": Out(1),
        "wvalid": Out(1), "wready": In(1),
        "bid": In(1), "bresp": In(2), "bvalid": In(1), "bready": Out(1),
        "arid": Out(1), "araddr": Out(ADDR_WIDTH), "arlen": Out(8), "arsize": Out(3),
        "arburst": Out(2), "arvalid": Out(1), "arready": In(1),
        "rid": In(1), "rdata": In(8 * bus_bytes), "rresp": In(2), "rlast": In(1),
        "rvalid": In(1), "rready": Out(1)})


def _log2(value: int) -> int:
    assert value > 0 and not value & (value - 1), value
    return value.bit_length() - 1


def _scale(value: Value, numerator: int, denominator: int) -> Value:
    """``value * numerator / denominator`` for powers of two (exact where used)."""
    shift = _log2(numerator) - _log2(denominator)
    return value << shift if shift >= 0 else value >> -shift


def _minimum(a: Value, b: Value) -> Value:
    return Mux(a < b, a, b)


class Accelerator(wiring.Component):
    """``accel-v1``; see the module docstring."""

    def __init__(self, params: AccelParams) -> None:
        self.params = params
        counters = wiring.Signature({name: Out(COUNTER_WIDTH)
                                     for name in (*COUNTERS, *core_counters(params))})
        super().__init__({"cmd": In(stream_signature(command_layout(params))),
                          "busy": Out(1), "done": Out(1), "error": Out(1),
                          "axi": Out(axi_signature(params.bus_bytes)),
                          "counters": Out(counters)})

    def elaborate(self, platform: object) -> Module:  # noqa: C901 (one controller)
        p = self.params
        m = Module()
        e, acc_b, bus = p.element_bytes, p.acc_bytes, p.bus_bytes
        lane_a, lane_b, res = p.a_lane_bytes, p.b_lane_bytes, p.cols * acc_b
        bs_core = p.core == "bitserial"
        lanes = p.k_lanes
        word_a, word_b, word_c = p.a_word_bytes, p.b_word_bytes, p.c_word_bytes
        slot_a_words = p.spad_slot_bytes // word_a
        slot_b_words = p.spad_slot_bytes // word_b
        slot_c_words = p.acc_slot_bytes // word_c
        bus_shift = _log2(bus)
        axi = self.axi
        cnt = self.counters

        core: SystolicArray | BitSerialArray
        if bs_core:
            # an unsigned core's `negate` is the constant 0 (below): its lane sums are kept
            # apart, or Yosys merges each with the group update into one gate-mapped $macc
            m.submodules.core = core = BitSerialArray(p.bitserial_core,
                                                      keep_lane_sums=not p.signed)
        else:
            m.submodules.core = core = SystolicArray(p.systolic_core)
        m.submodules.spad_a = spad_a = Memory(shape=8 * word_a, depth=2 * slot_a_words,
                                              init=[])
        m.submodules.spad_b = spad_b = Memory(shape=8 * word_b, depth=2 * slot_b_words,
                                              init=[])
        acc_mems = []
        for slot in range(2):
            mem = Memory(shape=8 * word_c, depth=slot_c_words, init=[])
            m.submodules[f"acc{slot}"] = mem
            acc_mems.append(mem)

        def granular_write(mem: Memory, word: int, unit: int) -> WritePort:
            return mem.write_port(granularity=8 * unit if word > unit else None)

        a_write = granular_write(spad_a, word_a, bus)
        b_write = granular_write(spad_b, word_b, bus)
        a_read, b_read = spad_a.read_port(), spad_b.read_port()
        c_writes = [granular_write(mem, word_c, res) for mem in acc_mems]
        c_reads = [mem.read_port() for mem in acc_mems]

        # --- job registers ---------------------------------------------------------
        job = Signal(command_layout(p), name="job")
        order_nmk = job.order
        m_pad = Signal(DIM_WIDTH + 1, name="m_pad")
        n_pad = Signal(DIM_WIDTH + 1, name="n_pad")
        k_pad = Signal(DIM_WIDTH + 1, name="k_pad")
        busy = Signal(name="busy_flag")
        done = Signal(name="done_flag")
        error = Signal(name="error_flag")
        m.d.comb += [self.busy.eq(busy), self.done.eq(done), self.error.eq(error)]

        # tile position of the tile to load next, and what was loaded before it
        pos_valid = Signal(name="pos_valid")
        m0, k0, n0 = (Signal(DIM_WIDTH + 1, name=n) for n in ("pos_m0", "pos_k0", "pos_n0"))
        prev_valid = Signal(name="prev_valid")
        prev_m0, prev_k0, prev_n0 = (Signal(DIM_WIDTH + 1, name=n)
                                     for n in ("prev_m0", "prev_k0", "prev_n0"))
        prev_a_slot, prev_b_slot, prev_c_slot = (Signal(name=n) for n in
                                                 ("prev_a_slot", "prev_b_slot", "prev_c_slot"))

        tile_layout = data.StructLayout({
            "tm_pad": DIM_WIDTH + 1, "tm_eff": DIM_WIDTH + 1, "tk": DIM_WIDTH + 1,
            "tk_pad": DIM_WIDTH + 1,
            "tn_pad": DIM_WIDTH + 1, "first_k": 1, "last_k": 1, "load_a": 1, "load_b": 1,
            "a_slot": 1, "b_slot": 1, "c_slot": 1, "a_src": ADDR_WIDTH,
            "b_src": ADDR_WIDTH, "c_dst": ADDR_WIDTH})
        here = Signal(tile_layout, name="load_tile")  # the tile at the position
        first_k = k0 == 0
        if bs_core:   # rows of the blocked A and B: one per chunk of K
            chunk_row = k0 >> _log2(lanes)
            a_src = job.a_addr + chunk_row * job.lda + m0 * (e * lanes)
            b_src = job.b_addr + chunk_row * job.ldb + n0 * (e * lanes)
        else:
            a_src = (job.a_addr + k0 * job.lda + m0 * e if p.dataflow == "os"
                     else job.a_addr + m0 * job.lda + k0 * e)
            b_src = job.b_addr + k0 * job.ldb + n0 * e
        load_a = ~prev_valid | (prev_m0 != m0) | (prev_k0 != k0)
        load_b = ~prev_valid | (prev_n0 != n0) | (prev_k0 != k0)
        m.d.comb += [
            here.tm_pad.eq(_minimum(job.tm, m_pad - m0)),
            here.tm_eff.eq(_minimum(job.tm, job.m - m0)),
            here.tk.eq(_minimum(job.tk, job.k - k0)),
            here.tk_pad.eq(_minimum(job.tk, k_pad - k0)),
            here.tn_pad.eq(_minimum(job.tn, n_pad - n0)),
            here.first_k.eq(first_k), here.last_k.eq(k0 + job.tk >= job.k),
            here.load_a.eq(load_a), here.load_b.eq(load_b),
            here.a_slot.eq(Mux(load_a, ~prev_a_slot, prev_a_slot)),
            here.b_slot.eq(Mux(load_b, ~prev_b_slot, prev_b_slot)),
            here.c_slot.eq(Mux(first_k, ~prev_c_slot, prev_c_slot)),
            here.a_src.eq(a_src),
            here.b_src.eq(b_src),
            here.c_dst.eq(job.c_addr + m0 * job.ldc + n0 * acc_b),
        ]
        comp = Signal(tile_layout, name="comp_tile")
        comp_valid = Signal(name="comp_valid")
        wb = Signal(tile_layout, name="wb_tile")
        wb_valid = Signal(name="wb_valid")

        # next position in loop order (K innermost)
        k_next = k0 + job.tk
        k_wrap = k_next >= job.k
        m_next, n_next = m0 + job.tm, n0 + job.tn
        next_m0, next_k0, next_n0 = (Signal(DIM_WIDTH + 1, name=n)
                                     for n in ("next_m0", "next_k0", "next_n0"))
        pos_end = Signal(name="pos_end")
        m.d.comb += [next_k0.eq(Mux(k_wrap, 0, k_next)), next_m0.eq(m0), next_n0.eq(n0),
                     pos_end.eq(0)]
        with m.If(k_wrap):
            with m.If(~order_nmk):
                with m.If(n_next >= job.n):
                    m.d.comb += [next_n0.eq(0), next_m0.eq(m_next),
                                 pos_end.eq(m_next >= job.m)]
                with m.Else():
                    m.d.comb += next_n0.eq(n_next)
            with m.Else():
                with m.If(m_next >= job.m):
                    m.d.comb += [next_m0.eq(0), next_n0.eq(n_next),
                                 pos_end.eq(n_next >= job.n)]
                with m.Else():
                    m.d.comb += next_m0.eq(m_next)

        # --- legality check (tiling.refusal) ------------------------------------------
        gm, gn, gk = p.m_granule, p.n_granule, p.k_granule
        refused = Signal(name="refused")
        rule = (
            (job.m == 0) | (job.k == 0) | (job.n == 0) | (job.tm == 0) | (job.tk == 0)
            | (job.tn == 0) | (job.tm[:_log2(gm)] != 0 if gm > 1 else Const(0))
            | (job.tn[:_log2(gn)] != 0 if gn > 1 else Const(0))
            | (job.tk[:_log2(gk)] != 0 if gk > 1 else Const(0))
            | (job.tm * job.tk * e > p.spad_slot_bytes)
            | (job.tk * job.tn * e > p.spad_slot_bytes)
            | (job.tm * job.tn * acc_b > p.acc_slot_bytes))
        if bs_core:
            rule = rule | (job.bits == 0) | (job.bits > p.max_bits)
        m.d.comb += refused.eq(rule)

        # --- engines' handshake with the step controller -----------------------------
        launch = Signal(name="launch")
        dma_busy = Signal(name="dma_busy")
        comp_busy = Signal(name="comp_busy")

        with m.FSM(name="control"):
            with m.State("IDLE"):
                m.d.comb += self.cmd.ready.eq(1)
                with m.If(self.cmd.valid):
                    m.d.sync += [job.eq(self.cmd.payload), busy.eq(1), done.eq(0),
                                 error.eq(0)]
                    m.next = "CHECK"
            with m.State("CHECK"):
                m.d.sync += [m_pad.eq(((job.m + gm - 1) >> _log2(gm)) << _log2(gm)),
                             n_pad.eq(((job.n + gn - 1) >> _log2(gn)) << _log2(gn)),
                             k_pad.eq(((job.k + gk - 1) >> _log2(gk)) << _log2(gk))]
                with m.If(refused):
                    m.d.sync += [error.eq(1), done.eq(1), busy.eq(0)]
                    m.next = "IDLE"
                with m.Else():
                    m.d.sync += [pos_valid.eq(1), m0.eq(0), k0.eq(0), n0.eq(0),
                                 prev_valid.eq(0), prev_a_slot.eq(1), prev_b_slot.eq(1),
                                 prev_c_slot.eq(1), comp_valid.eq(0), wb_valid.eq(0)]
                    m.next = "LAUNCH"
            with m.State("LAUNCH"):
                m.d.comb += launch.eq(1)
                m.next = "WAIT"
            with m.State("WAIT"):
                with m.If(~dma_busy & ~comp_busy):
                    m.next = "ADVANCE"
            with m.State("ADVANCE"):
                new_wb = comp_valid & comp.last_k
                m.d.sync += [wb.eq(comp), wb_valid.eq(new_wb), comp.eq(here),
                             comp_valid.eq(pos_valid)]
                with m.If(pos_valid):
                    m.d.sync += [prev_valid.eq(1), prev_m0.eq(m0), prev_k0.eq(k0),
                                 prev_n0.eq(n0), prev_a_slot.eq(here.a_slot),
                                 prev_b_slot.eq(here.b_slot), prev_c_slot.eq(here.c_slot),
                                 m0.eq(next_m0), k0.eq(next_k0), n0.eq(next_n0),
                                 pos_valid.eq(~pos_end)]
                with m.If(~new_wb & ~pos_valid):
                    m.d.sync += [busy.eq(0), done.eq(1)]
                    m.next = "IDLE"
                with m.Else():
                    m.next = "LAUNCH"

        with m.If(busy):
            m.d.sync += cnt.cycles.eq(cnt.cycles + 1)

        # --- DMA ---------------------------------------------------------------------
        pend_wb, pend_a, pend_b = (Signal(name=n) for n in ("pend_wb", "pend_a", "pend_b"))
        x_write = Signal(name="x_write")        # the transfer writes C back
        x_to_b = Signal(name="x_to_b")          # a read transfer fills B (else A)
        x_slot = Signal(name="x_slot")
        x_stride = Signal(ADDR_WIDTH, name="x_stride")
        x_row_beats = Signal(DIM_WIDTH + 4, name="x_row_beats")
        iss_addr = Signal(ADDR_WIDTH, name="iss_addr")
        iss_row = Signal(ADDR_WIDTH, name="iss_row")
        iss_left = Signal(DIM_WIDTH + 4, name="iss_left")      # beats left in the row
        iss_rows = Signal(DIM_WIDTH + 1, name="iss_rows")      # rows left to issue
        outstanding = Signal(range(p.outstanding + 1), name="outstanding")
        local = Signal(ADDR_WIDTH, name="local_offset")        # bytes into the slot
        # write-back sender
        w_rows = Signal(DIM_WIDTH + 1, name="w_rows")
        w_left = Signal(DIM_WIDTH + 4, name="w_left")
        w_phase = Signal(range(p.max_burst), name="w_phase")
        w_row = Signal(ADDR_WIDTH, name="w_row")
        w_valid = Signal(name="w_valid")
        w_last = Signal(name="w_last")
        w_sel = Signal(range(max(2, word_c // bus)), name="w_sel")

        room = p.max_burst - (iss_addr[bus_shift:] & (p.max_burst - 1))
        burst = Signal(range(p.max_burst + 1), name="burst_beats")
        m.d.comb += burst.eq(Mux(iss_left < room, iss_left, room))
        issue = Signal(name="issue")
        issuing = (iss_rows != 0) & (outstanding < p.outstanding)

        with m.FSM(name="dma"):
            with m.State("IDLE"):
                with m.If(launch):
                    m.d.sync += [pend_wb.eq(wb_valid), pend_a.eq(pos_valid & here.load_a),
                                 pend_b.eq(pos_valid & here.load_b)]
                    m.next = "NEXT"
            with m.State("NEXT"):
                m.d.comb += dma_busy.eq(1)
                m.d.sync += [local.eq(0), w_valid.eq(0)]
                with m.If(pend_wb):
                    beats = _scale(wb.tn_pad, acc_b, bus)
                    m.d.sync += [pend_wb.eq(0), x_write.eq(1), x_slot.eq(wb.c_slot),
                                 x_stride.eq(job.ldc), x_row_beats.eq(beats),
                                 iss_addr.eq(wb.c_dst), iss_row.eq(wb.c_dst),
                                 iss_left.eq(beats), iss_rows.eq(wb.tm_eff),
                                 w_rows.eq(wb.tm_eff), w_left.eq(beats), w_row.eq(wb.c_dst),
                                 w_phase.eq(wb.c_dst[bus_shift:] & (p.max_burst - 1))]
                    m.next = "RUN"
                with m.Elif(pend_a):
                    # A^T rows of the M extent (os), or A rows of the K extent (ws)
                    if bs_core:    # rows of the blocked A: M x lanes elements each
                        a_rows = here.tk_pad >> _log2(lanes)
                        beats = _scale(here.tm_pad, e * lanes, bus)
                    else:
                        a_rows, a_row = ((here.tk, here.tm_pad) if p.dataflow == "os"
                                         else (here.tm_pad, here.tk_pad))
                        beats = _scale(a_row, e, bus)
                    m.d.sync += [pend_a.eq(0), x_write.eq(0), x_to_b.eq(0),
                                 x_slot.eq(here.a_slot), x_stride.eq(job.lda),
                                 x_row_beats.eq(beats), iss_addr.eq(here.a_src),
                                 iss_row.eq(here.a_src), iss_left.eq(beats),
                                 iss_rows.eq(a_rows)]
                    m.next = "RUN"
                with m.Elif(pend_b):
                    beats = _scale(here.tn_pad, e * lanes, bus)
                    b_rows = here.tk_pad >> _log2(lanes) if bs_core else here.tk_pad
                    m.d.sync += [pend_b.eq(0), x_write.eq(0), x_to_b.eq(1),
                                 x_slot.eq(here.b_slot), x_stride.eq(job.ldb),
                                 x_row_beats.eq(beats), iss_addr.eq(here.b_src),
                                 iss_row.eq(here.b_src), iss_left.eq(beats),
                                 iss_rows.eq(b_rows)]
                    m.next = "RUN"
                with m.Else():
                    m.next = "IDLE"
            with m.State("RUN"):
                m.d.comb += [dma_busy.eq(1), issue.eq(issuing)]
                finished = (iss_rows == 0) & (outstanding == 0) & (
                    ~x_write | ((w_rows == 0) & ~w_valid))
                with m.If(finished):
                    m.next = "NEXT"

        m.d.comb += [
            axi.arvalid.eq(issue & ~x_write), axi.awvalid.eq(issue & x_write),
            axi.araddr.eq(iss_addr), axi.awaddr.eq(iss_addr),
            axi.arlen.eq(burst - 1), axi.awlen.eq(burst - 1),
            axi.arsize.eq(bus_shift), axi.awsize.eq(bus_shift),
            axi.arburst.eq(1), axi.awburst.eq(1), axi.arid.eq(0), axi.awid.eq(0),
            axi.rready.eq(1), axi.bready.eq(1), axi.wstrb.eq((1 << bus) - 1),
        ]
        issued = issue & Mux(x_write, axi.awready, axi.arready)
        retired = Mux(x_write, axi.bvalid, axi.rvalid & axi.rlast)
        m.d.sync += outstanding.eq(outstanding + issued - retired)
        with m.If(issued):
            with m.If(iss_left == burst):
                m.d.sync += [iss_row.eq(iss_row + x_stride), iss_addr.eq(iss_row + x_stride),
                             iss_left.eq(x_row_beats), iss_rows.eq(iss_rows - 1)]
            with m.Else():
                m.d.sync += [iss_addr.eq(iss_addr + (burst << bus_shift)),
                             iss_left.eq(iss_left - burst)]

        # read data into the scratchpad
        beat_in = axi.rvalid & ~x_write
        for port, word, is_b in ((a_write, word_a, False), (b_write, word_b, True)):
            slot_words = slot_b_words if is_b else slot_a_words
            selected = beat_in & (x_to_b if is_b else ~x_to_b)
            ratio = word // bus
            m.d.comb += [port.addr.eq(x_slot * slot_words + (local >> _log2(word))),
                         port.data.eq(Cat(*[axi.rdata] * ratio))]
            if ratio > 1:
                sub = (local >> bus_shift)[:_log2(ratio)]
                m.d.comb += port.en.eq(Mux(selected, 1 << sub, 0))
            else:
                m.d.comb += port.en.eq(selected)
        with m.If(beat_in):
            m.d.sync += [local.eq(local + bus), cnt.spad_writes.eq(cnt.spad_writes + 1),
                         cnt.dram_read_bytes.eq(cnt.dram_read_bytes + bus)]

        # write-back: accumulator words out as W beats
        wb_fetch = Signal(name="wb_fetch")
        w_more = x_write & (w_rows != 0)
        m.d.comb += wb_fetch.eq((~w_valid | axi.wready) & w_more)
        with m.If(~w_valid | axi.wready):
            m.d.sync += w_valid.eq(w_more)
        with m.If(wb_fetch):
            row_end = w_left == 1
            m.d.sync += [w_last.eq(row_end | (w_phase == p.max_burst - 1)),
                         local.eq(local + bus)]
            if word_c > bus:
                m.d.sync += w_sel.eq((local >> bus_shift)[:_log2(word_c // bus)])
            with m.If(row_end):
                next_row = w_row + x_stride
                m.d.sync += [w_row.eq(next_row), w_left.eq(x_row_beats),
                             w_rows.eq(w_rows - 1),
                             w_phase.eq(next_row[bus_shift:] & (p.max_burst - 1))]
            with m.Else():
                m.d.sync += [w_left.eq(w_left - 1), w_phase.eq(w_phase + 1)]
        wb_word = Mux(x_slot, c_reads[1].data, c_reads[0].data)
        m.d.comb += [axi.wvalid.eq(w_valid), axi.wlast.eq(w_last),
                     axi.wdata.eq(wb_word.word_select(w_sel, 8 * bus) if word_c > bus
                                  else wb_word)]
        with m.If(axi.wvalid & axi.wready):
            m.d.sync += cnt.dram_write_bytes.eq(cnt.dram_write_bytes + bus)

        # --- compute -----------------------------------------------------------------
        m_subs = Signal(DIM_WIDTH + 1, name="m_subs")
        n_subs = Signal(DIM_WIDTH + 1, name="n_subs")
        pitch_width = ADDR_WIDTH if bs_core else DIM_WIDTH + 2
        pitch_a = Signal(pitch_width, name="pitch_a")
        pitch_b = Signal(pitch_width, name="pitch_b")
        pitch_c = Signal(DIM_WIDTH + 4, name="pitch_c")
        f_more = Signal(name="feed_more")
        f_k = Signal(DIM_WIDTH + 1, name="feed_k")
        f_n = Signal(DIM_WIDTH + 1, name="feed_nsub")
        f_m = Signal(DIM_WIDTH + 1, name="feed_msub")
        a_row_base = Signal(ADDR_WIDTH, name="a_row_base")
        b_col_base = Signal(ADDR_WIDTH, name="b_col_base")
        a_off = Signal(ADDR_WIDTH, name="a_off")
        b_off = Signal(ADDR_WIDTH, name="b_off")
        beat_valid = Signal(name="beat_valid")
        beat_last = Signal(name="beat_last")
        a_sel = Signal(range(max(2, word_a // lane_a)), name="a_sel")
        b_sel = Signal(range(max(2, word_b // lane_b)), name="b_sel")
        # result sink
        s_more = Signal(name="sink_more")
        s_i = Signal(range(p.rows), name="sink_i")
        s_n = Signal(DIM_WIDTH + 1, name="sink_nsub")
        s_m = Signal(DIM_WIDTH + 1, name="sink_msub")
        s_base = Signal(ADDR_WIDTH, name="sink_base")
        s_row_base = Signal(ADDR_WIDTH, name="sink_row_base")
        s_off = Signal(ADDR_WIDTH, name="sink_off")
        st_valid = Signal(name="stage_valid")
        st_first = Signal(name="stage_first")
        st_addr = Signal(range(slot_c_words), name="stage_addr")
        st_sel = Signal(range(max(2, word_c // res)), name="stage_sel")
        st_value = Signal(8 * res, name="stage_value")

        os_core = p.dataflow == "os"
        depth = p.acc_depth or 1
        f_phase_w = Signal(name="feed_weights")      # ws: the weight beats of a K step
        f_q = Signal(range(max(2, p.rows)), name="feed_q")
        f_mb0 = Signal(DIM_WIDTH + 1, name="feed_block")
        a_blk = Signal(ADDR_WIDTH, name="a_block_base")
        a_k = Signal(ADDR_WIDTH, name="a_k_base")
        beat_flags = Signal(data.StructLayout({
            "a_valid": 1, "w_valid": 1, "w_row": range(max(2, p.rows)), "swap": 1,
            "acc_first": 1, "acc_last": 1}), name="beat_flags")
        with m.If(launch & comp_valid):
            m.d.sync += [comp_busy.eq(1), f_more.eq(1), s_more.eq(1), f_k.eq(0), f_n.eq(0),
                         f_m.eq(0), a_row_base.eq(0), b_col_base.eq(0), a_off.eq(0),
                         b_off.eq(0), s_i.eq(0), s_n.eq(0), s_m.eq(0), s_base.eq(0),
                         s_row_base.eq(0), s_off.eq(0), f_phase_w.eq(1), f_q.eq(0),
                         f_mb0.eq(0), a_blk.eq(0), a_k.eq(0),
                         m_subs.eq(comp.tm_pad >> _log2(p.rows)),
                         n_subs.eq(comp.tn_pad >> _log2(p.cols)),
                         pitch_a.eq((comp.tm_pad if os_core else comp.tk_pad) * (e * lanes)),
                         pitch_b.eq(comp.tn_pad * (e * lanes)),
                         pitch_c.eq(comp.tn_pad * acc_b)]

        # feeder: scratchpad reads to operand beats
        feed = Signal(name="feed")
        m.d.comb += feed.eq((~beat_valid | core.operands.ready) & f_more)
        with m.If(~beat_valid | core.operands.ready):
            m.d.sync += beat_valid.eq(f_more)
        n_end = f_n == n_subs - 1
        with m.If(feed):
            if word_a > lane_a:
                m.d.sync += a_sel.eq((a_off >> _log2(lane_a))[:_log2(word_a // lane_a)])
            if word_b > lane_b:
                m.d.sync += b_sel.eq((b_off >> _log2(lane_b))[:_log2(word_b // lane_b)])
        if bs_core:
            # f_k counts chunks of `lanes`, f_plane the bit planes from the top one down
            f_plane = Signal(BITS_WIDTH, name="feed_plane")
            plane_sel = Signal(BITS_WIDTH, name="plane_sel")
            flags = Signal(data.StructLayout(dict.fromkeys(
                ("start", "shift", "negate", "group_last", "last"), 1)), name="bs_flags")
            top = (job.bits - 1)[:BITS_WIDTH]
            with m.If(launch & comp_valid):
                m.d.sync += f_plane.eq(top)
            k_end = f_k == (comp.tk_pad >> _log2(lanes)) - 1
            first_plane = f_plane == top
            tile_end = k_end & (f_plane == 0)
            with m.If(feed):
                m.d.sync += [cnt.spad_reads.eq(cnt.spad_reads + 2), plane_sel.eq(f_plane),
                             flags.start.eq((f_k == 0) & first_plane),
                             flags.shift.eq((f_k == 0) & ~first_plane),
                             flags.negate.eq(first_plane if p.signed else 0),
                             flags.group_last.eq(tile_end), flags.last.eq(tile_end)]
                with m.If(k_end):
                    m.d.sync += [f_k.eq(0), a_off.eq(a_row_base), b_off.eq(b_col_base)]
                    with m.If(f_plane == 0):
                        m.d.sync += f_plane.eq(top)
                        with m.If(n_end):
                            m.d.sync += [f_n.eq(0), f_m.eq(f_m + 1),
                                         a_row_base.eq(a_row_base + lane_a),
                                         a_off.eq(a_row_base + lane_a), b_col_base.eq(0),
                                         b_off.eq(0)]
                            with m.If(f_m == m_subs - 1):
                                m.d.sync += f_more.eq(0)
                        with m.Else():
                            m.d.sync += [f_n.eq(f_n + 1), b_col_base.eq(b_col_base + lane_b),
                                         b_off.eq(b_col_base + lane_b)]
                    with m.Else():
                        m.d.sync += f_plane.eq(f_plane - 1)
                with m.Else():
                    m.d.sync += [f_k.eq(f_k + 1), a_off.eq(a_off + pitch_a),
                                 b_off.eq(b_off + pitch_b)]
            m.d.comb += [a_read.en.eq(feed), b_read.en.eq(feed)]
            m.d.comb += [getattr(core.operands.payload, name).eq(getattr(flags, name))
                         for name in ("start", "shift", "negate", "group_last", "last")]
        elif os_core:
            k_end = f_k == comp.tk - 1
            with m.If(feed):
                m.d.sync += [beat_last.eq(k_end), cnt.spad_reads.eq(cnt.spad_reads + 2)]
                with m.If(k_end):
                    m.d.sync += f_k.eq(0)
                    with m.If(n_end):
                        m.d.sync += [f_n.eq(0), f_m.eq(f_m + 1),
                                     a_row_base.eq(a_row_base + lane_a),
                                     a_off.eq(a_row_base + lane_a), b_col_base.eq(0),
                                     b_off.eq(0)]
                        with m.If(f_m == m_subs - 1):
                            m.d.sync += f_more.eq(0)
                    with m.Else():
                        m.d.sync += [f_n.eq(f_n + 1), b_col_base.eq(b_col_base + lane_b),
                                     b_off.eq(b_col_base + lane_b), a_off.eq(a_row_base)]
                with m.Else():
                    m.d.sync += [f_k.eq(f_k + 1), a_off.eq(a_off + pitch_a),
                                 b_off.eq(b_off + pitch_b)]
            m.d.comb += [a_read.en.eq(feed), b_read.en.eq(feed),
                         core.operands.payload.last.eq(beat_last)]
        else:
            # f_k counts K steps of `rows`, f_m the activation within the block
            k_steps = comp.tk_pad >> _log2(p.rows)
            block = _minimum(Const(depth, DIM_WIDTH + 1), comp.tm_pad - f_mb0)
            last_step = f_k == k_steps - 1
            with m.If(feed):
                m.d.sync += cnt.spad_reads.eq(cnt.spad_reads + 1)
                with m.If(f_phase_w):
                    m.d.sync += [beat_flags.eq(0), beat_flags.w_valid.eq(1),
                                 beat_flags.w_row.eq(f_q), b_off.eq(b_off + pitch_b)]
                    with m.If(f_q == p.rows - 1):
                        m.d.sync += [f_q.eq(0), f_phase_w.eq(0), a_off.eq(a_blk + a_k)]
                    with m.Else():
                        m.d.sync += f_q.eq(f_q + 1)
                with m.Else():
                    m.d.sync += [beat_flags.eq(0), beat_flags.a_valid.eq(1),
                                 beat_flags.swap.eq(f_m == 0),
                                 beat_flags.acc_first.eq(f_k == 0),
                                 beat_flags.acc_last.eq(last_step), a_off.eq(a_off + pitch_a)]
                    with m.If(f_m == block - 1):
                        m.d.sync += [f_m.eq(0), f_phase_w.eq(1)]
                        with m.If(last_step):
                            next_block = f_mb0 + depth
                            m.d.sync += [f_k.eq(0), a_k.eq(0), f_mb0.eq(next_block),
                                         a_blk.eq(a_blk + pitch_a * depth),
                                         b_off.eq(b_col_base)]
                            with m.If(next_block >= comp.tm_pad):
                                m.d.sync += [f_mb0.eq(0), a_blk.eq(0), f_n.eq(f_n + 1),
                                             b_col_base.eq(b_col_base + lane_b),
                                             b_off.eq(b_col_base + lane_b)]
                                with m.If(n_end):
                                    m.d.sync += f_more.eq(0)
                        with m.Else():
                            m.d.sync += [f_k.eq(f_k + 1), a_k.eq(a_k + lane_a)]
                    with m.Else():
                        m.d.sync += f_m.eq(f_m + 1)
            m.d.comb += [a_read.en.eq(feed & ~f_phase_w), b_read.en.eq(feed & f_phase_w)]
            m.d.comb += [getattr(core.operands.payload, name).eq(getattr(beat_flags, name))
                         for name in ("a_valid", "w_valid", "w_row", "swap", "acc_first",
                                      "acc_last")]
        m.d.comb += [
            a_read.addr.eq(comp.a_slot * slot_a_words + (a_off >> _log2(word_a))),
            b_read.addr.eq(comp.b_slot * slot_b_words + (b_off >> _log2(word_b)))]
        a_lane = (a_read.data.word_select(a_sel, 8 * lane_a) if word_a > lane_a
                  else a_read.data)
        b_lane = (b_read.data.word_select(b_sel, 8 * lane_b) if word_b > lane_b
                  else b_read.data)
        if bs_core:
            width = p.input_width

            def plane_bits(lane: Value, count: int) -> Value:
                """Bit ``plane_sel`` of each of the ``count`` elements of ``lane``."""
                return Cat(*[lane.word_select(i, width).bit_select(plane_sel, 1)
                             for i in range(count)])

            if p.serial == "weights":
                a_lane, b_lane = a_lane, plane_bits(b_lane, p.cols * lanes)
            else:
                a_lane, b_lane = plane_bits(a_lane, p.rows * lanes), b_lane
        m.d.comb += [core.operands.valid.eq(beat_valid),
                     core.operands.payload.a.eq(a_lane),
                     core.operands.payload.b.eq(b_lane),
                     core.results.ready.eq(1)]

        # sink: result rows added into the accumulator slot (os: per core tile, its rows;
        # ws: per `cols` columns, every row of the tile)
        taken = core.results.valid
        rmw_addr = s_off >> _log2(word_c)
        rmw_read = taken & ~comp.first_k
        with m.If(taken):
            m.d.sync += [st_valid.eq(1), st_first.eq(comp.first_k), st_addr.eq(rmw_addr),
                         st_value.eq(core.results.payload.as_value())]
            if word_c > res:
                m.d.sync += st_sel.eq((s_off >> _log2(res))[:_log2(word_c // res)])
            if os_core:
                with m.If(s_i == p.rows - 1):
                    m.d.sync += s_i.eq(0)
                    with m.If(s_n == n_subs - 1):
                        next_row = s_row_base + (pitch_c << _log2(p.rows))
                        m.d.sync += [s_n.eq(0), s_m.eq(s_m + 1), s_row_base.eq(next_row),
                                     s_base.eq(next_row), s_off.eq(next_row)]
                        with m.If(s_m == m_subs - 1):
                            m.d.sync += s_more.eq(0)
                    with m.Else():
                        m.d.sync += [s_n.eq(s_n + 1), s_base.eq(s_base + res),
                                     s_off.eq(s_base + res)]
                with m.Else():
                    m.d.sync += [s_i.eq(s_i + 1), s_off.eq(s_off + pitch_c)]
            else:
                with m.If(s_m == comp.tm_pad - 1):
                    m.d.sync += [s_m.eq(0), s_n.eq(s_n + 1), s_base.eq(s_base + res),
                                 s_off.eq(s_base + res)]
                    with m.If(s_n == n_subs - 1):
                        m.d.sync += s_more.eq(0)
                with m.Else():
                    m.d.sync += [s_m.eq(s_m + 1), s_off.eq(s_off + pitch_c)]
        with m.Else():
            m.d.sync += st_valid.eq(0)
        with m.If(comp_busy & ~s_more & ~st_valid & ~taken):
            m.d.sync += comp_busy.eq(0)

        old = Mux(comp.c_slot, c_reads[1].data, c_reads[0].data)
        old_row = old.word_select(st_sel, 8 * res) if word_c > res else old
        total = Cat(*[
            (Mux(st_first, 0, old_row[j * p.acc_width:(j + 1) * p.acc_width])
             + st_value[j * p.acc_width:(j + 1) * p.acc_width])[:p.acc_width]
            for j in range(p.cols)])
        for slot in range(2):
            serves_wb = wb_valid & (wb.c_slot == slot) & x_write
            mine = comp.c_slot == slot
            read, write = c_reads[slot], c_writes[slot]
            m.d.comb += [
                read.addr.eq(Mux(serves_wb, local >> _log2(word_c), rmw_addr)),
                read.en.eq(Mux(serves_wb, wb_fetch, rmw_read & mine)),
                write.addr.eq(st_addr),
                write.data.eq(Cat(*[total] * (word_c // res)))]
            writing = st_valid & mine
            if word_c > res:
                m.d.comb += write.en.eq(Mux(writing, 1 << st_sel, 0))
            else:
                m.d.comb += write.en.eq(writing)
        with m.If(st_valid):
            m.d.sync += cnt.acc_writes.eq(cnt.acc_writes + 1)
        # write-back reads and read-modify-write reads may fall in one cycle
        m.d.sync += cnt.acc_reads.eq(cnt.acc_reads + wb_fetch + rmw_read)

        # stall: the step waits for the DMA alone
        with m.If(dma_busy & ~comp_busy & ~launch):
            m.d.sync += cnt.stall_cycles.eq(cnt.stall_cycles + 1)
        for event, name in zip(core_events(p), core_counters(p), strict=True):
            counter = getattr(cnt, name)
            m.d.sync += counter.eq(counter + core.activity[event])
        with m.If(self.cmd.valid & self.cmd.ready):  # a new job clears them (this wins)
            m.d.sync += [getattr(cnt, name).eq(0) for name in (*COUNTERS, *core_counters(p))]
        return m
