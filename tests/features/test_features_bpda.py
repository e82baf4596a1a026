import torch

from asnet.features.bpda import needs_grad, straight_through, surrogates
from asnet.features.framing import frame_signal
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
    wave = torch.randn(2, 1200, generator=torch.Generator().manual_seed(0)) * 0.01
    wave[0, 300:500] = 0.0  # zeros count as positive
    wave.requires_grad_(True)
    zcr = zero_crossing_rate(wave, 400, 160, surrogate_scale=0.01)
    frames = frame_signal(wave.detach(), 400, 160)
    positive = frames >= 0
    assert torch.equal(zcr.detach(), (positive[..., 1:] != positive[..., :-1]).float().mean(-1))
    with torch.no_grad():
        assert torch.equal(zero_crossing_rate(wave, 400, 160, 0.01), zcr.detach())
    zcr.sum().backward()
    again = wave.detach().requires_grad_(True)
    smooth = torch.tanh(frame_signal(again, 400, 160) / 0.01)
    (0.5 * (1 - smooth[..., 1:] * smooth[..., :-1])).mean(-1).sum().backward()
    assert torch.allclose(wave.grad, again.grad) and wave.grad.abs().sum() > 0


def test_surrogates_off_leaves_the_hard_operations_own_gradient():
    wave = torch.randn(1, 1200, generator=torch.Generator().manual_seed(1)).requires_grad_(True)
    with surrogates(False):
        assert not needs_grad(wave)
        zcr = zero_crossing_rate(wave, 400, 160, 0.01)
    assert needs_grad(wave)  # restored on leaving the block
    assert not zcr.requires_grad  # sign changes: no gradient without the surrogate
    assert torch.equal(zcr, zero_crossing_rate(wave, 400, 160, 0.01).detach())
