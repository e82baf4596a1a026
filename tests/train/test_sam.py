import copy

import torch
import torch.nn.functional as F

from asnet.train.sam import sam_step

RHO = 0.5


def loss_fn(model, wave, labels):
    def compute():
        loss = F.cross_entropy(model(wave).logits, labels)
        return loss, {"ce": loss.item()}

    return compute


def plain_step(model, wave, labels, optimizer):
    optimizer.zero_grad()
    loss_fn(model, wave, labels)()[0].backward()
    optimizer.step()


def test_sam_descends_from_the_exact_weights_with_the_perturbed_gradient(toy, batch):
    wave, labels = batch
    original = copy.deepcopy(toy.state_dict())
    # the reference: the gradient at w + rho * g / ||g||, computed by hand on a copy
    reference = copy.deepcopy(toy)
    F.cross_entropy(reference(wave).logits, labels).backward()
    norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in reference.parameters()]))
    with torch.no_grad():
        for p in reference.parameters():
            p.add_(p.grad * (RHO / norm))
    reference.zero_grad()
    F.cross_entropy(reference(wave).logits, labels).backward()

    seen = {}
    optimizer = torch.optim.SGD(toy.parameters(), lr=0.1)
    optimizer.register_step_pre_hook(
        lambda opt, args, kwargs: seen.update(
            weights={n: p.detach().clone() for n, p in toy.named_parameters()},
            grads={n: p.grad.clone() for n, p in toy.named_parameters()},
        )
    )
    sam_step(toy, loss_fn(toy, wave, labels), optimizer, rho=RHO, grad_clip=1e9)
    for name, weight in seen["weights"].items():
        assert torch.equal(weight, original[name]), f"{name} not restored exactly"
    for name, grad in seen["grads"].items():
        assert torch.allclose(grad, dict(reference.named_parameters())[name].grad, atol=1e-6)


def test_sam_step_differs_from_a_plain_step(toy, batch):
    wave, labels = batch
    plain = copy.deepcopy(toy)
    plain_step(plain, wave, labels, torch.optim.SGD(plain.parameters(), lr=0.1))
    optimizer = torch.optim.SGD(toy.parameters(), lr=0.1)
    loss, parts, perturbed = sam_step(toy, loss_fn(toy, wave, labels), optimizer, RHO, grad_clip=1e9)
    assert perturbed > loss and parts["ce"] == float(loss)
    assert not torch.allclose(toy.conv.weight, plain.conv.weight)


def test_perturbed_pass_leaves_batchnorm_statistics_alone(toy, batch):
    wave, labels = batch
    once = copy.deepcopy(toy)
    once(wave)  # one train-mode forward: what the clean pass does to the running stats
    sam_step(toy, loss_fn(toy, wave, labels), torch.optim.SGD(toy.parameters(), lr=0.0), RHO, 1e9)
    for (name, buffer), expected in zip(toy.named_buffers(), once.buffers()):
        assert torch.equal(buffer, expected), name


def test_zero_learning_rate_sam_leaves_the_weights_bit_identical(toy, batch):
    wave, labels = batch
    original = copy.deepcopy(toy.state_dict())
    sam_step(toy, loss_fn(toy, wave, labels), torch.optim.AdamW(toy.parameters(), lr=0.0), RHO, 1.0)
    for name, p in toy.named_parameters():
        assert torch.equal(p, original[name])
