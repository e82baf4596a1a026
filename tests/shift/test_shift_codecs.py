"""Channels: every eval codec changes the signal, keeps its length and stays aligned."""
import numpy as np
import pytest

from asnet.shift import dsp
from asnet.shift.codecs import Channel, ChannelError, delay

PARAMS_MP3 = {"library": "pyav", "codec": "mp3", "container": "mp3", "sample_rate": 16000}


@pytest.fixture(scope="module")
def channels(params):
    return {name: Channel.from_params(spec) for name, spec in params["shift"]["codecs"].items()}


@pytest.fixture(scope="module")
def transmitted(channels, speech):
    clean = speech[2]
    return clean, {name: channel.process(clean, 16000) for name, channel in channels.items()}


def test_the_eval_list_is_one_set_per_codec_family_of_the_issue(channels):
    codecs = {c[1:] for channel in channels.values() for c in channel.conditions(16000) if c[0] == "codec"}
    assert codecs == {
        ("mp3", 16000), ("aac", 32000), ("opus", 12000), ("mulaw", None), ("gsm", None), ("amr_nb", 12200),
        ("g722", None),
    }
    assert channels["telephony"].conditions(16000) >= {("band", 300.0, 3400.0), ("rate", 8000.0)}


def test_every_codec_changes_the_signal_but_keeps_its_length(transmitted):
    clean, outputs = transmitted
    for name, sent in outputs.items():
        assert sent.wave.dtype == np.float32 and len(sent.wave) == len(clean), name
        snr = dsp.snr_db(clean, sent.wave)
        assert np.isfinite(snr) and snr < 40, f"{name}: SNR {snr:.1f} dB"
        assert dsp.log_spectral_distance(clean, sent.wave, 16000) > 1.0, name
        assert sent.encoded_bytes > 0, name


def test_outputs_are_aligned_with_their_inputs(transmitted):
    clean, outputs = transmitted
    for name, sent in outputs.items():
        assert abs(dsp.best_lag(clean, sent.wave, 400)) <= 2, name


def test_encoder_delay_is_measured_and_removed(channels, speech):
    aac = channels["aac_32k"]
    assert delay(aac, 16000) == 1024  # AAC priming samples: the ADTS stream does not signal them
    raw = aac._transmit(speech[2], 16000).wave
    assert dsp.best_lag(speech[2], raw, 2048) == 1024


def test_waveform_codecs_keep_a_high_snr(transmitted):
    clean, outputs = transmitted
    assert dsp.snr_db(clean, outputs["g722"].wave) > 15  # ADPCM tracks the waveform
    mp3_24k = Channel.from_params({**PARAMS_MP3, "bitrate": 24000}).process(clean, 16000)
    assert dsp.snr_db(clean, mp3_24k.wave) > dsp.snr_db(clean, outputs["mp3_16k"].wave)  # more bits, less error


def test_telephony_has_almost_no_energy_above_3400_hz(transmitted):
    clean, outputs = transmitted
    assert dsp.band_energy_fraction(clean, 16000, 3600) > 0.01
    assert dsp.band_energy_fraction(outputs["telephony"].wave, 16000, 3600) < 1e-3
    assert dsp.band_energy_fraction(outputs["telephony"].wave, 16000, 4000) < 1e-4


def test_channels_are_deterministic(channels, speech):
    for name in ("mp3_16k", "opus_12k", "gsm"):
        assert np.array_equal(channels[name](speech[0], 16000), channels[name](speech[0], 16000)), name


@pytest.mark.parametrize("bad, reason", [(np.zeros(0, np.float32), "empty"), (np.full(800, np.nan, np.float32), "non-finite")])
def test_bad_clips_raise_a_named_error(channels, bad, reason):
    with pytest.raises(ChannelError, match=reason):
        channels["mp3_16k"](bad, 16000)


def test_band_only_channel_needs_no_codec():
    channel = Channel.from_params({"library": "none", "band": [300, 3400]})
    assert channel.conditions(16000) == {("band", 300.0, 3400.0)}
    with pytest.raises(ValueError, match="codec exactly when"):
        Channel(library="pyav")
