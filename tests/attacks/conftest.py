"""Fixtures of the attack tests; the toys themselves live in attacks_toys.py."""
import pytest
import torch

from attacks_toys import RecordingRunner, rail_subset, run_suite


@pytest.fixture(scope="session")
def full_run(tmp_path_factory):
    """Every attack once on the tone detector (with clips at the rails): (runner, summary, out dir)."""
    out = tmp_path_factory.mktemp("full")
    runner, summary = run_suite(out, subset=rail_subset(), runner=RecordingRunner)
    return runner, summary, out


@pytest.fixture(autouse=True, scope="session")
def one_thread():
    """Tiny tensors gain nothing from a second thread, and on a loaded machine the threads'
    barriers cost up to 20x (tiny ASNet fwd+bwd: 0.15 s on one thread, 3.5 s on two)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
