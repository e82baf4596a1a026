"""Training-time pools: the transform contract, and disjointness from every evaluation condition."""
import numpy as np
import pytest
from scipy.signal import freqz

from asnet.shift import dsp, pools
from asnet.shift.conditions import codec_condition, codec_families


@pytest.fixture(scope="module")
def all_transforms(params):
    return {**pools.pseudo_outliers(params), **pools.train_shifts(params), **pools.augmentations(params)}


def test_every_transform_keeps_the_contract(all_transforms, speech):
    wave = speech[0]
    for name, transform in all_transforms.items():
        out = transform(wave, np.random.default_rng(0))
        assert out.dtype == np.float32 and out.shape == wave.shape, name
        assert np.all(np.isfinite(out)) and np.abs(out).max() <= 1.0, name
        assert not np.allclose(out, wave, atol=1e-3), f"{name} left the clip unchanged"
        again = transform(wave, np.random.default_rng(0))
        assert np.array_equal(out, again), f"{name} is not deterministic under a seeded rng"


def test_random_transforms_draw_from_the_rng(all_transforms, speech):
    for name in ("white_noise", "shuffled", "reverb", "gain_eq", "rawboost"):
        first = all_transforms[name](speech[0], np.random.default_rng(0))
        second = all_transforms[name](speech[0], np.random.default_rng(1))
        assert not np.array_equal(first, second), name


def test_pseudo_outliers_keep_the_level(params, speech):
    """Same RMS as the input (unless that would clip: then scaled down to a peak of 1)."""
    wave = speech[1]
    for name, transform in pools.pseudo_outliers(params).items():
        out = transform(wave, np.random.default_rng(0))
        at_input_level = dsp.rms(out) == pytest.approx(dsp.rms(wave), rel=1e-3)
        assert at_input_level or np.abs(out).max() == pytest.approx(1.0), name


def test_transforms_survive_a_silent_crop(all_transforms):
    silence = np.zeros(16000, np.float32)
    for name, transform in all_transforms.items():
        out = transform(silence, np.random.default_rng(0))
        assert out.shape == silence.shape and np.all(np.isfinite(out)), name


def test_heavy_lowpass_removes_the_high_band(params, speech):
    out = pools.pseudo_outliers(params)["lowpass_400"](speech[0], np.random.default_rng(0))
    assert dsp.band_energy_fraction(out, 16000, 800) < 1e-3 < dsp.band_energy_fraction(speech[0], 16000, 800)


def test_shuffle_and_reverse_keep_the_samples(params, speech):
    outliers = pools.pseudo_outliers(params)
    for name in ("reversed", "shuffled"):
        out = outliers[name](speech[0], np.random.default_rng(3))
        assert np.array_equal(np.sort(out), np.sort(speech[0])), name


@pytest.mark.parametrize("kind, gain_db", [("low", 6.0), ("high", -4.0)])
def test_shelf_filters_reach_their_gain(kind, gain_db):
    b, a = pools.shelf_coefficients(kind, 1000.0, gain_db, 16000)
    _, response = freqz(b, a, worN=[0.0, np.pi])
    shelf, other = (response[0], response[1]) if kind == "low" else (response[1], response[0])
    assert 20 * np.log10(abs(shelf)) == pytest.approx(gain_db, abs=1e-6)
    assert 20 * np.log10(abs(other)) == pytest.approx(0.0, abs=1e-6)


def test_pools_share_no_condition_with_the_evaluation_sets(params):
    held_out = pools.eval_conditions(params)
    assert held_out  # codecs, bands, rates and vocoders of the eval sets
    for pool in (pools.pseudo_outliers(params), pools.train_shifts(params), pools.augmentations(params)):
        assert not pools.pool_conditions(pool) & held_out


