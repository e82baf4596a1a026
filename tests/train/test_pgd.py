import copy

import torch
import torch.nn.functional as F

from asnet.train.pgd import pgd_linf


def test_pgd_stays_in_the_budget_and_the_waveform_range(toy, batch):
    wave, labels = batch
    wave[0, :50] = 1.0
    wave[1, :50] = -1.0  # samples at the rails: the attack must not leave [-1, 1]
    eps = 0.05
    adversarial = pgd_linf(toy, wave, labels, eps=eps, step_size=0.02, steps=5)
    assert (adversarial - wave).abs().max() <= eps * (1 + 1e-6)
    assert adversarial.min() >= -1.0 and adversarial.max() <= 1.0
    assert not torch.equal(adversarial, wave)


def test_pgd_runs_in_eval_mode_and_touches_neither_statistics_nor_gradients(toy, batch):
    wave, labels = batch
    buffers = copy.deepcopy(dict(toy.named_buffers()))
    modes = []
    toy.register_forward_pre_hook(lambda module, args: modes.append(module.training))
    toy.train()
    pgd_linf(toy, wave, labels, eps=0.01, step_size=0.005, steps=3)
    assert modes == [False, False, False] and toy.training
    for name, buffer in toy.named_buffers():
        assert torch.equal(buffer, buffers[name]), name
    assert all(p.grad is None for p in toy.parameters())


def test_pgd_raises_the_loss_over_the_random_start(toy, batch):
    wave, labels = batch
    toy.eval()
    torch.manual_seed(0)
    start = pgd_linf(toy, wave, labels, eps=0.05, step_size=0.02, steps=0)
    torch.manual_seed(0)
    attacked = pgd_linf(toy, wave, labels, eps=0.05, step_size=0.02, steps=10)
    with torch.no_grad():
        assert F.cross_entropy(toy(attacked).logits, labels) > F.cross_entropy(toy(start).logits, labels)
