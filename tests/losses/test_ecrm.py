from types import SimpleNamespace

import torch

from asnet.losses.consistency import kl_per_sample
from asnet.losses.ecrm import ecrm_losses, ecrm_weight


def output(logits, energy, proj):
    return SimpleNamespace(logits=logits, energy=energy, proj_spec=proj, proj_pros=proj.flip(1))


def test_ecrm_weight_equals_its_formula():
    energy, tau, temperature = torch.tensor([-9.0, -6.0, -2.5, 0.0]), -6.0, 1.5
    expected = [1.0 / (1.0 + torch.exp(torch.tensor((e - tau) / temperature))) for e in energy.tolist()]
    assert torch.allclose(ecrm_weight(energy, tau, temperature), torch.stack(expected))
    assert ecrm_weight(torch.tensor([tau]), tau, temperature).item() == 0.5


def test_ecrm_terms_follow_the_definition():
    torch.manual_seed(0)
    clean = output(torch.randn(4, 2), torch.tensor([-8.0, -6.0, -3.0, -1.0]), torch.randn(4, 8))
    adv = output(torch.randn(4, 2), torch.tensor([-9.0, -5.0, -4.0, 0.0]), torch.randn(4, 8))
    calls = []

    def cmra(a, b):
        calls.append((a, b))
        return torch.tensor(0.25)

    terms = ecrm_losses(clean, adv, tau=-6.0, temperature=1.0, cmra=cmra)
    weight = torch.sigmoid(-6.0 - clean.energy)
    assert torch.isclose(terms["ecrm_kl"], (weight * kl_per_sample(clean.logits, adv.logits)).mean())
    assert torch.isclose(terms["ecrm_hinge"], torch.tensor((1.0 + 0 + 1.0 + 0) / 4))  # only where E_adv < E_clean
    assert terms["ecrm_cmra"] == 0.25 and calls[0][0] is adv.proj_spec and calls[0][1] is adv.proj_pros


def test_ecrm_hinge_pushes_only_the_adversarial_energy_up():
    clean_energy = torch.tensor([-2.0], requires_grad=True)
    adv_energy = torch.tensor([-3.0], requires_grad=True)
    logits = torch.zeros(1, 2)
    terms = ecrm_losses(
        output(logits, clean_energy, torch.ones(1, 2)), output(logits, adv_energy, torch.ones(1, 2)),
        tau=0.0, temperature=1.0, cmra=lambda a, b: torch.tensor(0.0),
    )
    terms["ecrm_hinge"].backward()
    assert clean_energy.grad is None and adv_energy.grad.item() < 0  # descent raises E_adv
