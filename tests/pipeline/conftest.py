"""The two smoke workspaces the end-to-end tests share, each built once per test session:

    dvc_run     the smoke DAG through `dvc repro` (.smoke/dvc)
    slurm_run   the same DAG through Snakemake's SLURM profile on the fake cluster (.smoke/slurm)

test_smoke compares their outputs byte for byte (so the SLURM run is also the Snakemake run: the
DAG is executed twice, not three times), test_slurm checks what the cluster was asked for, and
test_dvc_remote pushes and pulls the DVC workspace.
"""
import time

import pytest

from test_slurm import run_on_fake_cluster
from test_smoke import ENV, PARAMS_READS, SMOKE, run, scratch_copy


@pytest.fixture(scope="session")
def dvc_run():
    dest = SMOKE / "dvc"
    params = scratch_copy(dest)
    started = time.time()
    # every stage records the params keys it reads (asnet.params_log): test_every_param_is_read...
    output = run(["dvc", "repro"], dest, env={**ENV, "ASNET_PARAMS_LOG": str(dest / PARAMS_READS)})
    print(f"smoke dvc repro: {time.time() - started:.1f} s")
    return dest, params, output


@pytest.fixture(scope="session")
def slurm_run():
    return run_on_fake_cluster(SMOKE / "slurm")


@pytest.fixture(scope="session")
def snakemake_run(slurm_run):
    """The Snakemake workspace: the SLURM run's."""
    return slurm_run[0]
