import pytest
import torch

from asnet.train.optim import WeightEMA, build_optimizer, warmup_cosine


def test_schedule_warms_up_then_decays_to_the_floor():
    values = [warmup_cosine(s, total_steps=100, warmup_steps=10, min_lr_ratio=0.01) for s in range(100)]
    assert values[0] == pytest.approx(0.1) and values[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(values[9:], values[10:]))
    assert warmup_cosine(100, 100, 10, 0.01) == pytest.approx(0.01)


def test_weight_decay_spares_biases_and_norm_scales():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))
    decayed, undecayed = build_optimizer(model, lr=1e-3, weight_decay=0.1).param_groups
    assert decayed["weight_decay"] == 0.1 and [p.ndim for p in decayed["params"]] == [2]
    assert undecayed["weight_decay"] == 0.0 and len(undecayed["params"]) == 3


def test_ema_averages_floats_and_copies_counters():
    model = torch.nn.BatchNorm1d(2)
    ema = WeightEMA(model, decay=0.9)
    with torch.no_grad():
        model.weight.fill_(2.0)
    model.num_batches_tracked += 5
    ema.update(model)
    assert torch.allclose(ema.shadow["weight"], torch.full((2,), 0.9 * 1.0 + 0.1 * 2.0))
    assert ema.shadow["num_batches_tracked"].item() == 5
