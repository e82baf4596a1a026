import torch

from asnet.features.bpda import needs_grad, straight_through
from asnet.features.prosody import zero_crossing_rate


def test_straight_through_forward_is_exact_and_backward_is_the_surrogates():
    x = torch.linspace(-2, 2, 9, requires_grad=True)
    exact = torch.round(x * 3.3) / 7.1  # arbitrary, so x + (s - s) would show any rounding
    out = straight_through(exact, x.pow(2))
    assert torch.equal(out, exact.detach())
    out.sum().backward()
    assert torch.allclose(x.grad, 2 * x.detach())


def test_needs_grad_follows_requires_grad_and_no_grad():
    x = torch.ones(2, requires_grad=True)
    assert needs_grad(x) and not needs_grad(x.detach())
    with torch.no_grad():
        assert not needs_grad(x)


def test_zero_crossing_rate_is_exact_forward_and_smooth_backward():
    frames = torch.tensor([[[0.5, -0.2, 0.0, 0.3, -1e-4]]], requires_grad=True)
    zcr = zero_crossing_rate(frames, surrogate_scale=0.01)
    assert zcr.item() == 3 / 4  # +- , -0 (zero is positive), 0+ (none), +- : 3 of 4 pairs
    with torch.no_grad():
        assert torch.equal(zero_crossing_rate(frames, 0.01), zcr.detach())
    zcr.sum().backward()
    again = frames.detach().requires_grad_(True)
    smooth = torch.tanh(again / 0.01)
    (0.5 * (1 - smooth[..., 1:] * smooth[..., :-1])).mean().backward()
    assert torch.allclose(frames.grad, again.grad) and frames.grad.abs().sum() > 0
