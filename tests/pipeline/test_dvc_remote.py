"""Sharing results through a DVC remote, and experiments (ARCHITECTURE §8), on the completed smoke
workspace of test_smoke.py: `dvc push` to a local remote, then a fresh `git clone` + `dvc pull`
gets every output back byte for byte, and `dvc exp run -S` runs an experiment `dvc exp show` lists.

It reuses the smoke DVC run (`dvc_run`) rather than a DAG of its own: any DAG that proves the
remote must hold trained checkpoints, and the smoke run already made them. Cost on top of that
run: ~1 min on 2 cores (push, clone, pull, status, one training stage for the experiment).
"""
import json

import pytest
import yaml

from asnet import pipeline
from test_smoke import run, tree_digest

pytestmark = pytest.mark.e2e
# The user's example of an experiment: the adversarial-training budget, read by the adv stages only.
EXPERIMENT = ("train.adv.eps", 0.004)
GIT = ["git", "-c", "user.name=smoke", "-c", "user.email=smoke@localhost"]


def trackers(stages: list, key: str) -> list:
    return [s for s in stages if any(key == p or key.startswith(p + ".") for p in s.params)]


@pytest.fixture(scope="module")
def clone(dvc_run, tmp_path_factory):
    """The workspace pushed to a fresh local remote, and a fresh clone of it with the outputs pulled."""
    workspace, _, _ = dvc_run
    remote = tmp_path_factory.mktemp("dvc-remote")
    run(["dvc", "remote", "add", "--default", "--force", "ci", str(remote)], workspace)
    run([*GIT, "add", "-A"], workspace)
    run([*GIT, "commit", "-q", "--allow-empty", "-m", "smoke results"], workspace)
    run(["dvc", "push"], workspace)
    copy = tmp_path_factory.mktemp("clone") / "workspace"
    run(["git", "clone", "-q", str(workspace), str(copy)], workspace)
    run(["dvc", "pull"], copy)
    return workspace, copy


def test_pull_restores_every_cached_output(clone):
    workspace, copy = clone
    params = pipeline.load_params(copy / "params.yaml")
    for stage in pipeline.stages(params):
        for out in stage.outs:
            assert tree_digest(copy / out) == tree_digest(workspace / out), f"{out} differs after dvc pull"


def test_remote_holds_the_whole_cache(clone):
    for workspace in clone:
        assert "are in sync" in run(["dvc", "status", "--cloud"], workspace)


def test_a_clone_is_up_to_date_after_pull(clone):
    workspace, copy = clone
    params = pipeline.load_params(copy / "params.yaml")
    for stage in pipeline.stages(params):
        for out in stage.metrics + stage.plots:
            assert (copy / out).exists() and tree_digest(copy / out) == tree_digest(workspace / out), out
    assert "Data and pipelines are up to date" in run(["dvc", "status"], copy)


def test_an_experiment_runs_and_is_listed(clone):
    """`dvc exp run -S key=value` on one stage that reads the key (--single-item: that stage alone,
    whatever the state of the others), then `dvc exp show` lists it with the new value."""
    _, copy = clone
    key, value = EXPERIMENT
    params = yaml.safe_load((copy / "params.yaml").read_text())
    assert pipeline.param_value(params, key) != value
    stage = trackers(pipeline.stages(params), key)[0]
    output = run(["dvc", "exp", "run", "--single-item", "--name", "adv-eps", "-S", f"{key}={value}", stage.name], copy)
    assert f"Running stage '{stage.name}'" in output
    shown = json.loads(run(["dvc", "exp", "show", "--json"], copy))
    experiments = {rev["name"]: rev for baseline in shown for exp in baseline.get("experiments") or []
                   for rev in exp["revs"]}
    assert "adv-eps" in experiments, list(experiments)
    recorded = experiments["adv-eps"]["data"]["params"]["params.yaml"]["data"]
    assert pipeline.param_value(recorded, key) == value
    assert "adv-eps" in run(["dvc", "exp", "list"], copy)
