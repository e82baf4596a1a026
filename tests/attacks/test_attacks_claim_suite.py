"""The claims suite (issue 26): a suite with its own subset and budgets, params that give the PGD
claim 200 clips of 1 s per class at the claim's eps, and the pass count `asnet bench
attack-cost` sizes it with, checked against the passes a real run makes."""
import pytest
import torch
from attacks_toys import PARAMS, ToneDetector, attack_config, tone_subset, TONE_POINT

from asnet.attacks.config import AttackConfig, ConfigError
from asnet.attacks.cost import passes
from asnet.attacks.eot import EOT
from asnet.attacks.runner import Runner
from asnet.attacks.suite import plan
from asnet.attacks.target import AttackTarget

CLAIM = {"suites": {"grid": ["pgd_linf"], "claim": ["pgd_linf"]},
         "suite_subsets": {"claim": {"clips": 400, "clip_seconds": 1.0, "linf_eps": [0.004]}}}


def test_a_suite_runs_on_its_own_subset_and_budgets():
    config = attack_config(**CLAIM)
    claim = config.for_suite("claim")
    assert (claim.clips, claim.clip_samples, claim.linf_eps) == (400, 16000, (0.004,))
    assert [job.budgets for job in plan(config, "claim")] == [(0.004,)]
    assert config.for_suite("grid") == config and plan(config, "grid")[0].budgets == (0.001, 0.004, 0.016)


@pytest.mark.parametrize("subsets, message", [
    ({"claims": {"clips": 400}}, "suite_subsets.claims"),
    ({"claim": {"steps": 10}}, "set only"),
    ({"claim": {"clips": 1}}, "clips must be >= 2"),
])
def test_bad_suite_subsets_are_named(subsets, message):
    with pytest.raises(ConfigError, match=message):
        attack_config(suites=CLAIM["suites"], suite_subsets=subsets).for_suite("claim")


def test_params_give_the_pgd_claim_200_clips_of_1_s_per_class_at_the_claims_eps():
    config = AttackConfig.from_params(PARAMS)
    claim = config.for_suite("claim")
    assert config.suites["claim"] == ("pgd_linf",) and PARAMS["report"]["claims"]["attack"] == "pgd_linf"
    assert claim.clips // 2 >= 200 and claim.clips - claim.clips // 2 >= 200 and claim.clip_seconds >= 1.0
    assert PARAMS["report"]["claims"]["eps"] in claim.linf_eps
    assert PARAMS["report"]["claims"]["min_clips"] >= 200


class Counting(torch.nn.Module):
    """ToneDetector that counts the clips it sees, with and without an input gradient."""

    def __init__(self):
        super().__init__()
        self.detector = ToneDetector()
        self.seen = {"forward": 0, "forward_backward": 0}

    def forward(self, wave, lengths=None):
        self.seen["forward_backward" if wave.requires_grad else "forward"] += len(wave)
        return self.detector(wave)


def test_the_sized_passes_are_the_passes_a_run_makes(tmp_path):
    config = attack_config(pgd={"steps": 3, "restarts": 2, "step_fraction": 0.3})
    subset = tone_subset()
    model = Counting()
    runner = Runner(AttackTarget(model, TONE_POINT, EOT([], 1)), subset, config, {}, tmp_path, torch.device("cpu"))
    job = plan(config, "grid")[0]
    assert job.attack == "pgd_linf"
    runner.run_job(job)
    assert model.seen == passes(len(subset.utt_id), len(job.budgets), 2, 3)
