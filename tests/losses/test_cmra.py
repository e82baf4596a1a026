import math

import pytest
import torch

from asnet.losses.cmra import cmra_loss


def pairs_with_cosines(cosines: list[float], scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """proj_spec = e1, proj_pros at angle acos(c) from it (both scaled: the loss must not care)."""
    angles = torch.tensor([math.acos(c) for c in cosines])
    spec = torch.stack([torch.ones_like(angles), torch.zeros_like(angles), torch.zeros_like(angles)], -1)
    pros = torch.stack([torch.cos(angles), torch.sin(angles), torch.zeros_like(angles)], -1)
    return scale * spec, 2 * scale * pros


COSINES = [0.9, 0.5, 0.0]


@pytest.mark.parametrize("variant, per_sample", [
    ("corridor", [0.1, 0.0, 0.2]),   # m_hi 0.8 as given: 0.9 collapses, 0.0 drifts below m_lo 0.2
    ("relaxed", [0.0, 0.0, 0.2]),    # m_hi 0.95
    ("tight", [0.3, 0.0, 0.2]),      # m_hi 0.60
    ("l2", [0.2, 1.0, 2.0]),         # |n_s - n_p|^2 = 2 - 2 cos
    ("off", [0.0, 0.0, 0.0]),
])
def test_each_variant_on_hand_made_embeddings(variant, per_sample):
    spec, pros = pairs_with_cosines(COSINES, scale=3.0)
    values = cmra_loss(spec, pros, variant, m_lo=0.2, m_hi=0.8, reduction="none")
    assert torch.allclose(values, torch.tensor(per_sample), atol=1e-6)
    mean = cmra_loss(spec, pros, variant, m_lo=0.2, m_hi=0.8)
    assert mean.shape == () and torch.allclose(mean, torch.tensor(per_sample).mean(), atol=1e-6)


def test_corridor_uses_the_given_upper_margin():
    spec, pros = pairs_with_cosines([0.9])
    assert torch.allclose(cmra_loss(spec, pros, "corridor", m_lo=0.2, m_hi=0.7), torch.tensor(0.2), atol=1e-6)


def test_inside_the_corridor_there_is_no_gradient_and_outside_it_points_back():
    spec, pros = pairs_with_cosines([0.5, 0.95])
    spec.requires_grad_(True)
    cmra_loss(spec, pros, "corridor", m_lo=0.2, m_hi=0.8, reduction="none").sum().backward()
    assert spec.grad[0].abs().sum() == 0
    # descending the loss must lower the cosine of the collapsed pair
    moved = spec.detach() - 0.1 * spec.grad
    before = torch.cosine_similarity(spec[1:], pros[1:]).item()
    assert torch.cosine_similarity(moved[1:], pros[1:]).item() < before


def test_unknown_variant_is_refused():
    spec, pros = pairs_with_cosines([0.5])
    with pytest.raises(ValueError):
        cmra_loss(spec, pros, "corridoor", m_lo=0.2, m_hi=0.8)
