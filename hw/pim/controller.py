"""The PIM controller component: GEMV jobs in, DRAM/PIM commands out, results back.

Ports:

``job`` (stream in) ``{rows, cols}``: one GEMV ``y = W x`` with W of ``rows`` x ``cols``,
    stored in the banks as ``PimParams`` maps it (x is preloaded beside the banks). Taken
    only while the controller is idle.
``cmd`` (out) one command word per channel per cycle, ``{kind, all, bank, row, col, last}``
    with ``kind`` one of :data:`COMMANDS`. ``all`` drives every bank of the channel
    (all-bank PIM mode, and REF). A ``MAC`` multiplies the open row's column ``col`` with
    the matching chunk of x and adds it to the bank's sum; with ``last`` the bank latches the
    finished sum. ``RDRES`` reads a bank's latched sum back; ``RD`` (no PIM) reads the
    column's ``lanes`` weights back.
``rdata`` (in) per channel ``{valid, data}``: what the DRAM returns ``CL`` cycles after a
    ``RDRES`` or ``RD`` was on ``cmd``.
``results`` (out) per channel ``{valid, tag, chunk, data}``: each returned word with the
    matrix row it belongs to (``tag``) and, for ``RD``, its chunk. There is no
    back-pressure: the host takes every result (as it takes data from a DRAM bus).

Each channel has its own engine (:class:`ChannelEngine`): a request generator walks the
channel's matrix rows in arrival order (the global row order), one request per column
access; a queue of ``queue_depth`` requests feeds the scheduler, which issues one command
per cycle under the DRAM timing (per bank: tRCD, tRAS, tRTP, tRP, tRFC; per channel:
tCCD, tRRD, tFAW) and the refresh policy. Requests to one bank leave in order; FR-FCFS
issues a ready row hit from any eligible request before the oldest request's ACT or PRE,
FCFS serves only the oldest request. In all-bank mode the banks of a channel act as one.
"""

from __future__ import annotations

from typing import Any

from amaranth.hdl import Cat, Const, Elaboratable, Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.logic import kept
from hw.pim.params import MAX_POSTPONED, PimParams
from hw.stream import index_shape, stream_signature

#: Command kinds on the ``cmd`` bus.
COMMANDS = {"NOP": 0, "ACT": 1, "PRE": 2, "MAC": 3, "RD": 4, "RDRES": 5, "REF": 6}

#: Widths of the job fields (matrix rows and columns).
ROWS_WIDTH = 24
COLS_WIDTH = 20


def _bits(count: int) -> int:
    return max(1, (count - 1).bit_length())


def job_layout() -> data.StructLayout:
    return data.StructLayout({"rows": unsigned(ROWS_WIDTH), "cols": unsigned(COLS_WIDTH)})


def cmd_layout(p: PimParams) -> data.StructLayout:
    return data.StructLayout({
        "kind": 3, "all": 1, "bank": index_shape(p.banks), "row": index_shape(p.rows),
        "col": index_shape(p.columns), "last": 1})


def data_width(p: PimParams) -> int:
    """Width of a returned word: a sum (PIM) or a column of weights (no PIM)."""
    return p.lanes * p.element_width if p.pim_mode == "none" else p.acc_width


def rdata_layout(p: PimParams) -> data.StructLayout:
    return data.StructLayout({"valid": 1, "data": data_width(p)})


def result_layout(p: PimParams) -> data.StructLayout:
    return data.StructLayout({"valid": 1, "tag": ROWS_WIDTH, "chunk": COLS_WIDTH,
                              "data": data_width(p)})


def _request_layout(p: PimParams) -> data.StructLayout:
    return data.StructLayout({
        "bank": index_shape(p.banks), "row": index_shape(p.rows),
        "col": index_shape(p.columns), "last": 1, "rowend": 1, "tag": ROWS_WIDTH,
        "chunk": COLS_WIDTH})


#: Width of the saturating timers (enough for the largest timing of any preset).
TIMER_WIDTH = 10


