"""Streaming at scale: shards finish without reading the samples back; parallel maps stay bounded."""
from __future__ import annotations

import io
import threading

import numpy as np
import pytest

from asnet.data.shards import ClipInfo, ShardWriter, npy_header, to_int16
from asnet.data.streaming import bounded_map


@pytest.mark.parametrize("lengths", [[], [1], [3, 1000, 7], [70_000]])
def test_shard_writer_output_equals_np_save_byte_for_byte(tmp_path, lengths):
    rng = np.random.default_rng(len(lengths))
    waves = [rng.uniform(-1.2, 1.2, n).astype(np.float32) for n in lengths]
    with ShardWriter(tmp_path) as writer:
        for i, wave in enumerate(waves):
            writer.add(ClipInfo(f"u{i}", 0, len(wave), "spoof", "s", "spk"), wave)
    expected = io.BytesIO()
    np.save(expected, np.concatenate([to_int16(w) for w in waves]) if waves else np.zeros(0, np.int16))
    assert (tmp_path / "wave.npy").read_bytes() == expected.getvalue()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.csv", "rejects.csv", "wave.npy"]


def test_npy_header_has_one_size_for_every_length():
    assert {len(npy_header(n)) for n in (0, 1, 10**6, 10**12, 2**62)} == {128}


def test_a_failed_shard_leaves_nothing_behind(tmp_path):
    with pytest.raises(RuntimeError), ShardWriter(tmp_path) as writer:
        writer.add(ClipInfo("u0", 0, 3, "spoof", "s", "spk"), np.zeros(3, np.float32))
        raise RuntimeError("decoder crashed")
    assert list(tmp_path.iterdir()) == []


def _square(x: int) -> int:
    return x * x


@pytest.mark.parametrize("processes", [True, False])
def test_bounded_map_keeps_order_and_reads_its_input_lazily(processes):
    consumed = []
    lock = threading.Lock()

    def items():
        for i in range(200):
            with lock:
                consumed.append(i)
            yield i

    results = bounded_map(_square, items(), workers=2, chunk_size=4, in_flight=3, processes=processes)
    first = next(results)
    assert first == 0 and len(consumed) <= 3 * 4 + 4  # in_flight chunks + the one being formed
    assert [first, *results] == [i * i for i in range(200)]


def test_bounded_map_in_process_when_one_worker():
    assert list(bounded_map(_square, range(5), workers=1)) == [0, 1, 4, 9, 16]
