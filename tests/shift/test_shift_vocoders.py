"""Eval vocoders: the copy-synthesis contract, and disjointness from the demo corpus's systems."""
import inspect

import numpy as np
import pytest

from asnet.data.demo import vocoders as demo_vocoders
from asnet.shift import dsp
from asnet.shift.vocoders import LPC, GriffinLim, World, make_vocoder, vocoder_conditions


@pytest.fixture(scope="module")
def eval_vocoders(params):
    return {name: make_vocoder(spec) for name, spec in params["shift"]["vocoders"].items()}


def test_copy_synthesis_keeps_length_and_level_and_changes_the_waveform(eval_vocoders, speech):
    clean = speech[2]
    for name, vocoder in eval_vocoders.items():
        out = vocoder(clean, 16000, np.random.default_rng(0))
        assert out.dtype == np.float32 and len(out) == len(clean), name
        assert np.all(np.isfinite(out)) and np.abs(out).max() <= 1.0, name
        assert dsp.rms(out) == pytest.approx(dsp.rms(clean), rel=0.01), name
        assert dsp.snr_db(clean, out) < 10, name  # a new waveform, not the recording
        assert dsp.log_spectral_distance(clean, out, 16000, 4000) < 15, f"{name} lost the spectral envelope"


def test_copy_synthesis_is_seeded(eval_vocoders, speech):
    for name, vocoder in eval_vocoders.items():
        first = vocoder(speech[0], 16000, np.random.default_rng(5))
        assert np.array_equal(first, vocoder(speech[0], 16000, np.random.default_rng(5))), name


def demo_world_tracker(clip: np.ndarray) -> str:
    """Which WORLD F0 tracker the demo's `world` system runs, found by reproducing its output."""
    reference = dsp.match_rms(demo_vocoders.world_resynthesis(clip, 16000), dsp.rms(clip))
    for tracker in ("dio", "harvest"):
        if np.allclose(World(f0_method=tracker)(clip, 16000, None), reference, atol=1e-4):
            return tracker
    raise AssertionError("the demo's world system matches no known WORLD configuration")


def demo_vocoder_conditions(params: dict, clip: np.ndarray) -> frozenset:
    """Conditions of the demo corpus's copy-synthesis systems (world, griffin_lim, lpc)."""
    griffin_lim = inspect.signature(demo_vocoders.griffin_lim).parameters
    return frozenset().union(
        World(f0_method=demo_world_tracker(clip)).conditions(),
        GriffinLim(n_fft=griffin_lim["n_fft"].default, hop_length=griffin_lim["hop"].default).conditions(),
        LPC(order=params["prepare_demo"]["lpc_order"]).conditions(),
    )


def test_eval_vocoders_are_not_demo_systems(params, speech):
    demo = demo_vocoder_conditions(params, speech[0])
    assert len(demo) == 3
    assert not vocoder_conditions(params["shift"]["vocoders"]) & demo


def test_disjointness_check_catches_a_demo_vocoder(params, speech):
    demo = demo_vocoder_conditions(params, speech[0])
    same_world = World(f0_method=demo_world_tracker(speech[0]), frame_period_ms=10.0)
    assert same_world.conditions() <= demo  # a frame period alone does not make a vocoder unseen


def test_unknown_vocoder_family_is_named():
    with pytest.raises(ValueError, match="unknown vocoder family 'wavenet'"):
        make_vocoder({"family": "wavenet"})
