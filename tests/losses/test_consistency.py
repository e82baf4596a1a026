import torch

from asnet.losses.consistency import embedding_cosine, energy_agreement, kl_per_sample, prediction_kl


def test_kl_is_zero_for_equal_predictions_and_matches_the_formula():
    p, q = torch.tensor([[1.0, -1.0]]), torch.tensor([[0.0, 0.0]])
    assert kl_per_sample(p, p).abs().item() < 1e-7
    probs = torch.softmax(p, 1)
    expected = (probs * (probs.log() - torch.log(torch.tensor(0.5)))).sum()
    assert torch.isclose(kl_per_sample(p, q)[0], expected)


def test_consistency_terms_pull_only_the_shifted_view():
    clean = torch.tensor([[2.0, -1.0]], requires_grad=True)
    shifted = torch.tensor([[0.0, 1.0]], requires_grad=True)
    prediction_kl(clean, shifted).backward()
    assert clean.grad is None and shifted.grad.abs().sum() > 0

    z_clean, z_shift = torch.randn(3, 8, requires_grad=True), torch.randn(3, 8, requires_grad=True)
    embedding_cosine(z_clean, z_shift).backward()
    assert z_clean.grad is None and z_shift.grad.abs().sum() > 0
    assert embedding_cosine(z_shift, z_shift).abs().item() < 1e-6


def test_energy_agreement_is_the_mean_squared_gap():
    assert torch.isclose(energy_agreement(torch.tensor([-3.0, -1.0]), torch.tensor([-1.0, -1.0])), torch.tensor(2.0))
