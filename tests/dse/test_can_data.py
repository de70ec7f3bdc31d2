"""CAN intrusion data: the synthetic bus obeys the published attack timings and arbitration,
the encoding's bit order is pinned, the HCRL loader round-trips both formats and reports
malformed lines, and the sampled datasets are balanced, stratified and separable."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from dse.qnn import can
from dse.qnn.can import (
    ATTACKS,
    CLASSES,
    ECU_MESSAGES,
    FEATURES,
    CanTrace,
    dataset,
    encode,
    frame_seconds,
    load_hcrl,
    split,
    synthesize,
)


@pytest.fixture(scope="module")
def trace() -> CanTrace:
    """30 s with one episode of each attack."""
    return synthesize(7, 30.0, intrusions_per_attack=1)


def episodes(trace: CanTrace, name: str, gap: float = 0.1) -> list[np.ndarray]:
    """Indices of the frames of ``name``, one array per episode (split at pauses > gap)."""
    rows = np.flatnonzero(trace.label == CLASSES.index(name))
    breaks = np.flatnonzero(np.diff(trace.timestamp[rows]) > gap) + 1
    return np.split(rows, breaks)


def make_trace(timestamp, can_id, dlc, data, label=None) -> CanTrace:
    rows = np.zeros((len(can_id), 8), dtype=np.uint8)
    for row, payload in zip(rows, data, strict=True):
        row[:len(payload)] = list(payload)
    return CanTrace(timestamp=np.array(timestamp, dtype=np.float64),
                    can_id=np.array(can_id, dtype=np.int64), dlc=np.array(dlc, dtype=np.int64),
                    data=rows, label=np.array(label or [0] * len(can_id), dtype=np.int64))


# ------------------------------------------------------------------------- synthesis


def test_synthesize_is_deterministic_per_seed():
    first = synthesize(3, 8.0, attacks=("fuzzy",))
    assert first == synthesize(3, 8.0, attacks=("fuzzy",))
    other = synthesize(4, 8.0, attacks=("fuzzy",))
    assert other != first
    assert not np.array_equal(first.timestamp[:100], other.timestamp[:100])


def test_normal_ids_keep_their_declared_periods():
    trace = synthesize(1, 10.0, attacks=())
    assert set(trace.counts().values()) == {len(trace), 0}
    assert set(np.unique(trace.can_id)) == {m.can_id for m in ECU_MESSAGES}
    for message in ECU_MESSAGES:
        times = trace.timestamp[trace.can_id == message.can_id]
        assert np.median(np.diff(times)) == pytest.approx(message.period_ms * 1e-3, rel=0.01)
        assert np.all(trace.dlc[trace.can_id == message.can_id] == message.dlc)
    expected_rate = sum(1000 / m.period_ms for m in ECU_MESSAGES)
    assert len(trace) / 10.0 == pytest.approx(expected_rate, rel=0.01)


def test_frames_never_overlap_on_the_bus(trace):
    assert len(trace) > 50_000
    gaps = np.diff(trace.timestamp)
    assert np.all(gaps >= 0)
    # Timestamps mark the end of a frame: each frame needs (47 + 8 DLC) bits after the last.
    assert np.all(gaps >= frame_seconds(trace.dlc[1:]) - 1e-12)
    assert trace.timestamp[0] >= frame_seconds(trace.dlc[0])
    assert np.all(trace.data[np.arange(8)[None, :] >= trace.dlc[:, None]] == 0)


def test_dos_floods_id_zero_every_0_3_ms_and_delays_normal_traffic(trace):
    (rows,) = episodes(trace, "dos")
    assert np.all(trace.can_id[rows] == 0) and np.all(trace.dlc[rows] == 8)
    assert not trace.data[rows].any()
    spacing = np.diff(trace.timestamp[rows])
    assert spacing.mean() == pytest.approx(0.3e-3, rel=0.01)
    # Arbitration: a normal frame already on the bus delays an injection by at most one frame.
    assert spacing.min() >= frame_seconds(8) - 1e-12
    assert spacing.max() <= 0.3e-3 + frame_seconds(8) + 1e-9
    start, end = trace.timestamp[rows[0]], trace.timestamp[rows[-1]]
    assert 3.0 - 1e-3 <= end - start <= 5.0
    normal = trace.timestamp[trace.label == 0]
    during = np.count_nonzero((normal >= start) & (normal <= end)) / (end - start)
    assert during < 0.7 * (len(normal) / 30.0)


def test_fuzzing_injects_random_ids_and_payloads_every_0_5_ms(trace):
    (rows,) = episodes(trace, "fuzzy")
    assert np.diff(trace.timestamp[rows]).mean() == pytest.approx(0.5e-3, rel=0.05)
    share = np.bincount(trace.can_id[rows] >> 8, minlength=8) / len(rows)
    assert share.min() > 0.08 and share.max() < 0.18
    bits = np.unpackbits(trace.data[rows], axis=1).mean(axis=0)
    assert np.all(np.abs(bits - 0.5) < 0.05)
    assert len(np.unique(trace.can_id[rows])) > 1500


@pytest.mark.parametrize(("attack", "can_id"), [("gear", 0x43F), ("rpm", 0x316)])
def test_spoofing_injects_a_fixed_payload_every_ms(trace, attack, can_id):
    (rows,) = episodes(trace, attack)
    assert np.all(trace.can_id[rows] == can_id)
    assert {bytes(row) for row in trace.data[rows]} == {can.SPOOF_PAYLOAD[attack]}
    assert np.diff(trace.timestamp[rows]).mean() == pytest.approx(1e-3, rel=0.01)
    normal = (trace.label == 0) & (trace.can_id == can_id)
    assert can.SPOOF_PAYLOAD[attack] not in {bytes(row) for row in trace.data[normal]}


def test_default_episodes_cover_the_hcrl_share_of_time():
    trace = synthesize(2, 120.0)
    covered = 0.0
    for attack in ATTACKS:
        found = episodes(trace, attack)
        assert len(found) == 4  # round(0.57 * 120 s / (4 attacks * 4 s))
        lengths = [trace.timestamp[rows[-1]] - trace.timestamp[rows[0]] for rows in found]
        assert all(3.0 - 2e-3 <= length <= 5.0 for length in lengths)
        covered += sum(lengths)
    assert covered / 120.0 == pytest.approx(can.HCRL_ATTACK_SHARE, abs=0.1)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"seed": -1}, r"`seed` must be an integer in >= 0, not -1"),
    ({"seconds": 0}, r"`seconds` must be a positive number, not 0"),
    ({"attacks": "dos"}, r"`attacks` must be a sequence of distinct names from 'dos', 'fuzzy', "
                         r"'gear', 'rpm', not 'dos'"),
    ({"attacks": ("dos", "flood")}, r"`attacks` must be .* not \('dos', 'flood'\)"),
    ({"attacks": ("dos", "dos")}, r"`attacks` must be a sequence of distinct names .*"),
    ({"intrusion_seconds": (5.0, 3.0)}, r"`intrusion_seconds` must be a tuple \(low, high\) "
                                        r"with 0 < low <= high, not \(5\.0, 3\.0\)"),
    ({"intrusion_seconds": (0.0, 3.0)}, r"`intrusion_seconds\[0\]` must be a positive number, "
                                        r"not 0\.0"),
    ({"intrusions_per_attack": -1}, r"`intrusions_per_attack` must be an integer in >= 0, "
                                    r"not -1"),
    ({"seconds": 10.0}, r"4 intrusion\(s\) of up to 5 s may not fit in `seconds` = 10: .*"),
])
def test_synthesize_rejects_bad_arguments(kwargs, message):
    arguments = {"seed": 0, **kwargs}
    with pytest.raises(ValueError, match=f"^{message}$"):
        synthesize(**arguments)


# ------------------------------------------------------------------------- encoding


def test_encode_pins_the_bit_order():
    trace = make_trace([1.0, 1.0 + 100e-6, 1.0 + 596e-6, 1.0 + 1091e-6],
                       [0x316, 0x43F, 0x000, 0x7FF], [8, 2, 0, 1],
                       [bytes.fromhex("05 21 68 09 21 21 00 6f"),
                        b"\xa5\x0f", b"", b"\x80"])
    features = encode(trace)
    assert features.shape == (4, FEATURES) and features.dtype == np.uint8

    def row(id_bits, dlc_bits, data, code_bits):
        data_bits = "".join(f"{byte:08b}" for byte in data.ljust(8, b"\0"))
        return [int(bit) for bit in id_bits + dlc_bits + data_bits + code_bits]

    # 100 us // 16 = 6; 496 us -> 31 (saturated); 495 us -> 30; the first frame gets 31.
    assert features.tolist() == [
        row("01100010110", "1000", bytes.fromhex("05 21 68 09 21 21 00 6f"),
            "11111"),
        row("10000111111", "0010", b"\xa5\x0f", "00110"),
        row("00000000000", "0000", b"", "11111"),
        row("11111111111", "0001", b"\x80", "11110"),
    ]


def test_encode_of_a_synthetic_trace_decodes_back(trace):
    features = encode(trace)
    assert features.shape == (len(trace), FEATURES)
    assert set(np.unique(features)) == {0, 1}
    weights = 1 << np.arange(10, -1, -1)
    assert np.array_equal(features[:, :11] @ weights, trace.can_id)
    assert np.array_equal(np.packbits(features[:, 15:79], axis=1), trace.data)
    # During a DoS flood, frames follow each other back to back (222 us -> code 13 or 14).
    (rows,) = episodes(trace, "dos")
    codes = features[rows, 79:] @ (1 << np.arange(4, -1, -1))
    assert np.all((codes >= 13) & (codes <= 31)) and np.median(codes) <= 18


# ------------------------------------------------------------------------- loader

CSV_ROWS = """\
1478198376.389427,0316,8,05,21,68,09,21,21,00,6f,R
1478198376.389636,018f,8,fe,5b,00,00,00,3c,00,00,R
1478198376.389864,0316,8,05,20,ea,0a,20,1a,00,7f,T

