"""asnet.train.project: the curriculum projection and the host-share verdict, on hand-made bench
results (the measuring side runs in tests/test_gpu_check.py). Instant."""
import pytest

from asnet.train import project


def test_projection_adds_up():
    params = {"train": {"common": {"batch_size": 100},
                        "base": {"epochs": 2, "steps_per_epoch": None}, "sam": {"epochs": 1, "steps_per_epoch": 10}}}
    bench = {"batch_size": 100, "stages": {"sam": {"clips_per_s": 500.0}, "base": {"clips_per_s": 1000.0}}}
    result = project.project(bench, params, train_clips=1000, dev_clips=200, dev_rate=100.0)
    # base: 2 epochs x (10 steps x 0.1 s + 2 s of dev scoring); sam: 1 x (10 x 0.2 s + 2 s)
    assert list(result["stages"]) == ["base", "sam"]
    assert result["stages"]["base"]["as_params_h"] == pytest.approx(2 * (10 * 0.1 + 2) / 3600)
    assert result["stages"]["sam"]["as_params_h"] == pytest.approx((10 * 0.2 + 2) / 3600)
    assert result["curriculum_full_pass_h"] == pytest.approx((2 * 3 + 4) / 3600)


def test_host_share_says_how_many_loader_workers_hide_it():
    bench = {"batch_size": 256, "stages": {"base": {"clips_per_s": 2560.0}, "ood": {"clips_per_s": 1024.0}}}
    verdicts = project.data_path(bench, {"assembly": 5.0, "outliers": 100.0, "shifts": 400.0})
    assert verdicts["base"]["step_ms"] == pytest.approx(100.0) and verdicts["base"]["workers_needed"] == 1
    # ood: 505 ms of host work per 250 ms step -> three workers keep up
    assert verdicts["ood"]["host_ms"] == pytest.approx(505.0) and verdicts["ood"]["workers_needed"] == 3