class _Timer:
    """A saturating count of cycles since an event."""

    def __init__(self, m: Module, name: str, limit: int = (1 << TIMER_WIDTH) - 1) -> None:
        self.value = Signal(TIMER_WIDTH, name=name, init=limit)
        self.limit = limit
        self._m = m
        self.restart = Signal(name=f"{name}_restart")
        with m.If(self.restart):
            m.d.sync += self.value.eq(1)
        with m.Elif(self.value != limit):
            m.d.sync += self.value.eq(self.value + 1)

    def at_least(self, cycles: int) -> Any:
        return self.value >= cycles


class ChannelEngine(Elaboratable):
    """The scheduler of one channel (see the module docstring)."""

    def __init__(self, params: PimParams, channel: int) -> None:
        self.p = params
        self.channel = channel
        self.start = Signal()
        self.rows = Signal(ROWS_WIDTH)      # R
        self.chunks = Signal(COLS_WIDTH)    # ceil(C / lanes)
        self.per_bank = Signal(ROWS_WIDTH)  # ceil(R / (channels * banks))
        self.cmd = Signal(cmd_layout(params))
        self.rdata = Signal(rdata_layout(params))
        self.result = Signal(result_layout(params))
        self.busy = Signal()

    def elaborate(self, platform: Any) -> Module:  # noqa: C901 - one scheduler
        p, t = self.p, self.p.timing_values
        m = Module()
        all_bank = p.pim_mode == "all-bank"
        banks = 1 if all_bank else p.banks           # scheduled banks
        column_kind = COMMANDS["RD"] if p.pim_mode == "none" else COMMANDS["MAC"]
        col_bits = (p.columns - 1).bit_length()
        req_layout = _request_layout(p)
        q = p.queue_depth

        # --- request generator ---------------------------------------------------------
        active = Signal()
        j = Signal(ROWS_WIDTH)            # index of the matrix row within its bank
        b = Signal(index_shape(p.banks))  # bank
        c = Signal(COLS_WIDTH)            # chunk
        base = Signal(ROWS_WIDTH + COLS_WIDTH)  # j * chunks
        r = Signal(ROWS_WIDTH + 1)        # matrix row of (b, j)
        r_block = Signal(ROWS_WIDTH + 1)  # block interleave: matrix row of (b, 0)
        linear = Signal(ROWS_WIDTH + COLS_WIDTH)
        m.d.comb += linear.eq(base + c)
        req = Signal(req_layout)
        last_chunk = c == self.chunks - 1
        if all_bank:
            final_row = j == self.per_bank - 1
        elif p.interleave == "row":
            final_row = r + p.bank_count >= self.rows
        else:
            final_row = (j == self.per_bank - 1) | (r + 1 >= self.rows)
        m.d.comb += [
            req.bank.eq(0 if all_bank else b), req.row.eq(linear >> col_bits),
            req.col.eq(linear[:col_bits] if col_bits else 0), req.last.eq(last_chunk),
            req.rowend.eq((req.col == p.columns - 1) | (last_chunk & final_row)),
            req.tag.eq(j if all_bank else r), req.chunk.eq(c)]
        exists = Const(1) if all_bank else (r < self.rows)
        req_valid = active & exists
        append = Signal()

        pb_step = self.per_bank << (p.channels.bit_length() - 1)  # channels * per_bank
        if p.interleave == "block" and not all_bank:
            self._block_generator(m, p, active, exists, append, last_chunk, j, b, c, base, r,
                                  r_block, pb_step)
        else:
            with m.If(self.start):
                m.d.sync += [active.eq(1), j.eq(0), b.eq(0), c.eq(0), base.eq(0),
                             r.eq(self.channel)]
            with m.Elif(active & ~exists):
                # the rest of the channel's rows do not exist
                m.d.sync += active.eq(0)
            with m.Elif(append):
                with m.If(~last_chunk):
                    m.d.sync += c.eq(c + 1)
                with m.Else():
                    m.d.sync += c.eq(0)
                    self._advance(m, p, all_bank, active, j, b, base, r)

        # --- bank and channel state ----------------------------------------------------
        is_open = [Signal(name=f"open{k}") for k in range(banks)]
        open_row = [Signal(index_shape(p.rows), name=f"open_row{k}") for k in range(banks)]
        since_act = [_Timer(m, f"since_act{k}") for k in range(banks)]
        since_pre = [_Timer(m, f"since_pre{k}") for k in range(banks)]
        since_col = [_Timer(m, f"since_col{k}") for k in range(banks)]
        pre_pending = [Signal(name=f"pre_pending{k}") for k in range(banks)]
        any_act = _Timer(m, "since_any_act")
        any_col = _Timer(m, "since_any_col")
        since_ref = _Timer(m, "since_ref")
        faw = [_Timer(m, f"faw{k}") for k in range(4)]  # ages of the last four ACTs
        faw_ok = faw[3].at_least(t.faw)

        # results to read back (RDRES), one per physical bank
        rd_pending = Signal(p.banks)
        rd_tag = [Signal(ROWS_WIDTH, name=f"rd_tag{k}") for k in range(p.banks)]
        # all-bank mode: banks past the matrix's last row latch a padding sum, read and dropped
        rd_keep = [Signal(name=f"rd_keep{k}", init=1) for k in range(p.banks)]

        # refresh
        refi = Signal(range(t.refi), name="refi_count")
        owed = Signal(range(MAX_POSTPONED + 2), name="refresh_owed")
        due = refi == t.refi - 1
        m.d.sync += refi.eq(Mux(due, 0, refi + 1))

        # --- request queue -------------------------------------------------------------
        entries = [Signal(req_layout, name=f"q{k}") for k in range(q)]
        valid = [Signal(name=f"q{k}_valid") for k in range(q)]
        count = Signal(range(q + 1))
        queue_empty = count == 0

        idle = ~active & queue_empty & (rd_pending == 0)
        if p.refresh == "all-bank":
            refresh_req = owed != 0
        else:
            refresh_req = (owed >= MAX_POSTPONED) | ((owed != 0) & idle)

        def pick(values: list[Any], index: Any) -> Any:
            """``values[index]`` for a bank index (a mux)."""
            if len(values) == 1:
                return values[0]
            out = values[0]
            for k, value in enumerate(values[1:], start=1):
                out = Mux(index == k, value, out)
            return out

        def bank_of(entry: Any) -> Any:
            return 0 if all_bank else entry.bank

        # per entry: eligible (no older entry to the same bank), and what it needs
        eligible, col_ready, pre_ready, act_ready = [], [], [], []
        for k in range(q):
            entry = entries[k]
            bank = bank_of(entry)
            older_same = [valid[i] & (entries[i].bank == entry.bank) for i in range(k)]
            if all_bank:
                older_same = [valid[i] for i in range(k)]
            e = Signal(name=f"q{k}_eligible")
            m.d.comb += e.eq(valid[k] & ~_any(older_same))
            opened = pick(is_open, bank)
            hit = opened & (pick(open_row, bank) == entry.row)
            latch_busy = Signal(name=f"q{k}_latch_busy")
            if all_bank:
                m.d.comb += latch_busy.eq(entry.last & (rd_pending != 0))
            else:
                m.d.comb += latch_busy.eq(entry.last & rd_pending.bit_select(entry.bank, 1))
            col = Signal(name=f"q{k}_col_ready")
            pre = Signal(name=f"q{k}_pre_ready")
            act = Signal(name=f"q{k}_act_ready")
            m.d.comb += [
                col.eq(e & hit & pick([x.at_least(t.rcd) for x in since_act], bank)
                       & any_col.at_least(t.ccd) & ~latch_busy & ~refresh_req),
                pre.eq(e & opened & ~hit & pick([x.at_least(t.ras) for x in since_act], bank)
                       & pick([x.at_least(t.rtp) for x in since_col], bank)),
                act.eq(e & ~opened & pick([x.at_least(t.rp) for x in since_pre], bank)
                       & since_ref.at_least(t.rfc) & any_act.at_least(t.rrd) & faw_ok
                       & ~refresh_req)]
            eligible.append(e)
            col_ready.append(col)
            pre_ready.append(pre)
            act_ready.append(act)
        if p.scheduler == "fcfs":  # only the oldest request may issue
            col_ready, pre_ready, act_ready = col_ready[:1], pre_ready[:1], act_ready[:1]

        # --- choose one command ----------------------------------------------------------
        cmd = Signal(cmd_layout(p), name="next_cmd")
        issue_col = Signal()
        col_index = Signal(range(q))
        tag_valid = Signal()
        tag = Signal(ROWS_WIDTH)
        tag_chunk = Signal(COLS_WIDTH)
        pre_bank = Signal(range(banks))
        do_pre = Signal()
        do_act = Signal()
        act_bank = Signal(range(banks))
        act_row = Signal(index_shape(p.rows))
        rdres_bank = Signal(index_shape(p.banks))
        do_rdres = Signal()
        do_ref = Signal()

        pending_pre_ready = [pre_pending[k] & since_act[k].at_least(t.ras)
                             & since_col[k].at_least(t.rtp) for k in range(banks)]
        refresh_pre_ready = [is_open[k] & since_act[k].at_least(t.ras)
                             & since_col[k].at_least(t.rtp) for k in range(banks)]
        all_closed = ~_any(is_open)
        ref_ready = (all_closed & _all([x.at_least(t.rp) for x in since_pre])
                     & since_ref.at_least(t.rfc))
        rdres_ready = (rd_pending != 0) & any_col.at_least(t.ccd)

        with m.If(rdres_ready):
            m.d.comb += do_rdres.eq(1)
            for k in reversed(range(p.banks)):
                with m.If(rd_pending[k]):
                    m.d.comb += rdres_bank.eq(k)
        with m.Elif(refresh_req):
            with m.If(_any(refresh_pre_ready)):
                m.d.comb += do_pre.eq(1)
                for k in reversed(range(banks)):
                    with m.If(refresh_pre_ready[k]):
                        m.d.comb += pre_bank.eq(k)
            with m.Elif(ref_ready):
                m.d.comb += do_ref.eq(1)
        with m.Elif(_any(col_ready)):
            m.d.comb += issue_col.eq(1)
            for k in reversed(range(len(col_ready))):
                with m.If(col_ready[k]):
                    m.d.comb += col_index.eq(k)
        with m.Elif(_any(pending_pre_ready)):
            m.d.comb += do_pre.eq(1)
            for k in reversed(range(banks)):
                with m.If(pending_pre_ready[k]):
                    m.d.comb += pre_bank.eq(k)
        with m.Elif(_any([a | pr for a, pr in zip(act_ready, pre_ready, strict=True)])):
            for k in reversed(range(len(act_ready))):
                with m.If(act_ready[k] | pre_ready[k]):
                    bank = bank_of(entries[k])
                    m.d.comb += [do_act.eq(act_ready[k]), do_pre.eq(pre_ready[k]),
                                 act_bank.eq(bank), pre_bank.eq(bank),
                                 act_row.eq(entries[k].row)]

        chosen = Signal(req_layout, name="chosen")
        m.d.comb += chosen.eq(entries[0])
        for k in range(1, q):
            with m.If(col_index == k):
                m.d.comb += chosen.eq(entries[k])

        with m.If(do_rdres):
            m.d.comb += [cmd.kind.eq(COMMANDS["RDRES"]), cmd.bank.eq(rdres_bank),
                         tag_valid.eq(pick(rd_keep, rdres_bank)),
                         tag.eq(pick(rd_tag, rdres_bank))]
        with m.Elif(do_ref):
            m.d.comb += [cmd.kind.eq(COMMANDS["REF"]), cmd.all.eq(1)]
        with m.Elif(issue_col):
            m.d.comb += [cmd.kind.eq(column_kind), cmd.all.eq(int(all_bank)),
                         cmd.bank.eq(chosen.bank), cmd.row.eq(chosen.row),
                         cmd.col.eq(chosen.col), cmd.last.eq(chosen.last)]
            if p.pim_mode == "none":
                m.d.comb += [tag_valid.eq(1), tag.eq(chosen.tag), tag_chunk.eq(chosen.chunk)]
        with m.Elif(do_pre):
            m.d.comb += [cmd.kind.eq(COMMANDS["PRE"]), cmd.all.eq(int(all_bank)),
                         cmd.bank.eq(pre_bank)]
        with m.Elif(do_act):
            m.d.comb += [cmd.kind.eq(COMMANDS["ACT"]), cmd.all.eq(int(all_bank)),
                         cmd.bank.eq(act_bank), cmd.row.eq(act_row)]
        m.d.sync += self.cmd.eq(cmd)

        # --- state updates ---------------------------------------------------------------
        for k in range(banks):
            this_pre = do_pre & ~do_rdres & ~do_ref & ~issue_col & (pre_bank == k)
            this_act = do_act & ~do_pre & ~do_rdres & ~do_ref & ~issue_col & (act_bank == k)
            this_col = issue_col & ~do_rdres & (bank_of(chosen) == k)
            m.d.comb += [since_pre[k].restart.eq(this_pre), since_act[k].restart.eq(this_act),
                         since_col[k].restart.eq(this_col)]
            with m.If(this_act):
                m.d.sync += [is_open[k].eq(1), open_row[k].eq(act_row)]
            with m.If(this_pre):
                m.d.sync += [is_open[k].eq(0), pre_pending[k].eq(0)]
            if p.page_policy == "closed":
                with m.If(this_col & chosen.rowend):
                    m.d.sync += pre_pending[k].eq(1)
        real_col = issue_col & ~do_rdres
        real_act = do_act & ~do_pre & ~do_rdres & ~do_ref & ~issue_col
        m.d.comb += [any_col.restart.eq(real_col | do_rdres), any_act.restart.eq(real_act),
                     since_ref.restart.eq(do_ref & ~do_rdres)]
        with m.If(real_act):  # the window of the last four ACTs moves on
            m.d.comb += faw[0].restart.eq(1)
            for k in range(1, 4):
                older = faw[k - 1]
                m.d.sync += faw[k].value.eq(Mux(older.value == older.limit, older.limit,
                                                older.value + 1))

        # results to read: a MAC with `last` latches a sum in its bank(s)
        rd_clear = Signal(p.banks)
        m.d.comb += rd_clear.eq(Mux(do_rdres, 1 << rdres_bank, 0))
        rd_set = Signal(p.banks)
        if p.pim_mode != "none":
            with m.If(real_col & chosen.last):
                if all_bank:
                    m.d.comb += rd_set.eq((1 << p.banks) - 1)
                    for k in range(p.banks):
                        row = self._row_of_bank(p, k, chosen.tag)
                        m.d.sync += [rd_tag[k].eq(row), rd_keep[k].eq(row < self.rows)]
                else:
                    m.d.comb += rd_set.eq(1 << chosen.bank)
                    for k in range(p.banks):
                        with m.If(chosen.bank == k):
                            m.d.sync += rd_tag[k].eq(chosen.tag)
        m.d.sync += rd_pending.eq((rd_pending & ~rd_clear) | rd_set)

        # refresh bookkeeping
        ref_issued = do_ref & ~do_rdres
        with m.If(due & ~ref_issued):
            m.d.sync += owed.eq(owed + 1)
        with m.Elif(~due & ref_issued):
            m.d.sync += owed.eq(owed - 1)

        # queue: remove the issued entry, compact, append the generator's request
        remove = real_col
        m.d.comb += append.eq(req_valid & ((count < q) | remove))
        # Each entry's next value is a multiplexer on whether it moves up (late: `remove`
        # waits for the oldest entry's row-hit comparison) between two values decided by the
        # count alone. Written as "move up, then let the append override", ABC9's
        # delay-driven mapping copied the row-hit logic into every entry bit from 8 entries
        # on (an FCFS queue of 11 took 4,107 LUTs, now 1,233; bench/results/area_pim.md).
        # The three selects of each entry (append in place, append after a removal, move
        # up) are kept wires: without them ABC9 copied their logic into the entry bits too.
        for k in range(q):
            stays = Signal(req_layout, name=f"q{k}_kept")
            stays_valid = Signal(name=f"q{k}_kept_valid")
            write_kept = kept(m, req_valid & (count < q) & (count == k), f"q{k}_write_kept")
            m.d.comb += [stays.eq(Mux(write_kept, req, entries[k])),
                         stays_valid.eq(write_kept | valid[k])]
            shifted = Signal(req_layout, name=f"q{k}_shifted")
            shifted_valid = Signal(name=f"q{k}_shifted_valid")
            write_shifted = kept(m, req_valid & (count == k + 1), f"q{k}_write_shifted")
            following = entries[k + 1] if k + 1 < q else entries[k]
            following_valid = valid[k + 1] if k + 1 < q else 0
            m.d.comb += [shifted.eq(Mux(write_shifted, req, following)),
                         shifted_valid.eq(write_shifted | following_valid)]
            moves = kept(m, remove & (col_index <= k), f"q{k}_moves")
            m.d.sync += [entries[k].eq(Mux(moves, shifted, stays)),
                         valid[k].eq(Mux(moves, shifted_valid, stays_valid))]
        m.d.sync += count.eq(count - remove + append)

        # returned data: the tag of each RDRES / RD, CL + 1 cycles on
        depth = t.cl + 1
        line = [Signal(data.StructLayout({"valid": 1, "tag": ROWS_WIDTH,
                                          "chunk": COLS_WIDTH}), name=f"ret{k}")
                for k in range(depth)]
        m.d.sync += [line[0].valid.eq(tag_valid), line[0].tag.eq(tag),
                     line[0].chunk.eq(tag_chunk)]
        for k in range(1, depth):
            m.d.sync += line[k].eq(line[k - 1])
        in_flight = _any([stage.valid for stage in line])
        m.d.sync += [self.result.valid.eq(self.rdata.valid & line[-1].valid),
                     self.result.tag.eq(line[-1].tag),
                     self.result.chunk.eq(line[-1].chunk), self.result.data.eq(self.rdata.data)]
        m.d.comb += self.busy.eq(active | ~queue_empty | (rd_pending != 0) | in_flight
                                 | self.result.valid | self.start)
        return m

    def _row_of_bank(self, p: PimParams, bank: int, j: Any) -> Any:
        """Matrix row held by ``bank`` at index ``j`` (all-bank mode)."""
        flat = bank * p.channels + self.channel
        if p.interleave == "row":
            return j * p.bank_count + flat
        return flat * self.per_bank + j

    def _block_generator(self, m: Module, p: PimParams, active: Signal, exists: Any,
                         append: Signal, last_chunk: Any, j: Signal, b: Signal, c: Signal,
                         base: Signal, r: Signal, r_block: Signal, pb_step: Any) -> None:
        """The request generator's updates with block interleave (order (bank, j)), each
        register written under a few control signals decided once (kept wires, so the LUT
        mapper does not copy their logic into every register bit: with the same updates
        written as nested conditions, a single-bank design took 783 to 1,399 LUTs against
        658 to 824 with row interleave, varying with the row and column counts alone; now
        772 to 862, ``bench/area_pim.py`` notes)."""
        skip = kept(m, active & ~exists, "skip")  # this bank's remaining rows do not exist
        row_done = kept(m, append & last_chunk, "row_done")
        last_j = j == self.per_bank - 1
        last_bank = b == p.banks - 1
        bank_done = kept(m, skip | (row_done & last_j), "bank_done")
        next_bank = kept(m, bank_done & ~last_bank, "next_bank")
        next_row = kept(m, row_done & ~last_j, "next_row")
        jump = r_block + pb_step  # matrix row of (b + 1, 0)
        first = self.channel * self.per_bank
        restart = kept(m, self.start | next_bank, "restart")  # j and base back to 0
        with m.If(self.start):
            m.d.sync += active.eq(1)
        with m.Elif(bank_done & last_bank):
            m.d.sync += active.eq(0)
        with m.If(restart | next_row):
            m.d.sync += [j.eq(Mux(restart, 0, j + 1)),
                         base.eq(Mux(restart, 0, base + self.chunks))]
        with m.If(self.start | next_bank):
            m.d.sync += [b.eq(Mux(self.start, 0, b + 1)),
                         r_block.eq(Mux(self.start, first, jump))]
        with m.If(self.start | next_bank | next_row):
            m.d.sync += r.eq(Mux(self.start, first, Mux(next_bank, jump, r + 1)))
        with m.If(self.start | next_bank | row_done):
            m.d.sync += c.eq(0)
        with m.Elif(append):
            m.d.sync += c.eq(c + 1)

    def _advance(self, m: Module, p: PimParams, all_bank: bool, active: Signal, j: Signal,
                 b: Signal, base: Signal, r: Signal) -> None:
        """Move the generator to the next matrix row of this channel (row interleave or
        all-bank mode; block interleave: :meth:`_block_generator`)."""
        next_j = [j.eq(j + 1), base.eq(base + self.chunks)]
        if all_bank:
            with m.If(j == self.per_bank - 1):
                m.d.sync += active.eq(0)
            with m.Else():
                m.d.sync += next_j
        else:  # row interleave, order (j, bank)
            m.d.sync += r.eq(r + p.channels)
            with m.If(b == p.banks - 1):
                m.d.sync += b.eq(0)
                with m.If(j == self.per_bank - 1):
                    m.d.sync += active.eq(0)
                with m.Else():
                    m.d.sync += next_j
            with m.Else():
                m.d.sync += b.eq(b + 1)


