"""`asnet verify`: record a reference from a results tree, then check a fresh run against it (data
stages byte-identical in dvc.lock, metrics within tolerance). Synthetic results trees and a tiny
git repository holding the recorded dvc.lock."""
import json
import subprocess

import pytest
import yaml

from asnet import cli, verify
from asnet.data import manifest

# Two report.demo entries: one with three seeds (tolerance from their spread), one with one seed
# (the floor); `ablation` is in runs but not in report.demo, so it is never recorded.
PARAMS = {
    "model": {"architecture": "asnet"},
    "baselines": {"lcnn": {"architecture": "lcnn"}},
    "corpora": {"train": "demo", "test": []},
    "runs": {
        "asnet": {"config": "model", "stages": ["base", "adv"], "seeds": [0, 1, 2], "evaluate": "all"},
        "lcnn": {"config": "baselines.lcnn", "stages": ["base"], "seeds": [0]},
        "ablation": {"config": "model", "stages": ["base"], "seeds": [0]},
    },
    "report": {"demo": ["asnet", "lcnn"]},
}
EER = {"asnet_s0": 20.0, "asnet_s1": 22.0, "asnet_s2": 24.0, "lcnn_s0": 30.0}  # asnet: sd 2.0 -> tolerance 4.0
AUC = {"asnet_s0": 0.900, "asnet_s1": 0.901, "asnet_s2": 0.902, "lcnn_s0": 0.8}  # asnet: 2 sd = 0.002 < the floor
CHECKPOINTS = ["asnet_s0/base", "asnet_s0/adv", "asnet_s1/base", "asnet_s1/adv", "asnet_s2/base", "asnet_s2/adv",
               "lcnn_s0/base"]


def outs(md5: str, path: str) -> list[dict]:
    return [{"hash": "md5", "md5": md5, "path": path, "size": 1}]


LOCK = {"schema": "2.0", "stages": {
    "code_digests": {"cmd": "python -m asnet.pipeline digest", "outs": outs("c0.dir", "data/code")},
    "prepare_demo": {"cmd": "asnet prepare demo", "outs": outs("a1.dir", "data/prepared/demo/audio")
                     + outs("a2", "data/prepared/demo/manifest.csv")},
    "cache_demo": {"cmd": "asnet cache", "outs": outs("b1.dir", "data/cache/demo/eval")},
    "shift_codec@mp3_16k": {"cmd": "asnet shift codec", "outs": outs("d1.dir", "data/cache/demo/codec_mp3_16k")},
    "train_base@asnet_s0": {"cmd": "asnet train", "outs": outs("e1.dir", "results/models/asnet_s0/base")},
    "score@asnet_s0-base-eval": {"cmd": "asnet score", "outs": outs("f1", "results/scores/asnet_s0/base/eval.tsv")},
}}


MANIFEST = [  # (utt_id, split, system, sha256) of the corpus's clips
    ("a", "train", "bonafide", "1" * 64), ("a__tts", "train", "tts", "2" * 64),
    ("b", "eval", "bonafide", "3" * 64), ("b__tts", "eval", "tts", "4" * 64), ("b__vc", "eval", "vc", "5" * 64),
]


def write_manifest(project, changed=(), extra=()):
    """data/prepared/demo/manifest.csv with the clips of MANIFEST (those in `changed` with another
    sha256) and the `extra` ones."""
    path = project / "data/prepared/demo/manifest.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_manifest([{
        "utt_id": utt, "path": f"audio/{utt}.wav", "label": "bonafide" if system == "bonafide" else "spoof",
        "system": system, "speaker": "s", "language": "en", "split": split, "corpus": "demo", "duration_s": 1.0,
        "sample_rate": 16000, "sha256": "f" * 64 if utt in changed else sha,
    } for utt, split, system, sha in [*MANIFEST, *extra]], path)


