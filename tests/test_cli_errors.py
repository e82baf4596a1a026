"""No traceback for a user error anywhere in the CLI: the real commands, in subprocesses, on bad
input, end with one line `asnet <command>: error: ...` and exit status 2; a bug still raises."""
import subprocess
import sys
import types
from pathlib import Path

import pytest

from asnet import cli
from asnet.data.manifest import COLUMNS, ManifestError

ROOT = Path(__file__).resolve().parents[1]
ASNET = [sys.executable, "-m", "asnet"]


def asnet(*argv, cwd=ROOT):
    done = subprocess.run([*ASNET, *map(str, argv)], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={"ASNET_NO_PROGRESS": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    return done.returncode, done.stderr


def one_error_line(stderr: str, command: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert lines[0].startswith(f"asnet {command}: error: "), stderr
    return lines[0]


def test_manifest_error_names_the_file_and_line(tmp_path):
    good = ["u1", "a.wav", "bonafide", "bonafide", "s", "en", "train", "demo", "1.0", "16000", "0" * 64]
    bad = ["u2", "b.wav", "fake", "tts", "s", "en", "train", "demo", "1.0", "16000", "0" * 64]
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("\n".join(",".join(r) for r in [COLUMNS, good, bad]) + "\n")
    status, err = asnet("cache", "--manifest", manifest, "--out", tmp_path / "cache", "--params", ROOT / "params.yaml")
    line = one_error_line(err, "cache")
    assert status == 2 and line.startswith(f"asnet cache: error: {manifest} line 3: bad label 'fake'")


def test_missing_shard_directory_is_one_line(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from tiny_detector import tiny_checkpoint

    checkpoint = tiny_checkpoint(tmp_path / "ckpt")
    status, err = asnet("score", "--checkpoint", checkpoint, "--shards", tmp_path / "evalx",
                        "--out", tmp_path / "s.tsv", "--params", ROOT / "params.yaml", "--device", "cpu")
    line = one_error_line(err, "score")
    assert status == 2 and str(tmp_path / "evalx") in line and "no such file or directory" in line.lower()


@pytest.mark.parametrize("argv, fragment", [
    (["evaluate", "--scores", "{tmp}/none.tsv", "--checkpoint", "{tmp}", "--out", "{tmp}/m.json"], "checkpoint.json: no such file"),
    (["train", "--stage", "base", "--cache", "{tmp}/nocache", "--out", "{tmp}/model"], "nocache"),
    (["detect", "{tmp}/nothing.wav", "--checkpoint", "{tmp}"], "not a checkpoint directory"),
    (["export", "--checkpoint", "{tmp}", "--out", "{tmp}/m.onnx"], "not a checkpoint directory"),
])
def test_other_commands_report_bad_paths_in_one_line(tmp_path, argv, fragment):
    (tmp_path / "nothing.wav").write_bytes(b"")
    status, err = asnet(*[a.format(tmp=tmp_path) for a in argv], "--params", ROOT / "params.yaml") \
        if argv[0] in ("evaluate", "train") else asnet(*[a.format(tmp=tmp_path) for a in argv])
    line = one_error_line(err, argv[0])
    assert status == 2 and fragment in line


@pytest.mark.parametrize("argv, fragment", [
    (["--run", "asnet_s9", "--stage", "base"], "no run 'asnet_s9' in params runs (runs: asnet_s0,"),
    (["--stage", "foo"], "unknown stage 'foo' (one of base, sam, energy, ood, adv)"),
    (["--run", "asnet_s0", "--stage", "foo"], "unknown stage 'foo'"),
    (["--run", "lcnn_s0", "--stage", "adv"], "run lcnn_s0 has no stage 'adv' (its stages: base)"),
    (["--stage", "sam"], "stage 'sam' warm-starts from the 'base' checkpoint: give --init"),
    (["--run", "asnet_s0", "--stage", "adv"],
     "results/models/asnet_s0/ood: no checkpoint of asnet_s0's previous stage 'ood' to warm-start 'adv' from"),
    (["--stage", "sam", "--init", "{tmp}/nothing"], "{tmp}/nothing: not a checkpoint directory (model.safetensors missing)"),
])
def test_train_refuses_unknown_runs_and_stages_and_a_missing_previous_stage(tmp_path, argv, fragment):
    """Run from an empty folder: the previous stage's checkpoint is looked up in the run's layout
    (results/models/<run>/<previous stage>) there, and nothing may be trained from random weights."""
    status, err = asnet("train", *[a.format(tmp=tmp_path) for a in argv], "--cache", tmp_path / "cache",
                        "--out", tmp_path / "model", "--params", ROOT / "params.yaml", cwd=tmp_path)
    line = one_error_line(err, "train")
    assert status == 2 and fragment.format(tmp=tmp_path) in line
    assert not (tmp_path / "model").exists()


def test_train_warm_starts_from_the_runs_previous_stage_by_default(tmp_path, monkeypatch):
    from asnet.train import cli as train_cli
    from asnet.train import trainer

    previous = tmp_path / "results" / "models" / "asnet_s0" / "ood"
    previous.mkdir(parents=True)
    (previous / "model.safetensors").write_bytes(b"")
    started = {}

    def run_stage(stage, params, cache, out, init=None, **kwargs):
        started.update(stage=stage, init=init, seed=params["base"]["seed"])
        return {}

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(trainer, "run_stage", run_stage)
    argv = ["train", "--run", "asnet_s0", "--stage", "adv", "--cache", "c", "--out", "o", "--params", str(ROOT / "params.yaml")]
    assert cli.main(argv) == 0
    assert started == {"stage": "adv", "init": "results/models/asnet_s0/ood", "seed": 0}
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "model.safetensors").write_bytes(b"")
    assert cli.main(argv + ["--init", "elsewhere"]) == 0 and started["init"] == "elsewhere"
    assert train_cli.warm_start("base", None, None) is None


@pytest.mark.parametrize("argv, fragment", [
    (["prepare", "asvspoof2019_la", "--raw", "{tmp}/raw", "--out", "{tmp}/out"], "params has no `prepare_asvspoof2019_la` section"),
    (["prepare", "wavefake", "--raw", "{tmp}", "--out", "{tmp}/out", "--params", "{tmp}/none.yaml"], "none.yaml"),
    (["download", "asvspoof2077", "--out", "{tmp}/raw"], "asvspoof2077"),
    (["download", "in_the_wild", "--out", "{tmp}/raw", "--extracted"], "lacks"),
])
def test_corpus_commands_report_user_errors_in_one_line(tmp_path, argv, fragment):
    (tmp_path / "raw").mkdir()
    status, err = asnet(*[a.format(tmp=tmp_path) for a in argv])
    line = one_error_line(err, argv[0])
    assert status == 2 and fragment in line


def fake_command(monkeypatch, error: BaseException):
    module = types.ModuleType("asnet_fake_command")
    module.add_arguments = lambda parser: None

    def main(args):
        raise error

    module.main = main
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(cli.COMMANDS, "fake", (module.__name__, "a test command"))


@pytest.mark.parametrize("error, message", [
    (ManifestError("data/x/manifest.csv line 7: bad label 'fake'"), "data/x/manifest.csv line 7: bad label 'fake'"),
    (FileNotFoundError(2, "No such file or directory", "data/cache/demo/evalx/index.csv"),
     "data/cache/demo/evalx/index.csv: no such file or directory"),
    (PermissionError(13, "Permission denied", "/root/x"), "/root/x: permission denied"),
])
def test_user_errors_become_one_line_and_exit_2(monkeypatch, capsys, error, message):
    fake_command(monkeypatch, error)
    assert cli.main(["fake"]) == 2
    assert capsys.readouterr().err == f"asnet fake: error: {message}\n"


def test_bugs_keep_their_traceback(monkeypatch):
    fake_command(monkeypatch, ZeroDivisionError("a bug"))
    with pytest.raises(ZeroDivisionError):
        cli.main(["fake"])
    fake_command(monkeypatch, ValueError("also a bug: ValueError is not a user error by itself"))
    with pytest.raises(ValueError):
        cli.main(["fake"])


def test_interrupt_is_one_line(monkeypatch, capsys):
    fake_command(monkeypatch, KeyboardInterrupt())
    assert cli.main(["fake"]) == cli.INTERRUPTED
    assert capsys.readouterr().err == "asnet fake: interrupted\n"
