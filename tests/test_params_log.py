"""asnet.params_log: the reads of params a process really makes, by their dotted key."""
import subprocess
import sys

import pytest
import yaml

from asnet.params_log import copy_tree, record
from asnet.runs import find_run, run_params

PARAMS = yaml.safe_load("""
base: {sample_rate: 16000}
model: {architecture: asnet, embed_dim: 8, cmra: {variant: corridor, m_lo: 0.2}}
baselines: {lcnn: {architecture: lcnn, n_fft: 512, dropout: 0.7}}
corpora: {train: demo, test: []}
runs:
  asnet: {config: model, stages: [base], seeds: [0]}
  lcnn: {config: baselines.lcnn, stages: [base], seeds: [3], set: {baselines.lcnn.dropout: 0.5}}
""")


def test_lookups_membership_and_iteration_are_reads_copies_are_not():
    log = set()
    params = record(PARAMS, log)
    assert params["model"]["embed_dim"] == 8 and params["base"].get("sample_rate") == 16000
    assert "cmra" in params["model"]
    assert log == {"model", "model.embed_dim", "base", "base.sample_rate", "model.cmra"}
    log.clear()
    copied = copy_tree(params)
    assert log == set() and copied == PARAMS
    assert dict(copied["model"]["cmra"]) == {"variant": "corridor", "m_lo": 0.2}  # a section taken whole
    assert log == {"model", "model.cmra", "model.cmra.variant", "model.cmra.m_lo"}


def test_a_runs_params_record_under_the_keys_they_come_from():
    log = set()
    params = run_params(record(PARAMS, log), find_run(record(PARAMS, set()), "lcnn_s3"))
    log.clear()
    assert params["model"]["n_fft"] == 512 and params["model"]["dropout"] == 0.5 and params["base"]["seed"] == 3
    # the model config is baselines.lcnn; base.seed is the run's, not a params.yaml value
    assert log == {"model", "baselines.lcnn.n_fft", "baselines.lcnn.dropout", "base", "base.seed"}


def test_a_process_with_the_variable_appends_its_reads_at_exit(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(PARAMS))
    log = tmp_path / "reads.tsv"
    code = f"import sys; from asnet.utils import load_params; sys.argv = ['asnet', 'score', '--x']; load_params({str(path)!r})['model']['embed_dim']"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], check=True, env={"ASNET_PARAMS_LOG": str(log), "PATH": "/usr/bin"})
    assert log.read_text().splitlines() == ["score --x\tmodel", "score --x\tmodel.embed_dim"] * 2
    subprocess.run([sys.executable, "-c", code], check=True, env={"PATH": "/usr/bin"})
    assert len(log.read_text().splitlines()) == 4  # without the variable nothing is recorded
