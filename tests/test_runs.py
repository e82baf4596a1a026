"""Runs: params `runs` entries expand to (entry, seed) runs; a run's params carry its overrides and seed."""
import pytest

from asnet import pipeline
from asnet.runs import find_run, run_params, runs

PARAMS_YAML = """
features: &features {sample_rate: 16000, lpc_order: 16}
model: {architecture: asnet, features: *features, cmra: {variant: corridor}}
baselines: {lcnn: {architecture: lcnn, width: 8}}
corpora: {train: demo, test: []}
base: {seed: 0}
runs:
  asnet: {config: model, stages: [base, sam, adv], seeds: [0, 2], evaluate: all, full_attacks: [base, adv]}
  cmra_off: {config: model, stages: [base, adv], seeds: [1], set: {model.cmra.variant: "off", model.features.lpc_order: 12}}
  lcnn: {config: baselines.lcnn, stages: [base], seeds: [0], corpus: other}
"""


@pytest.fixture
def params():
    import yaml

    return yaml.safe_load(PARAMS_YAML)


def test_entries_expand_per_seed_with_their_stages(params):
    expanded = runs(params)
    assert [r.id for r in expanded] == ["asnet_s0", "asnet_s2", "cmra_off_s1", "lcnn_s0"]
    asnet = expanded[0]
    assert asnet.evaluated == ("base", "sam", "adv") and asnet.full_attacks == ("base", "adv")
    assert asnet.init_of("base") is None and asnet.init_of("adv") == "sam"
    ablation = find_run(params, "cmra_off_s1")
    assert ablation.evaluated == ("adv",) and ablation.full_attacks == () and ablation.corpus == "demo"
    lcnn = find_run(params, "lcnn_s0")
    assert lcnn.architecture == "lcnn" and lcnn.corpus == "other"
    with pytest.raises(KeyError, match="no run 'nope_s0'"):
        find_run(params, "nope_s0")


def test_run_params_apply_overrides_without_touching_aliases(params):
    resolved = run_params(params, find_run(params, "cmra_off_s1"))
    assert resolved["model"]["cmra"]["variant"] == "off" and resolved["base"]["seed"] == 1
    # model.features is a YAML alias of features here: the override must not leak into the other
    assert resolved["model"]["features"]["lpc_order"] == 12 and resolved["features"]["lpc_order"] == 16
    assert params["model"]["cmra"]["variant"] == "corridor" and params["base"]["seed"] == 0
    baseline = run_params(params, find_run(params, "lcnn_s0"))
    assert baseline["model"] == {"architecture": "lcnn", "width": 8}


def test_an_override_of_a_missing_key_is_refused(params):
    params["runs"]["cmra_off"]["set"] = {"model.cmra.varient": "off"}
    with pytest.raises(KeyError, match="model.cmra.varient"):
        run_params(params, find_run(params, "cmra_off_s1"))


def test_every_run_gets_the_same_training_budget():
    """Baselines and ablations are compared at one budget: no run overrides the optimizer steps,
    the batch or the sampler of any stage (learning rates may differ: each model's own)."""
    params = pipeline.load_params(pipeline.ROOT / "params.yaml")
    budget = {"epochs", "steps_per_epoch", "batch_size"}
    for entry, spec in params["runs"].items():
        for dotted in spec.get("set", {}):
            parts = dotted.split(".")
            assert not (parts[0] == "train" and parts[-1] in budget), f"{entry} changes the training budget: {dotted}"