1478198376.390000,05a2,2,01,0a,R
1478198376.390100,0000,0,T
"""

TXT_ROWS = """\
Timestamp: 1479121434.850202        ID: 0350    000    DLC: 8    05 28 84 66 6d 00 00 a2
Timestamp: 1479121434.850423        ID: 02c0    000    DLC: 8    14 00 00 00 00 00 00 00
Timestamp: 1479121434.850977        ID: 05a2    000    DLC: 2    01 0a
"""


def test_loader_reads_the_attack_csvs(tmp_path: Path):
    path = tmp_path / "RPM_dataset.csv"
    path.write_text(CSV_ROWS)
    loaded = load_hcrl(path)
    expected = make_trace(
        [1478198376.389427, 1478198376.389636, 1478198376.389864, 1478198376.390000,
         1478198376.390100],
        [0x316, 0x18F, 0x316, 0x5A2, 0x000], [8, 8, 8, 2, 0],
        [bytes.fromhex("052168092121006f"), bytes.fromhex("fe5b0000003c0000"),
         bytes.fromhex("0520ea0a201a007f"), b"\x01\x0a", b""],
        [0, 0, 4, 0, 4])
    assert loaded == expected
    assert loaded.counts() == {"normal": 3, "dos": 0, "fuzzy": 0, "gear": 0, "rpm": 2}
    assert load_hcrl(str(path), attack="gear").counts()["gear"] == 2


def test_loader_reads_the_normal_capture(tmp_path: Path):
    path = tmp_path / "normal_run_data.txt"
    path.write_text(TXT_ROWS)
    loaded = load_hcrl(path)
    expected = make_trace([1479121434.850202, 1479121434.850423, 1479121434.850977],
                          [0x350, 0x2C0, 0x5A2], [8, 8, 2],
                          [bytes.fromhex("052884666d0000a2"), bytes.fromhex("14" + "00" * 7),
                           b"\x01\x0a"])
    assert loaded == expected
    assert encode(loaded)[1, 79:].tolist() == [0, 1, 1, 0, 1]  # 221 us // 16 = 13


@pytest.mark.parametrize(("name", "line", "message"), [
    ("DoS_dataset.csv", "1478198376.389427,0316,8,05,21,68,09,2g,21,00,6f,R",
     r"line 2: bad hex '2g' in data byte 4"),
    ("DoS_dataset.csv", "1478198376.389427,03x6,8,05,21,68,09,21,21,00,6f,R",
     r"line 2: bad hex '03x6' in the CAN ID"),
    ("DoS_dataset.csv", "1478198376.389427,0316,9,05,21,68,09,21,21,00,6f,00,R",
     r"line 2: DLC must be an integer in 0\.\.8, not '9'"),
    ("DoS_dataset.csv", "1478198376.389427,0316,8,05,21,68,09,21,21,00,R",
     r"line 2: DLC 8 but 7 data byte\(s\)"),
    ("DoS_dataset.csv", "1478198376.389427,0316,2,05,21,X",
     r"line 2: unknown flag 'X' \(expected R or T\)"),
    ("DoS_dataset.csv", "1478198376.389427,0816,2,05,21,R",
     r"line 2: CAN ID 0x816 is beyond 0x7FF \(11 bits\)"),
    ("DoS_dataset.csv", "1478198370.0,0316,2,05,21,R",
     r"line 2: timestamp 1478198370\.0 is earlier than the previous frame's"),
    ("capture.csv", "1478198376.389427,0000,8,00,00,00,00,00,00,00,00,T",
     r"line 2: injected frame \(flag T\) but the attack is unknown: pass `attack` or name the "
     r"file after it \(dos, fuzzy, gear, rpm\)"),
    ("normal_run_data.txt", "Timestamp: 1479121434.850202  ID: 0350  000  DLC: 2  05 28 84",
     r"line 2: DLC 2 but 3 data byte\(s\)"),
])
def test_loader_names_file_line_and_problem(tmp_path: Path, name, line, message):
    path = tmp_path / name
    path.write_text("1478198376.0,0316,2,05,21,R\n" + line + "\n")
    with pytest.raises(ValueError, match=f"^{re.escape(str(path))}, {message}$"):
        load_hcrl(path)


def test_loader_rejects_an_unknown_attack(tmp_path: Path):
    path = tmp_path / "DoS_dataset.csv"
    path.write_text(CSV_ROWS)
    with pytest.raises(ValueError, match=r"^`attack` must be one of 'dos', 'fuzzy', 'gear', "
                                         r"'rpm' or None, not 'flood'$"):
        load_hcrl(path, attack="flood")


def test_trace_rejects_inconsistent_frames():
    with pytest.raises(ValueError, match=r"^`data` bytes beyond the DLC must be 0$"):
        CanTrace(np.zeros(1), np.zeros(1, np.int64), np.ones(1, np.int64),
                 np.full((1, 8), 1, np.uint8), np.zeros(1, np.int64))
    with pytest.raises(ValueError, match=r"^`timestamp` must be non-decreasing$"):
        make_trace([2.0, 1.0], [1, 2], [0, 0], [b"", b""])
    with pytest.raises(ValueError, match=r"^`can_id` values must be in 0\.\.2047, not 1\.\.2048$"):
        make_trace([1.0, 2.0], [1, 0x800], [0, 0], [b"", b""])


# ------------------------------------------------------------------------- datasets


def test_dataset_is_balanced_shuffled_and_deterministic():
    x, y = dataset(0, frames_per_class=500, seconds=30.0)
    assert x.shape == (2500, FEATURES) and x.dtype == np.uint8 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [500] * len(CLASSES)
    assert len(set(y[:20].tolist())) > 1  # shuffled, not grouped by class
    x_again, y_again = dataset(0, frames_per_class=500, seconds=30.0)
    assert np.array_equal(x, x_again) and np.array_equal(y, y_again)
    fuzzy = x[y == CLASSES.index("fuzzy")]
    assert len(np.unique(fuzzy, axis=0)) == len(fuzzy)  # sampled without replacement


def test_dataset_rejects_a_missing_class(monkeypatch):
    synthesize_dos_only = synthesize
    monkeypatch.setattr(can, "synthesize", lambda seed, seconds: synthesize_dos_only(
        seed, seconds, attacks=("dos",)))
    with pytest.raises(ValueError, match=r"^class 'fuzzy' has no frames in synthesize\(1, 10\)$"):
        dataset(1, seconds=10.0)


def test_split_is_stratified_and_seeded():
    y = np.repeat(np.arange(3), [100, 50, 10])
    x = np.arange(len(y))[:, None]  # each row carries its index
    x_train, y_train, x_test, y_test = split(x, y, test_fraction=0.2, seed=5)
    assert np.bincount(y_test).tolist() == [20, 10, 2]
    assert np.bincount(y_train).tolist() == [80, 40, 8]
    assert sorted(np.concatenate([x_train, x_test])[:, 0].tolist()) == list(range(len(y)))
    assert np.array_equal(y[x_test[:, 0]], y_test)
    again = split(x, y, test_fraction=0.2, seed=5)
    assert np.array_equal(again[2], x_test)
    assert not np.array_equal(split(x, y, test_fraction=0.2, seed=6)[2], x_test)
    with pytest.raises(ValueError, match=r"^`test_fraction` must be a number in \(0, 1\), "
                                         r"not 1\.0$"):
        split(x, y, test_fraction=1.0)


def test_a_linear_classifier_separates_the_classes():
    linear_model = pytest.importorskip("sklearn.linear_model")
    x, y = dataset(0, frames_per_class=1000, seconds=60.0)
    x_train, y_train, x_test, y_test = split(x, y, seed=0)
    model = linear_model.LogisticRegression(max_iter=1000)
    model.fit(x_train.astype(np.float64), y_train)
    # beating the majority class holds on any machine; the score itself (about 0.99 here)
    # depends on the float rounding of the solver
    majority = np.bincount(y_test).max() / len(y_test)
    assert model.score(x_test.astype(np.float64), y_test) > majority