def test_disjointness_check_catches_a_leak(params):
    """An eval codec spelled with another encoder name is still the same condition."""
    leak = pools.build_pool({"mp3": {"family": "channel", "library": "pyav", "codec": "libmp3lame",
                                     "container": "mp3", "sample_rate": 16000, "bitrate": 16000}}, 16000)
    assert pools.pool_conditions(leak) & pools.eval_conditions(params) == {codec_condition("mp3", 16000)}
    band = pools.build_pool({"tel": {"family": "filter", "band": [300, 3400]}}, 16000)
    assert pools.pool_conditions(band) & pools.eval_conditions(params)


def test_training_shift_codecs_are_families_no_eval_set_uses(params):
    """The codec-shift OOD test must be unseen by codec family: opus at 32 kbit/s in training
    and opus at 12 or 64 kbit/s in eval share no exact condition, yet the codec is not unseen."""
    pool = pools.train_shifts(params)
    assert codec_families(pools.pool_conditions(pool))  # the pool does hold codecs
    assert {"mp3", "aac", "opus", "amr_nb", "gsm", "g722", "mulaw"} <= codec_families(pools.eval_conditions(params))
    assert not pools.shared_codec_families(pool, params)


def test_family_check_catches_an_eval_codec_at_another_bitrate(params):
    other_bitrate = pools.build_pool({
        "opus": {"family": "channel", "library": "pyav", "codec": "libopus", "container": "ogg",
                 "sample_rate": 16000, "bitrate": 32000},
        "mp2": {"family": "channel", "library": "pyav", "codec": "mp2", "container": "mp2",
                "sample_rate": 16000, "bitrate": 64000}}, 16000)
    assert not pools.pool_conditions(other_bitrate) & pools.eval_conditions(params)  # exact names differ
    assert pools.shared_codec_families(other_bitrate, params) == {"opus", "mp3"}
    leaky = {**params, "shift": {**params["shift"], "pools": {"train_shifts": {"opus": {
        "family": "channel", "library": "pyav", "codec": "libopus", "container": "ogg", "sample_rate": 16000,
        "bitrate": 32000}}}}}
    with pytest.raises(ValueError, match=r"codec families of the eval sets \(opus\)"):
        pools.train_shifts(leaky)


def test_unknown_family_is_named():
    with pytest.raises(ValueError, match="unknown transform family 'chorus'"):
        pools.make_transform({"family": "chorus"}, 16000)


@pytest.mark.parametrize("color, low_to_high", [("white", (0.04, 0.1)), ("brown", (10.0, 25.0))])
def test_noise_colours_have_their_slope(color, low_to_high):
    noise = pools.coloured_noise(160000, pools.NOISE_EXPONENTS[color], np.random.default_rng(0), 16000)
    power = np.abs(np.fft.rfft(noise)) ** 2
    freqs = np.fft.rfftfreq(len(noise), 1 / 16000)
    ratio = power[(freqs >= 100) & (freqs < 200)].sum() / power[(freqs >= 1600) & (freqs < 3200)].sum()
    assert low_to_high[0] < ratio < low_to_high[1]  # 1/16 for white, 16 for brown (1/f^2)


def test_rawboost_keeps_the_level_and_stops_bands(params, speech):
    """The convolutive part really removes bands: the output's spectrum has notches the input lacks."""
    transform = pools.augmentations(params)["rawboost"]
    out = transform(speech[0], np.random.default_rng(3))
    assert np.isclose(dsp.rms(out), dsp.rms(speech[0]), rtol=1e-3)
    taps = transform.band_stop(np.random.default_rng(3))
    _, response = freqz(taps, worN=2048, fs=16000)
    assert np.abs(response).min() < 0.1 < np.abs(response).max()  # stop bands and pass bands


def test_augmentation_pool_is_refused_when_it_leaks_an_eval_codec(params):
    leaky = {**params, "shift": {**params["shift"], "pools": {"augment": {"mp3": {
        "family": "channel", "library": "pyav", "codec": "mp3", "container": "mp3", "sample_rate": 16000,
        "bitrate": 32000}}}}}
    with pytest.raises(ValueError, match=r"shift.pools.augment uses codec families"):
        pools.augmentations(leaky)
