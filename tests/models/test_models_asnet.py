import dataclasses
from pathlib import Path

import pytest
import torch

from asnet.models import build_model, count_parameters
from asnet.models.asnet import ASNetOutput, EnergyGate, free_energy
from asnet.utils import load_params

MODEL_PARAMS = load_params(Path(__file__).parents[2] / "params.yaml")["model"]


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model(MODEL_PARAMS).eval()


@pytest.fixture(scope="module")
def wave():
    generator = torch.Generator().manual_seed(0)
    t = torch.arange(6400) / 16000
    voiced = 0.2 * torch.sin(2 * torch.pi * 130 * t) + 0.05 * torch.sin(2 * torch.pi * 260 * t)
    return torch.stack([voiced, 0.05 * torch.randn(6400, generator=generator)])


def test_output_fields_shapes_and_conventions(model, wave):
    d, p = MODEL_PARAMS["embed_dim"], MODEL_PARAMS["proj_dim"]
    with torch.no_grad():
        out = model(wave)
    assert isinstance(out, ASNetOutput)
    expected = {"logits": (2, 2), "score": (2,), "energy": (2,), "abstain": (2,), "gate": (2, 2), "z": (2, d),
                "z_spec": (2, d), "z_pros": (2, d), "proj_spec": (2, p), "proj_pros": (2, p), "branch_energy": (2, 2)}
    for name, shape in expected.items():
        value = getattr(out, name)
        assert value.shape == shape and value.dtype == torch.float32 and torch.isfinite(value).all(), name
    assert [b.shape for b in out.branch_logits] == [(2, 2), (2, 2)]
    assert out.system_logits is None
    assert torch.equal(out.score, out.logits[:, 1] - out.logits[:, 0])
    assert torch.allclose(out.energy, -torch.logsumexp(out.logits / MODEL_PARAMS["energy_temperature"], -1)
                          * MODEL_PARAMS["energy_temperature"])
    assert torch.allclose(out.gate.sum(-1), torch.ones(2))
    assert torch.allclose(out.branch_energy[:, 0], free_energy(out.branch_logits[0], MODEL_PARAMS["energy_temperature"]))


def test_under_a_million_parameters(model):
    assert count_parameters(model) < 1_000_000


def test_system_head_when_enabled():
    model = build_model({**MODEL_PARAMS, "system_classes": 5}).eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 3200)).system_logits.shape == (1, 5)


@pytest.mark.parametrize("branch", [0, 1], ids=["spectral", "prosodic"])
def test_gradient_reaches_the_wave_through_each_branch_alone(model, wave, branch):
    """The detector score with the other view's features detached, and the branch's own head."""
    x = wave.clone().requires_grad_(True)
    spectral, prosody = model.frontend(x)
    features = (spectral, prosody.detach()) if branch == 0 else (spectral.detach(), prosody)
    out = model.forward_features(*features)
    for target in (out.score.sum(), out.branch_logits[branch][:, 1].sum()):
        x.grad = None
        target.backward(retain_graph=True)
        assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_gradient_of_the_full_model_is_finite_in_train_mode(wave):
    model = build_model(MODEL_PARAMS).train()
    x = wave.clone().requires_grad_(True)
    out = model(x)
    (out.score.sum() + out.energy.sum() + out.abstain.sum()).backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_gate_moves_weight_toward_the_branch_with_lower_energy():
    gate = EnergyGate(embed_dim=4, hidden=8)
    torch.nn.init.zeros_(gate.mlp[-1].weight)
    torch.nn.init.zeros_(gate.mlp[-1].bias)  # no preference from the embeddings: only energies decide
    z = torch.randn(3, 4)
    energy = torch.tensor([[-5.0, -1.0], [-1.0, -5.0], [-2.0, -2.0]])
    alpha = gate(z, z, energy, energy_weight=1.0)
    assert alpha[0, 0] > 0.9 and alpha[1, 1] > 0.9 and torch.allclose(alpha[2], torch.tensor([0.5, 0.5]))
    assert torch.allclose(alpha[0], torch.softmax(torch.tensor([5.0, 1.0]), 0))
    assert torch.allclose(gate(z, z, energy, energy_weight=0.0), torch.full((3, 2), 0.5))


def test_zero_gate_energy_weight_removes_the_energy_term(wave):
    model = build_model(MODEL_PARAMS).eval()
    with torch.no_grad():
        spectral, prosody = model.frontend(wave)
        z_spec, z_pros = model.spectral(spectral, None), model.prosodic(prosody, None)
        embedding_only = torch.softmax(model.gate.mlp(torch.cat([z_spec, z_pros], -1)), -1)
        model.gate_energy_weight = 0.0
        assert torch.allclose(model(wave).gate, embedding_only, atol=1e-6)
        model.gate_energy_weight = 1.0
        with_energy = model(wave)
        expected = torch.softmax(torch.log(embedding_only) - with_energy.branch_energy, -1)
        assert torch.allclose(with_energy.gate, expected, atol=1e-5)


def test_eval_mode_is_deterministic(model, wave):
    with torch.no_grad():
        first, second = model(wave), model(wave)
    for field in dataclasses.fields(ASNetOutput):
        a, b = getattr(first, field.name), getattr(second, field.name)
        if isinstance(a, torch.Tensor):
            assert torch.equal(a, b), field.name


def test_bf16_autocast_forward_runs_on_cpu(model, wave):
    with torch.no_grad():
        reference = model(wave)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(wave)
    assert out.logits.dtype == torch.float32 and torch.isfinite(out.logits).all()
    assert torch.allclose(out.gate, reference.gate, atol=0.05)


def test_lengths_keep_padding_out_and_full_lengths_change_nothing(model, wave):
    with torch.no_grad():
        plain = model(wave)
        full = model(wave, lengths=torch.tensor([6400, 6400]))
        padded = torch.cat([wave, torch.zeros(2, 1600)], 1)
        masked = model(padded, lengths=torch.tensor([6400, 6400]))
        unmasked = model(padded)
    assert torch.equal(plain.logits, full.logits)
    for name in ("logits", "energy", "abstain", "gate", "z_spec", "z_pros"):
        assert torch.allclose(getattr(masked, name), getattr(plain, name), atol=1e-5), name
    assert not torch.allclose(unmasked.z_pros, plain.z_pros, atol=1e-3)  # without lengths the padding is seen


@pytest.mark.parametrize("branches", [["spectral", "prosodic"], ["prosodic"]])
def test_clips_of_any_length_batched_give_their_outputs_alone(wave, branches):
    """Every length mod every stride (1 to 8 frames): the padded tail of each layer is ignored."""
    torch.manual_seed(1)
    model = build_model({**MODEL_PARAMS, "branches": branches}).eval()
    for module in model.modules():  # non-trivial BatchNorm shifts, as after training
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.running_mean.uniform_(-0.5, 0.5)
            module.bias.data.uniform_(-0.5, 0.5)
    lengths = [6400 - 160 * k - 37 * k for k in range(8)]
    batch = torch.zeros(len(lengths), 6400)
    for row, n in enumerate(lengths):
        batch[row, :n] = wave[row % 2, :n]
    with torch.no_grad():
        together = model(batch, lengths=torch.tensor(lengths))
        for row, n in enumerate(lengths):
            alone = model(batch[row : row + 1, :n])
            for name in ("logits", "energy", "abstain", "gate"):
                assert torch.allclose(getattr(together, name)[row], getattr(alone, name)[0], atol=1e-5), (n, name)
