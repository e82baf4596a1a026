"""The DAG, defined once: the stage registry (registry.py) expanded from params.yaml, the source
files each stage can execute (codedeps.py), its DVC render (dvc.py: `dvc.yaml` as foreach/matrix
families, lock pruning) and what the Snakemake rules read (snakemake.py).

    python -m asnet.pipeline render|list|digest|--check

Imports nothing heavy: Snakemake imports it inside every cluster job.
"""
# noqa: F401 below: the registry is the package's interface
from asnet.pipeline.codedeps import ROOT  # noqa: F401
from asnet.pipeline.registry import (  # noqa: F401
    CODE_DIGESTS, CURRICULUM, DEMO, STRUCTURAL_PARAMS, Stage, check_all_outputs_unique, claim_attacked, code_digests,
    custom_corpus, demo_runs, is_dir, leaf_keys, param_value, read_keys, shift_sets, stages, test_sets,
)
from asnet.pipeline.cli import main  # noqa: F401
from asnet.pipeline.dvc import dvc_stage, prune_lock, render, stale_lock_entries  # noqa: F401
from asnet.runs import PRETRAINED, runs  # noqa: F401
from asnet.utils import load_params  # noqa: F401
