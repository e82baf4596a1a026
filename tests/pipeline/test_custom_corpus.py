"""End-to-end: your own labelled folder as a cross-corpus test set of the DAG. A scratch workspace
trains on the smoke demo and tests on two custom corpora named in params (the fixture folder
through its CSV protocol and through its ASVspoof-style one: several custom corpora coexist),
each prepared from its protocol with nothing downloaded, cached and evaluated through the
leakage guard; then `asnet detect --labels` on the same folder with the DAG's checkpoint."""
import json

import pytest

from asnet import pipeline
from tests.data.corpora.custom_fixture import write_custom_corpus
from tests.pipeline.test_smoke import SMOKE, ran_stages, run, scratch_copy

pytestmark = pytest.mark.e2e
FOLDER = "data/mydata"
CORPORA = {"mydata": "protocol.csv", "mydata_asv": "protocol_asvspoof.txt"}
OVERLAY = {
    "prepare_demo": {"size": "smoke"},
    "corpora": {"train": "demo", "test": list(CORPORA)},
    **{f"prepare_{name}": {"adapter": "custom", "protocol": f"{FOLDER}/{protocol}", "root": FOLDER, "seed": 0,
                           "split_fractions": [0, 0, 1], "allow_speaker_overlap": False}
       for name, protocol in CORPORA.items()},
    "runs": {"asnet": {"config": "model", "stages": ["base"], "seeds": [0], "attack": False}},
    "shift": {"codecs": {}, "vocoders": {}},
    "train": {"base": {"epochs": 1, "steps_per_epoch": 4}},
    "eval": {"bootstrap_resamples": 50},
}


@pytest.fixture(scope="module")
def workspace():
    dest = SMOKE / "custom"
    params = scratch_copy(dest, OVERLAY)
    write_custom_corpus(dest / FOLDER)  # beside the code, as a user's folder would be; git-ignored like data/
    return dest, params, run(["dvc", "repro"], dest)


def test_dvc_repro_prepares_caches_and_evaluates_the_custom_corpora(workspace):
    dest, params, output = workspace
    names = {s.name for s in pipeline.stages(params)}
    assert ran_stages(output) == names
    assert {"prepare_mydata", "cache_mydata", "prepare_mydata_asv"} <= names
    assert not any(name.startswith("download_") for name in names)
    stats = json.loads((dest / "data/prepared/mydata/stats.json").read_text())
    assert stats["clips"] == 24 and sum(stats["rejects"].values()) == 4 and stats["per_split"] == {"eval": 24}
    for name in CORPORA:
        crossed = json.loads((dest / f"results/metrics/asnet_s0/base/{name}.json").read_text())
        assert crossed["cross_corpus"] is True and crossed["checkpoint"]["train_corpora"] == ["demo"]
        assert crossed["n"] == {"total": 24, "bonafide": 12, "spoof": 12}
        print(f"{name}: EER {crossed['eer_pct']:.2f} %, AUC {crossed['auc']:.4f}")


def test_detect_labels_scores_the_folder_with_the_dags_checkpoint(workspace):
    dest, _, _ = workspace
    output = run(["asnet", "detect", f"{FOLDER}/spk*", "--checkpoint", "results/models/asnet_s0/base", "--labels",
                  f"{FOLDER}/protocol.csv", "--metrics-out", "results/detect-mydata.json"], dest)  # bad/ left out
    metrics = json.loads((dest / "results/detect-mydata.json").read_text())
    assert metrics["counts"] == {"scored": 24, "rejected": 0, "unlabelled_inputs": 0, "labelled_not_given": 4}
    assert f"AUC {metrics['auc']:.4f}" in output