def write_metrics(results, eer=EER, auc=AUC):
    for checkpoint in CHECKPOINTS:
        run_id = checkpoint.split("/")[0]
        path = results / "metrics" / checkpoint / "eval.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"set": "eval", "eer_pct": eer[run_id], "auc": auc[run_id], "ci95": {}}))


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A finished run: params, results, and dvc.lock committed to git (the record) and unchanged."""
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(PARAMS))
    write_metrics(tmp_path / "results")
    write_manifest(tmp_path)
    (tmp_path / "dvc.lock").write_text(yaml.safe_dump(LOCK))
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "params.yaml", "dvc.lock")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "record")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ASNET_THREADS", "1")
    return tmp_path


def record(project):
    assert cli.main(["verify", "--record", str(project / "ref.json"), "--results", str(project / "results"),
                     "--params", str(project / "params.yaml")]) == 0
    return json.loads((project / "ref.json").read_text())


def check(project, capsys, *extra):
    capsys.readouterr()
    status = cli.main(["verify", "--reference", str(project / "ref.json"), "--results", str(project / "results"),
                       "--lock", str(project / "dvc.lock"), *extra])
    return status, capsys.readouterr().out


def fresh_lock(project, md5=(), added=()):
    """Rewrite the working dvc.lock (as `dvc commit` does): `md5` maps a stage to the new md5 of its
    first output, `added` a new stage to its lock entry."""
    lock = json.loads(json.dumps(LOCK))
    for stage, value in dict(md5).items():
        lock["stages"][stage]["outs"][0]["md5"] = value
    lock["stages"].update(added)
    (project / "dvc.lock").write_text(yaml.safe_dump(lock))


def test_record_then_verify_passes(project, capsys):
    recorded = record(project)
    assert sorted(recorded["checkpoints"]) == sorted(CHECKPOINTS)  # no ablation run
    assert recorded["asnet_threads"] == "1"
    assert recorded["manifest"] == "data/prepared/demo/manifest.csv"
    assert sorted(recorded["clips"]) == ["eval/bonafide", "eval/tts", "eval/vc", "train/bonafide", "train/tts"]
    assert set(recorded["cpu"]) == {"model", "flags"} and set(recorded["cpu"]["flags"]) <= set(verify.SIMD_FLAGS)
    assert recorded["commit"] == subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    status, out = check(project, capsys)
    assert status == 0, out
    assert out.splitlines()[-1] == "reproduces: data byte-identical (4 stages), 14 metrics within tolerance"
    assert "other stages (float results differ across CPUs; information only): 2 identical, 0 different" in out


def test_tolerance_is_the_floor_for_one_seed_and_two_sd_over_several(project):
    values = record(project)["checkpoints"]
    assert values["asnet_s1/adv"]["eval.eer_pct"] == {"value": 22.0, "tolerance": 4.0}  # 2 x sd(20, 22, 24)
    assert values["asnet_s1/adv"]["eval.auc"]["tolerance"] == verify.FLOOR["auc"]  # 2 x sd = 0.002 < floor
    assert values["lcnn_s0/base"]["eval.eer_pct"]["tolerance"] == verify.FLOOR["eer_pct"]
    assert values["lcnn_s0/base"]["eval.auc"]["tolerance"] == verify.FLOOR["auc"]


def test_a_metric_within_tolerance_passes_and_beyond_it_fails(project, capsys):
    record(project)
    write_metrics(project / "results", eer={**EER, "asnet_s0": 23.9})  # 3.9 from 20.0, tolerance 4.0
    status, out = check(project, capsys)
    assert status == 0, out
    write_metrics(project / "results", eer={**EER, "asnet_s0": 24.1})
    status, out = check(project, capsys)
    assert status == 1
    failed = [line.split() for line in out.splitlines() if line.endswith("FAIL")]
    assert [(f[0], f[1]) for f in failed] == [("asnet_s0/adv", "eval.eer_pct"), ("asnet_s0/base", "eval.eer_pct")]
    assert out.splitlines()[-1] == ("does not reproduce: 2 of 14 metrics beyond tolerance "
                                    "(asnet_s0/adv eval.eer_pct, asnet_s0/base eval.eer_pct)")


def test_a_missing_fresh_metrics_file_fails(project, capsys):
    record(project)
    (project / "results/metrics/lcnn_s0/base/eval.json").unlink()
    status, out = check(project, capsys)
    assert status == 1
    assert "no fresh metrics for 1 checkpoints (lcnn_s0/base)" in out.splitlines()[-1]


def test_a_data_stage_that_changed_fails(project, capsys):
    record(project)
    fresh_lock(project, md5={"cache_demo": "b9.dir"})
    status, out = check(project, capsys)
    assert status == 1
    assert "FAIL cache_demo: data/cache/demo/eval" in out
    assert out.splitlines()[-1] == "does not reproduce: data differs in 1 stages (cache_demo)"


def test_differing_clips_are_traced_to_their_split_and_system(project, capsys):
    record(project)
    write_manifest(project, changed={"b__vc"})
    fresh_lock(project, md5={"prepare_demo": "a9.dir", "cache_demo": "b9.dir"})
    status, out = check(project, capsys)
    assert status == 1
    assert "4 of 5 split/system groups identical; differing: eval/vc (clips: 1 here, 1 recorded)" in out
    assert "recorded on: " in out and "SIMD flags here and not there: none" in out
    assert out.splitlines()[-1] == ("does not reproduce: data differs in 2 stages (cache_demo, prepare_demo), "
                                    "from the clips of eval/vc")
    write_manifest(project, extra=[("b__new", "eval", "new", "6" * 64)])  # a system the record does not have
    out = check(project, capsys)[1]
    assert "5 of 5 split/system groups identical; differing: eval/new (clips: 1 here, 0 recorded)" in out
    (project / "data/prepared/demo/manifest.csv").unlink()  # a tree without the corpus: nothing to trace
    assert "split/system groups" not in check(project, capsys)[1]


def test_a_score_stage_that_changed_is_only_counted(project, capsys):
    record(project)
    fresh_lock(project, md5={"score@asnet_s0-base-eval": "f9", "train_base@asnet_s0": "e9.dir"})
    status, out = check(project, capsys)
    assert status == 0, out
    assert "information only): 0 identical, 2 different" in out


def test_stages_in_one_lock_only_are_not_compared(project, capsys):
    record(project)
    fresh_lock(project, added={"shift_vocoder@lpc_24": {"cmd": "asnet shift vocoder", "outs": outs("v1.dir", "x")}})
    status, out = check(project, capsys)
    assert status == 0, out
    assert "not compared (in one lock only): 1: shift_vocoder@lpc_24" in out


def test_the_recorded_lock_can_be_a_file_or_another_revision(project, capsys):
    record(project)
    recorded = project / "recorded.lock"
    recorded.write_text((project / "dvc.lock").read_text())
    fresh_lock(project, md5={"prepare_demo": "a9.dir"})
    git(project, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qam", "fresh")
    assert check(project, capsys)[0] == 0  # HEAD now holds the fresh lock
    status, out = check(project, capsys, "--recorded-lock-rev", "HEAD~1")
    assert status == 1 and "FAIL prepare_demo: data/prepared/demo/audio" in out
    assert check(project, capsys, "--recorded-lock", str(recorded))[0] == 1


def test_bad_inputs_are_one_line_errors(project, capsys):
    (project / "results/metrics/lcnn_s0/base/eval.json").write_text("{")
    assert cli.main(["verify", "--record", "ref.json", "--params", "params.yaml"]) == 2
    assert capsys.readouterr().err.strip().startswith("asnet verify: error: results/metrics/lcnn_s0/base/eval.json: ")
    write_metrics(project / "results", auc={**AUC, "lcnn_s0": None})  # NaN, as write_json writes it
    assert cli.main(["verify", "--record", "ref.json"]) == 2
    assert "no value to record for lcnn_s0/base eval.auc" in capsys.readouterr().err
    write_metrics(project / "results")
    (project / "data/prepared/demo/manifest.csv").unlink()
    assert cli.main(["verify", "--record", "ref.json"]) == 2
    assert "data/prepared/demo/manifest.csv: no manifest to trace the corpus's clips with" in capsys.readouterr().err
    (project / "data/prepared/demo/manifest.csv").write_text("utt_id,sha256\na,1\n")  # not the manifest's columns
    assert cli.main(["verify", "--record", "ref.json"]) == 2
    assert "missing column(s)" in capsys.readouterr().err
    (project / "ref.json").write_text(json.dumps({"checkpoints": {"lcnn_s0/base": {"eval.eer": {}}}}))
    assert cli.main(["verify", "--reference", "ref.json", "--recorded-lock-rev", "nosuchrev"]) == 2
    assert "dvc.lock at git revision nosuchrev" in capsys.readouterr().err
    assert cli.main(["verify", "--reference", "ref.json"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "ref.json: not a reference" in error
