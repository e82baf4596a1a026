import torch

from asnet.losses.energy import abstention_loss, detector_error, energy_margin_loss


def free_energy(logits):
    return -torch.logsumexp(logits, dim=1)


def test_margin_loss_is_zero_inside_the_margins_and_squared_outside():
    e_in, e_out = torch.tensor([-8.0, -7.0]), torch.tensor([-1.0, 0.0])
    assert energy_margin_loss(e_in, e_out, m_in=-6.0, m_out=-2.0) == 0
    loss = energy_margin_loss(torch.tensor([-4.0]), torch.tensor([-5.0]), m_in=-6.0, m_out=-2.0)
    assert torch.isclose(loss, torch.tensor(2.0**2 + 3.0**2))


def test_margin_loss_raises_outlier_energies_on_a_toy_problem():
    torch.manual_seed(0)
    inliers = torch.randn(64, 2) * 0.3 + torch.tensor([2.0, 0.0])
    outliers = torch.randn(64, 2) * 0.3 + torch.tensor([-2.0, 3.0])
    labels = (inliers[:, 0] > 2.0).long()
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = free_energy(model(outliers)).mean().item()
    for _ in range(200):
        optimizer.zero_grad()
        logits_in = model(inliers)
        loss = torch.nn.functional.cross_entropy(logits_in, labels)
        loss = loss + energy_margin_loss(free_energy(logits_in), free_energy(model(outliers)), m_in=-4.0, m_out=-1.0)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        e_in, e_out = free_energy(model(inliers)), free_energy(model(outliers))
    assert e_out.mean() > before + 1.0
    assert e_out.mean() > -1.5 and e_in.mean() < -3.5
    assert (e_out.min() > e_in.max()).item()


def test_abstention_target_is_the_detector_error_probability():
    logits = torch.tensor([[0.0, 5.0], [0.0, 5.0], [0.0, 0.0]])
    labels = torch.tensor([1, 0, 1])
    error = detector_error(logits, labels, 0.0)
    assert error[0] < 0.01 and error[1] > 0.99 and torch.isclose(error[2], torch.tensor(0.5))
    assert torch.allclose(error, 1 - logits.softmax(-1).gather(1, labels.view(-1, 1)).squeeze(1))
    confident_right = abstention_loss(torch.tensor([-5.0, 5.0, 0.0]), logits, labels, 0.0)
    confident_wrong = abstention_loss(torch.tensor([5.0, -5.0, 0.0]), logits, labels, 0.0)
    assert confident_right < confident_wrong


def test_abstention_target_counts_errors_at_the_deployed_threshold():
    """A bona fide clip at score +2 is right under argmax but wrong when the deployed decision
    (asnet detect's dev EER threshold) sits at +4; a spoof at +2 is the other way round."""
    logits = torch.tensor([[0.0, 2.0], [0.0, 2.0]])
    labels = torch.tensor([1, 0])
    at_zero, deployed = detector_error(logits, labels, 0.0), detector_error(logits, labels, 4.0)
    assert at_zero[0] < 0.5 < at_zero[1]
    assert deployed[0] > 0.5 > deployed[1]
    assert torch.allclose(deployed, torch.sigmoid(torch.tensor([2.0, -2.0])))


def test_abstention_loss_does_not_train_the_detector_through_its_target():
    logits = torch.tensor([[0.0, 1.0]], requires_grad=True)
    abstain = torch.tensor([0.3], requires_grad=True)
    abstention_loss(abstain, logits, torch.tensor([0]), 0.0).backward()
    assert logits.grad is None and abstain.grad.item() < 0  # a wrong detector: raise a(x)
