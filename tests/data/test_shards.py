"""Waveform shards: int16 round trip, the writer and reader, crops."""
import numpy as np

from asnet.data.shards import ClipInfo, ShardWriter, WaveShards, from_int16, to_int16


def make_shards(directory, waves):
    with ShardWriter(directory) as writer:
        for i, wave in enumerate(waves):
            writer.add(ClipInfo(f"u{i}", 0, len(wave), "bonafide" if i % 2 else "spoof", f"s{i}", f"spk{i}"), wave)
    return WaveShards(directory)


def test_int16_round_trip_is_within_half_a_step_and_clips_out_of_range():
    wave = np.array([-1.5, -1.0, -0.25, 0.0, 0.3, 1.0, 2.0], dtype=np.float32)
    back = from_int16(to_int16(wave))
    assert np.abs(back - np.clip(wave, -1, 1)).max() <= 0.5 / 32767 + 1e-7


def test_shards_index_clips_by_position_and_id(tmp_path):
    rng = np.random.default_rng(0)
    waves = [rng.uniform(-0.5, 0.5, n).astype(np.float32) for n in (100, 250, 7)]
    shards = make_shards(tmp_path, waves)
    assert len(shards) == 3
    for i, wave in enumerate(waves):
        np.testing.assert_allclose(shards[i], wave, atol=1 / 32767)
    np.testing.assert_array_equal(shards.by_id("u1"), shards[1])
    assert shards.labels.tolist() == [0, 1, 0]


def test_crop_stays_inside_the_clip_and_zero_pads_short_ones(tmp_path):
    waves = [np.linspace(-0.5, 0.5, 100, dtype=np.float32), np.full(10, 0.25, np.float32)]
    shards = make_shards(tmp_path, waves)
    np.testing.assert_array_equal(shards.crop(0, 20, 90), shards[0][80:100])  # start pulled back
    short = shards.crop(1, 16, 5)
    np.testing.assert_array_equal(short[:10], shards[1])
    np.testing.assert_array_equal(short[10:], 0)
