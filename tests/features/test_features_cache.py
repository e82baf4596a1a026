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
