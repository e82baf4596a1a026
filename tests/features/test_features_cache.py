import numpy as np
import torch

from asnet.data.shards import ClipInfo, FeatureShards, save_array, to_int16, write_index
from asnet.features.cache import write_feature_shards
from asnet.features.frontend import FrontEnd


def write_wave_shard(directory, waves: list[np.ndarray]) -> None:
    index, offset = [], 0
    for i, wave in enumerate(waves):
        index.append(ClipInfo(f"utt{i}", offset, len(wave), "bonafide" if i % 2 else "spoof", "sys", "spk"))
        offset += len(wave)
    save_array(directory / "wave.npy", to_int16(np.concatenate(waves)))
    write_index(directory / "index.csv", index)


def test_cached_features_equal_the_online_front_end(tmp_path, features_params):
    rng = np.random.default_rng(0)
    t = np.arange(9000) / 16000
    waves = [
        (0.3 * np.sin(2 * np.pi * 150 * t[:7000]) + 0.01 * rng.standard_normal(7000)).astype(np.float32),
        np.zeros(3000, np.float32),  # digital silence
        (0.1 * rng.standard_normal(9000)).astype(np.float32),
        (0.2 * np.sin(2 * np.pi * 240 * t[:1200])).astype(np.float32),
    ]
    write_wave_shard(tmp_path, waves)
    write_feature_shards(tmp_path, features_params, batch_size=3)

    cached = FeatureShards(tmp_path)
    frontend = FrontEnd(features_params)
    assert [f[0] for f in cached.frames] == [f"utt{i}" for i in range(4)]
    assert cached.spectral.dtype == np.float16 and cached.prosody.dtype == np.float16
    for i, wave in enumerate(waves):
        stored = torch.from_numpy(np.round(wave * 32767) / 32767).float()  # what the int16 shard holds
        with torch.no_grad():
            spectral, prosody = (x[0].numpy() for x in frontend(stored[None]))
        cached_spectral, cached_prosody = cached[i]
        assert cached_spectral.shape == spectral.shape and cached_prosody.shape == prosody.shape
        np.testing.assert_allclose(cached_spectral, spectral, rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(cached_prosody, prosody, rtol=1e-3, atol=1e-3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames.csv", "index.csv", "prosody.npy", "spectral.npy", "wave.npy"]

    first = {name: (tmp_path / name).read_bytes() for name in ("spectral.npy", "prosody.npy", "frames.csv")}
    write_feature_shards(tmp_path, features_params, batch_size=3)
    assert all((tmp_path / name).read_bytes() == data for name, data in first.items())  # deterministic


def test_a_long_clip_is_computed_in_windows_and_equals_the_online_front_end(tmp_path, features_params):
    """Clips above max_window_seconds go through windows with context, normalised over the whole
    clip: the same features as one pass (float32 rounding), and the other clips' bytes are unchanged."""
    from asnet.features.cache import windowed_features

    rng = np.random.default_rng(1)
    t = np.arange(40000) / 16000
    long = (0.3 * np.sin(2 * np.pi * (110 + 40 * t) * t) * (1 + np.sin(2 * np.pi * 3 * t))
            + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
    long[12000:15000] = 0.0
    short = [(0.2 * np.sin(2 * np.pi * 180 * t[:n])).astype(np.float32) for n in (3000, 5000)]
    frontend = FrontEnd(features_params).eval()
    with torch.no_grad():
        online = frontend(torch.from_numpy(long)[None])
    for window in (4000, 8160, 16000):  # frames split mid-hop, at a hop multiple, and unevenly
        windowed = windowed_features(frontend, lambda lo, hi: long[lo:hi], len(long), window)
        for got, want in zip(windowed, online):
            assert got.shape == want.shape
            torch.testing.assert_close(got, want, rtol=0, atol=1e-5)

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_wave_shard(tmp_path / "a", short)
    write_wave_shard(tmp_path / "b", short + [long])
    write_feature_shards(tmp_path / "a", features_params, batch_size=2)
    write_feature_shards(tmp_path / "b", features_params, batch_size=2, max_window_seconds=0.5)
    alone, mixed = FeatureShards(tmp_path / "a"), FeatureShards(tmp_path / "b")
    for i in range(2):
        assert all(np.array_equal(x, y) for x, y in zip(alone[i], mixed[i]))
    stored = torch.from_numpy(np.round(long * 32767) / 32767).float()
    with torch.no_grad():
        spectral, prosody = (x[0].numpy() for x in frontend(stored[None]))
    np.testing.assert_allclose(mixed[2][0], spectral, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(mixed[2][1], prosody, rtol=1e-3, atol=1e-3)


def test_non_finite_features_name_the_clip_and_write_nothing(tmp_path, features_params, monkeypatch):
    """A front-end bug that yields inf/NaN (or a value float16 cannot hold) is caught clip by clip:
    the clip is named and no half-valid feature file is left behind."""
    rng = np.random.default_rng(2)
    write_wave_shard(tmp_path, [(0.1 * rng.standard_normal(n)).astype(np.float32) for n in (4000, 6000, 5000)])
    forward = FrontEnd.forward

    def overflowing(self, wave, lengths=None):
        spectral, prosody = forward(self, wave, lengths)
        if wave.shape[1] == 6000:  # utt1's batch (batch_size 1): a value beyond float16's range
            prosody = prosody.clone()
            prosody[0, 0, 0] = 1e6
        return spectral, prosody

    monkeypatch.setattr(FrontEnd, "forward", overflowing)
    try:
        write_feature_shards(tmp_path, features_params, batch_size=1)
    except FloatingPointError as error:
        assert "1 clip(s)" in str(error) and "utt1" in str(error)
    else:
        raise AssertionError("non-finite features were cached")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.csv", "wave.npy"]
