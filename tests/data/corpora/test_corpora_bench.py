"""`asnet bench prepare` pieces: its synthetic corpus is a valid ASVspoof 2019 LA layout, and a
step's child process is measured (time, memory) without running the whole benchmark."""
from __future__ import annotations

import os
import sys

from asnet.cli import main as cli
from asnet.data.bench import measure, synthetic_corpus
from asnet.data.manifest import read_manifest


def test_the_synthetic_corpus_prepares_like_the_real_layout(tmp_path, corpus_params):
    raw = tmp_path / "raw" / "asvspoof2019_la"
    synthetic_corpus(raw, 200, 0.05)
    assert cli(["prepare", "asvspoof2019_la", "--raw", str(raw), "--out", str(tmp_path / "out"),
                "--params", str(corpus_params)]) == 0
    rows = read_manifest(tmp_path / "out" / "manifest.csv")
    assert len(rows) == 200 and {r.split for r in rows} == {"train", "dev", "eval"}
    assert sum(r.label == "bonafide" for r in rows) == 20  # 10 %
    assert {r.system for r in rows if r.split == "eval"} - {"bonafide"} <= {f"A{i:02d}" for i in range(7, 20)}


def test_measure_reports_the_childs_peak_memory(tmp_path):
    grow = "x = bytearray(200 * 2**20); import time; time.sleep(0.5)"
    result = measure([sys.executable, "-c", grow], clips=10, env=dict(os.environ))
    assert result["peak_rss_mb"] >= 200 and result["peak_tree_rss_mb"] >= 200
    assert result["wall_s"] >= 0.5 and result["clips_per_s"] == 10 / result["wall_s"]
