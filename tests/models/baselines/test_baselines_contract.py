"""What every neural baseline owes the rest of the pipeline: the detector output contract,
gradients from the score back to the waveform (attacks), trainable parameters, deterministic
eval, and the repetition of short or padded clips."""
import pytest
import torch

from asnet.models import build_model
from asnet.models.baselines.aasist import published_config
from asnet.models.baselines.inputs import repeat_to_length


def small_config(name, configs):
    if name == "aasist":
        return {**published_config("AASIST-L"), "min_samples": 16000}
    return configs[name]


@pytest.fixture(params=["lcnn", "rawnet2_narrow", "aasist"])
def model(request, configs):
    torch.manual_seed(0)
    return build_model(small_config(request.param, configs))


@pytest.fixture
def wave():
    generator = torch.Generator().manual_seed(0)
    t = torch.arange(16000) / 16000
    return torch.stack([0.3 * torch.sin(2 * torch.pi * 150 * t), 0.1 * torch.randn(16000, generator=generator)])


def test_output_contract_and_score_gradient_in_eval_mode(model, wave):
    """One eval forward: the output fields, then the score's gradient reaches every sample
    (attacks run in eval mode); a second forward gives the same logits (eval is deterministic)."""
    wave = wave.clone().requires_grad_()
    out = model.eval()(wave)
    assert out.logits.shape == (2, 2) and out.logits.dtype == torch.float32
    assert torch.isfinite(out.logits).all()
    assert torch.equal(out.score, out.logits[:, 1] - out.logits[:, 0])
    assert torch.allclose(out.energy, -torch.logsumexp(out.logits, dim=1))
    assert torch.equal(out.abstain, -out.score.abs())
    assert out.gate is None
    out.score.sum().backward()
    assert torch.isfinite(wave.grad).all() and wave.grad.abs().sum() > 0
    assert torch.equal(model(wave).logits, out.logits)


def test_train_mode_backward_gives_finite_parameter_gradients(model, wave):
    loss = torch.nn.functional.cross_entropy(model.train()(wave).logits, torch.tensor([1, 0]))
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_short_clip_is_repeated_to_min_samples(model, wave):
    model.eval()
    short = wave[:1, :6000]
    tiled = torch.cat([short, short, short[:, :4000]], dim=1)
    with torch.no_grad():
        assert torch.allclose(model(short).logits, model(tiled).logits, atol=1e-5)


def test_repeat_to_length_tiles_each_row_over_its_padding():
    wave = torch.tensor([[1.0, 2.0, 3.0, 0.0], [4.0, 5.0, 0.0, 0.0]])
    assert torch.equal(repeat_to_length(wave, torch.tensor([3, 2]), 6),
                       torch.tensor([[1.0, 2.0, 3.0, 1.0, 2.0, 3.0], [4.0, 5.0, 4.0, 5.0, 4.0, 5.0]]))
    assert torch.equal(repeat_to_length(wave, torch.tensor([3, 2]), 0)[1], torch.tensor([4.0, 5.0, 4.0, 5.0]))
    assert repeat_to_length(wave, None, 4) is wave