def _any(values: list[Any]) -> Any:
    return Cat(*values).any() if values else Const(0)


def _all(values: list[Any]) -> Any:
    return Cat(*values).all() if values else Const(1)


class PimController(wiring.Component):
    """``channels`` channel engines behind one job port (see the module docstring)."""

    def __init__(self, params: PimParams) -> None:
        self.params = params
        super().__init__({
            "job": In(stream_signature(job_layout())),
            "cmd": Out(data.ArrayLayout(cmd_layout(params), params.channels)),
            "rdata": In(data.ArrayLayout(rdata_layout(params), params.channels)),
            "results": Out(data.ArrayLayout(result_layout(params), params.channels)),
        })

    def elaborate(self, platform: Any) -> Module:
        p = self.params
        m = Module()
        engines = [ChannelEngine(p, ch) for ch in range(p.channels)]
        rows = Signal(ROWS_WIDTH)
        chunks = Signal(COLS_WIDTH)
        per_bank = Signal(ROWS_WIDTH)
        start = Signal()
        busy = _any([e.busy for e in engines])
        m.d.comb += self.job.ready.eq(~busy & ~start)
        lane_bits = p.lanes.bit_length() - 1
        bank_bits = p.bank_count.bit_length() - 1
        m.d.sync += start.eq(self.job.valid & self.job.ready)
        with m.If(self.job.valid & self.job.ready):
            m.d.sync += [
                rows.eq(self.job.payload.rows),
                chunks.eq((self.job.payload.cols + p.lanes - 1) >> lane_bits),
                per_bank.eq((self.job.payload.rows + p.bank_count - 1) >> bank_bits)]
        for ch, engine in enumerate(engines):
            m.submodules[f"channel{ch}"] = engine
            m.d.comb += [engine.start.eq(start), engine.rows.eq(rows),
                         engine.chunks.eq(chunks), engine.per_bank.eq(per_bank),
                         self.cmd[ch].eq(engine.cmd), engine.rdata.eq(self.rdata[ch]),
                         self.results[ch].eq(engine.result)]
        return m
