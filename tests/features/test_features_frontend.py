from pathlib import Path

import pytest
import torch

from asnet.features.frontend import PAPER_PLANES, SPECTRAL_PLANES, FrontEnd
from asnet.features.prosody import PAPER_CHANNELS, PROSODY_CHANNELS


@pytest.fixture(scope="module")
def frontend(features_params):
    return FrontEnd(features_params)


def speechlike(n: int, seed: int, f0: float = 140.0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    t = torch.arange(n) / 16000
    voice = sum(torch.sin(2 * torch.pi * f0 * k * t) / k for k in range(1, 8)) * torch.sin(2 * torch.pi * 3 * t).clamp_min(0)
    return 0.1 * voice + 0.005 * torch.randn(n, generator=generator)


def test_shapes_dtypes_and_frame_count(frontend, features_params):
    wave = torch.stack([speechlike(8000, 0), speechlike(8000, 1)])
    spectral, prosody = frontend(wave)
    frames = 1 + 8000 // features_params["hop_length"]
    assert spectral.shape == (2, frames, features_params["n_mels"], len(SPECTRAL_PLANES))
    assert spectral.dtype == torch.float32
    assert prosody.shape == (2, frames, len(PROSODY_CHANNELS)) and prosody.dtype == torch.float32
    assert frontend.n_frames(8000) == frames


def test_normalisation_is_per_utterance_and_removes_gain(frontend):
    wave = speechlike(8000, 0)
    spectral, prosody = frontend(torch.stack([wave, 0.25 * wave]))
    logmel, phase = spectral[..., 0], spectral[..., 1]
    assert torch.allclose(logmel[0].mean(), torch.tensor(0.0), atol=1e-5)
    assert torch.allclose(logmel[0].std(unbiased=False), torch.tensor(1.0), atol=1e-4)
    # a 12 dB quieter copy: same normalised log-mel, phase plane and log-RMS (up to the floors), same F0
    assert (logmel[0] - logmel[1]).abs().mean() < 0.05  # raw log-mel: log 16 = 2.8 apart
    assert (phase[0] - phase[1]).abs().mean() < 0.1 and phase.abs().max() <= 1.0  # floors reach quiet bands
    assert torch.allclose(prosody[0, :, [0, 2]], prosody[1, :, [0, 2]], atol=0.05)


def test_silence_and_very_short_clips_give_finite_features(frontend):
    for wave in (torch.zeros(1, 4000), torch.full((1, 4000), 1e-9), speechlike(50, 0)[None]):
        spectral, prosody = frontend(wave)
        assert torch.isfinite(spectral).all() and torch.isfinite(prosody).all()


def test_a_padded_clip_equals_the_clip_alone(frontend):
    short, long = speechlike(5000, 0), speechlike(9000, 1, f0=210.0)
    batch = torch.zeros(2, 9000)
    batch[0, :5000], batch[1] = short, long
    spectral, prosody = frontend(batch, lengths=torch.tensor([5000, 9000]))
    alone_spectral, alone_prosody = frontend(short[None])
    frames = alone_spectral.shape[1]
    assert torch.allclose(spectral[0, :frames], alone_spectral[0], atol=1e-5)
    assert torch.allclose(prosody[0, :frames], alone_prosody[0], atol=1e-5)
    assert (spectral[0, frames:] == 0).all() and (prosody[0, frames:] == 0).all()
    assert torch.allclose(frontend(long[None])[0][0], spectral[1], atol=1e-5)


def test_cpu_chunking_and_autocast_do_not_change_the_output(features_params):
    wave = torch.stack([speechlike(4000, i) for i in range(3)])
    whole = FrontEnd(features_params, cpu_chunk=3)(wave)
    chunked = FrontEnd(features_params, cpu_chunk=1)(wave)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        autocast = FrontEnd(features_params)(wave)
    for a, b, c in zip(whole, chunked, autocast):
        assert torch.allclose(a, b, atol=1e-5) and c.dtype == torch.float32 and torch.allclose(a, c, atol=1e-5)


def test_chunks_on_threads_give_the_one_thread_bytes_and_gradients(features_params):
    """With 2 intra-op threads the chunks run on 2 Python threads of 1 intra-op thread each
    (map_chunks): the bytes of a 1-thread run, the same gradients, the caller's inference mode in
    the workers, and the thread count restored."""
    frontend = FrontEnd(features_params, cpu_chunk=1)
    wave = torch.stack([speechlike(4000, i) for i in range(3)])
    threads = torch.get_num_threads()

    def run(n: int):
        torch.set_num_threads(n)
        try:
            leaf = wave.clone().requires_grad_(True)
            spectral, prosody = frontend(leaf)
            (spectral.pow(2).sum() + prosody.pow(2).sum()).backward()
            with torch.inference_mode():
                inferred = frontend(wave)
            return spectral.detach(), prosody.detach(), leaf.grad, inferred
        finally:
            torch.set_num_threads(threads)

    (spectral_1, prosody_1, grad_1, _), (spectral_2, prosody_2, grad_2, inferred) = run(1), run(2)
    assert torch.equal(spectral_1, spectral_2) and torch.equal(prosody_1, prosody_2)
    assert torch.allclose(grad_1, grad_2, rtol=1e-4, atol=1e-6)
    assert all(t.is_inference() for t in inferred) and torch.get_num_threads() == threads


def test_chunks_autograd_records_stay_on_the_calling_thread():
    """Autograd orders a backward pass by per-thread sequence numbers: chunks recorded on pool
    threads summed the wave's gradient in an order that changed from run to run (the adv stage's
    PGD). Chunks with a wave that requires grad run on the caller's thread, the others on workers."""
    import threading

    from asnet.features.frontend import map_chunks

    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        def ran_on(*waves: torch.Tensor) -> set[int]:
            idents = map_chunks(lambda wave, mask: threading.get_ident(), [(w, None) for w in waves])
            return set(idents)

        caller = {threading.get_ident()}
        assert ran_on(*torch.zeros(4, 1, 8).requires_grad_(True).unbind()) == caller
        assert caller.isdisjoint(ran_on(*torch.zeros(4, 1, 8).unbind()))
        with torch.no_grad():
            assert caller.isdisjoint(ran_on(*torch.zeros(4, 1, 8).requires_grad_(True).unbind()))
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("view", [(0, 0), (0, 1), (1, slice(None))], ids=["logmel", "phase", "prosody"])
def test_each_view_passes_a_finite_nonzero_gradient_to_the_wave(frontend, view):
    wave = speechlike(4000, 0)[None].requires_grad_(True)
    output, plane = view
    features = frontend(wave)[output][..., plane]
    (features * torch.randn_like(features)).sum().backward()
    assert torch.isfinite(wave.grad).all() and wave.grad.abs().sum() > 0


def test_every_prosody_channel_has_a_gradient(frontend):
    wave = speechlike(4000, 0)[None].requires_grad_(True)
    for channel in range(len(PROSODY_CHANNELS)):
        wave.grad = None
        frontend(wave)[1][..., channel].pow(2).sum().backward()
        assert torch.isfinite(wave.grad).all() and wave.grad.abs().sum() > 0, PROSODY_CHANNELS[channel]


def test_the_paper_inputs_switch_drops_both_phase_aware_inputs(frontend, features_params, monkeypatch):
    wave = torch.stack([speechlike(6000, 0), speechlike(6000, 1, f0=220.0)])
    lengths = torch.tensor([4000, 6000])
    full_spectral, full_prosody = frontend(wave, lengths)
    # they are not computed at all
    import asnet.features.frontend as module

    def never(*args, **kwargs):
        raise AssertionError("a phase-aware input was computed")

    monkeypatch.setattr(module, "residual_log_kurtosis", never)
    monkeypatch.setattr(module.IFDeviation, "forward", never)
    paper = FrontEnd({**features_params, "phase_inputs": False})
    assert (paper.n_planes, paper.n_prosody) == (len(PAPER_PLANES), len(PAPER_CHANNELS)) == (1, 5)
    spectral, prosody = paper(wave, lengths)
    frames = 1 + 6000 // features_params["hop_length"]
    assert spectral.shape == (2, frames, features_params["n_mels"], 1) and prosody.shape == (2, frames, 5)
    # normalisation is per plane and per channel, so the paper's inputs are the full front-end's first ones
    assert torch.equal(spectral[..., 0], full_spectral[..., 0]) and torch.equal(prosody, full_prosody[..., :5])


def test_the_switch_on_is_the_default(features_params):
    params = {key: value for key, value in features_params.items() if key != "phase_inputs"}
    wave = torch.stack([speechlike(4000, 2)])
    default, on = FrontEnd(params), FrontEnd({**params, "phase_inputs": True})
    assert (default.n_planes, default.n_prosody) == (len(SPECTRAL_PLANES), len(PROSODY_CHANNELS)) == (2, 6)
    for a, b in zip(default(wave), on(wave)):
        assert torch.equal(a, b)


def test_the_model_sizes_its_encoders_from_the_switch():
    from asnet.models import build_model
    from asnet.utils import load_params

    config = load_params(Path(__file__).parents[2] / "params.yaml")["model"]
    model = build_model({**config, "features": {**config["features"], "phase_inputs": False}}).eval()
    with torch.inference_mode():
        out = model(torch.stack([speechlike(4000, 0), speechlike(4000, 1)]))
    assert out.logits.shape == (2, 2) and torch.isfinite(out.logits).all()
