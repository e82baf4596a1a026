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
                          env={"ASNET_NO_PROGRESS": "1", "PATH": "/usr/bin:/bin"})
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
