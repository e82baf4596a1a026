"""End-to-end on a public corpus's layout: `asnet download asvspoof2019_la --from DIR && dvc repro`
with the corpus selected in params, on a fixture archive in the official layout (file names,
protocols, ASV score files) — the whole DAG runs on it, evaluates cross-corpus on ASVspoof 2021 LA
through the leakage guard, and computes min t-DCF from the organisers' ASV scores."""
import json

import pytest

from asnet import pipeline
from tests.data.corpora.corpus_fixtures import make_fixture_archive
from tests.pipeline.test_smoke import SMOKE, ran_stages, run, scratch_copy

pytestmark = pytest.mark.e2e
TRAIN, TEST = "asvspoof2019_la", "asvspoof2021_la"
OVERLAY = {
    "corpora": {"train": TRAIN, "test": [TEST]},
    f"prepare_{TRAIN}": {},
    f"prepare_{TEST}": {},
    "runs": {"asnet": {"config": "model", "stages": ["base"], "seeds": [0]}},
    "shift": {"clips_per_system": 2, "codecs": {"g722": {"library": "pyav", "codec": "g722", "container": "wav",
                                                         "sample_rate": 16000, "bitrate": None}}, "vocoders": {}},
    "train": {"base": {"epochs": 1, "steps_per_epoch": 2}, "common": {"batch_size": 4}},
    "eval": {"bootstrap_resamples": 50, "calibration_subset": {"clips": None, "seed": 0}},
    "attack": {"clips": 4, "suites": {"grid": ["pgd_linf"], "full": ["pgd_linf"]}},
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    dest = SMOKE / "real_corpus"
    params = scratch_copy(dest, OVERLAY)
    for corpus in (TRAIN, TEST):
        archives = tmp_path_factory.mktemp(corpus)
        make_fixture_archive(corpus, archives)
        run(["asnet", "download", corpus, "--from", str(archives), "--checksums", str(archives / "SHA256SUMS"),
             "--out", f"data/raw/{corpus}"], dest)
    return dest, params, run(["dvc", "repro"], dest)


def test_dvc_repro_runs_the_whole_dag_on_the_downloaded_corpus(workspace):
    dest, params, output = workspace
    stages = pipeline.stages(params)
    assert ran_stages(output) == {s.name for s in stages}
    assert {f"download_{TRAIN}", f"prepare_{TRAIN}", f"cache_{TRAIN}", f"prepare_{TEST}"} <= ran_stages(output)
    metrics = dest / "results/metrics/asnet_s0/base"
    evaluation = json.loads((metrics / "eval.json").read_text())
    assert evaluation["tdcf"]["min_tdcf_2019"] is not None  # from the copied official ASV scores
    crossed = json.loads((metrics / f"{TEST}.json").read_text())
    assert crossed["cross_corpus"] is True and crossed["checkpoint"]["train_corpora"] == [TRAIN]
    assert crossed["n"]["total"] > 0
