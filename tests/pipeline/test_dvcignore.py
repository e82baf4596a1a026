"""DVC hashes a directory output the same whether Snakemake or DVC wrote it: Snakemake drops a
`.snakemake_timestamp` into every directory output, and a hash that counted it would make a
Snakemake-built (then `dvc commit`ed) output differ from the same bytes built by `dvc repro`, so
every stage downstream would look changed. Cost: two `dvc add` calls, ~5 s."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DVC = [sys.executable, "-m", "dvc"]
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1"}


def dir_hash(repo: Path) -> str:
    subprocess.run([*DVC, "add", "-q", "out"], cwd=repo, env=ENV, check=True, capture_output=True)
    return next(line.split(":")[1].strip() for line in (repo / "out.dvc").read_text().splitlines()
                if line.strip().startswith("- md5:"))


def test_snakemake_bookkeeping_does_not_change_a_directory_hash(tmp_path):
    for cmd in (["git", "init", "-q"], [*DVC, "init", "-q"]):
        subprocess.run(cmd, cwd=tmp_path, env=ENV, check=True, capture_output=True)
    shutil.copy(ROOT / ".dvcignore", tmp_path / ".dvcignore")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "clip.wav").write_bytes(b"RIFF")
    as_dvc_writes_it = dir_hash(tmp_path)
    (tmp_path / "out" / ".snakemake_timestamp").touch()
    assert dir_hash(tmp_path) == as_dvc_writes_it
