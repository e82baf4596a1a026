import numpy as np

from asnet.data.shards import WaveShards, tile_to
from asnet.train.data import balanced_batches, crop_start, cut, cut_batch, plan_epoch, trainable_labels


def random_crop(shards, i, n, rng):
    return cut(shards, i, n, crop_start(shards.clips[i].length, n, rng))


def test_batches_are_half_bona_fide_and_cover_both_classes():
    labels = np.array([1] * 3 + [0] * 11)
    batches = balanced_batches(labels, 4, 4, np.random.default_rng(0))
    for batch in batches:
        assert labels[batch].sum() == 2 and len(batch) == 4
    drawn = np.concatenate(batches)
    assert set(drawn[labels[drawn] == 1]) == {0, 1, 2}  # the minority class is cycled through


def test_batches_are_seeded():
    labels = np.array([1, 0] * 10)
    a = balanced_batches(labels, 6, 3, np.random.default_rng(3))
    b = balanced_batches(labels, 6, 3, np.random.default_rng(3))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_crops_tile_short_clips_and_cut_long_ones(tmp_path, make_split):
    shards = WaveShards(make_split(tmp_path / "train", 2, 2, seed=0, min_len=500, max_len=501))
    short = random_crop(shards, 0, 1200, np.random.default_rng(0))
    assert len(short) == 1200 and np.array_equal(short[500:1000], shards[0])
    long = random_crop(shards, 1, 300, np.random.default_rng(0))
    assert len(long) == 300 and any(np.array_equal(long, shards[1][s : s + 300]) for s in range(201))
    assert np.array_equal(tile_to(np.array([1, 2], np.float32), 5), [1, 2, 1, 2, 1])


def test_a_planned_epoch_cuts_float_waves(tmp_path, make_split):
    shards = WaveShards(make_split(tmp_path / "train", 3, 5, seed=0))
    plan = plan_epoch(shards, shards.labels, 4, 2, 1000, np.random.default_rng(0))
    assert len(plan) == 2
    waves = cut_batch(shards, plan[0], 1000)
    assert waves.shape == (4, 1000) and waves.dtype == np.float32 and shards.labels[plan[0].indices].tolist().count(1) == 2
    assert np.array_equal(cut_batch(shards, plan[0], 1000, slice(2, 4)), waves[2:])


def test_planning_ahead_draws_what_batch_by_batch_drew(tmp_path, make_split):
    """The demo's checkpoints were trained drawing each batch's crops, then its step seed, batch by
    batch; the plan must draw the same numbers in the same order (same crops, seeds and end state)."""
    shards = WaveShards(make_split(tmp_path / "train", 3, 5, seed=0, min_len=800, max_len=4000))
    old = np.random.default_rng(7)
    batches = balanced_batches(shards.labels, 4, 3, old)
    old_crops, old_seeds = [], []
    for batch in batches:
        old_crops.append(np.stack([random_crop(shards, int(i), 1000, old) for i in batch]))
        old_seeds.append(int(old.integers(2**63)))
    new = np.random.default_rng(7)
    plan = plan_epoch(shards, shards.labels, 4, 3, 1000, new)
    assert [step.step_seed for step in plan] == old_seeds
    assert all(np.array_equal(cut_batch(shards, step, 1000), crops) for step, crops in zip(plan, old_crops))
    assert new.bit_generator.state == old.bit_generator.state


def test_silent_and_empty_clips_are_reported_and_never_drawn(tmp_path, make_split, capsys):
    from asnet.data.shards import ClipInfo, write_index

    directory = make_split(tmp_path / "train", 3, 3, seed=0)
    shards = WaveShards(directory)
    clips = list(shards.clips)
    clips[0] = ClipInfo(clips[0].utt_id, clips[0].offset, 0, "bonafide", "bonafide", "spk0")  # empty
    wave = np.array(shards.wave)
    wave[clips[4].offset : clips[4].offset + clips[4].length] = 0  # silent spoof
    np.save(directory / "wave.npy", wave)
    write_index(directory / "index.csv", clips)
    shards = WaveShards(directory)
    labels = trainable_labels(shards)
    assert labels.tolist() == [-1, 1, 1, 0, -1, 0]
    assert "utt000" in capsys.readouterr().err
    drawn = np.concatenate(balanced_batches(labels, 4, 5, np.random.default_rng(0)))
    assert not set(drawn) & {0, 4}
