"""Data-parallel training (asnet.train.distributed): `torchrun --nproc_per_node 2` with gloo on CPU
takes the same steps as one process on the same global batch."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from safetensors.torch import load_file

from asnet.train.distributed import Context, GlobalBatchNorm, global_batchnorm

BIN = Path(sys.executable).parent


def train(params_file: Path, cache: Path, out: Path, stage: str, init: Path | None, processes: int) -> None:
    command = [str(BIN / "asnet"), "train", "--stage", stage, "--cache", str(cache), "--out", str(out),
               "--params", str(params_file), "--device", "cpu"] + (["--init", str(init)] if init else [])
    if processes > 1:
        command = [str(BIN / "torchrun"), "--standalone", f"--nproc_per_node={processes}", "--no-python", *command]
    # one intra-op thread per process: the CLI otherwise takes every CPU, and how many there are
    # (2 here, more on CI) changes the float reduction order inside each step
    env = {**os.environ, "ASNET_NO_PROGRESS": "1", "ASNET_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.mark.skipif(shutil.which("torchrun", path=str(BIN)) is None, reason="torchrun is installed with torch")
def test_two_processes_take_the_steps_of_one(tmp_path, fake_cache, tiny_params):
    cache = fake_cache
    params = tiny_params()
    params["train"]["common"].update(batch_size=8, ema_decay=0.0)
    # dropout masks come from each process's own torch generator: equal in distribution, not in value
    params["model"]["dropout"] = 0.0
    for stage in ("base", "sam"):
        params["train"][stage].update(epochs=1, steps_per_epoch=3)
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(params))
    for processes in (1, 2):
        root = tmp_path / f"p{processes}"
        train(params_file, cache, root / "base", "base", None, processes)
        train(params_file, cache, root / "sam", "sam", root / "base", processes)  # SAM: two synced passes
    single, double = (load_file(str(tmp_path / f"p{n}" / "sam" / "model.safetensors")) for n in (1, 2))
    assert single.keys() == double.keys()
    base = load_file(str(tmp_path / "p1" / "base" / "model.safetensors"))
    # per tensor: how far 1 vs 2 processes differ, relative to how far the sam stage moved it.
    # Tensors the stage barely moved are left out: their gradient is ~0 (the attention pools'
    # last bias is softmax-invariant), and Adam's division by sqrt(v) turns reduction-order noise
    # there into lr-sized steps. A DDP that did not average differs by the order of the move.
    relative = {}
    for key in single:
        move = (single[key].double() - base[key].double()).norm()
        if move > 1e-3:
            relative[key] = float((single[key].double() - double[key].double()).norm() / move)
    worst = max(relative, key=relative.get)
    print(f"{len(relative)}/{len(single)} tensors moved; largest relative difference 1 vs 2 processes: "
          f"{relative[worst]:.2e} ({worst})")
    assert len(relative) > len(single) // 2 and relative[worst] < 1e-2

def test_global_batchnorm_is_plain_batchnorm_in_one_process():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv1d(2, 3, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU())
    swapped = global_batchnorm(torch.nn.Sequential(*[m for m in model]))
    assert isinstance(swapped[1], GlobalBatchNorm)
    x = torch.randn(4, 2, 20)
    reference = torch.nn.Sequential(torch.nn.Conv1d(2, 3, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU())
    reference.load_state_dict(swapped.state_dict())
    assert torch.equal(swapped(x), reference(x))
    assert Context(rank=1, world=2).local_slice(8) == slice(4, 8)
    with pytest.raises(ValueError, match="does not split evenly"):
        Context(rank=0, world=3).local_slice(8)
    assert np.isclose(float(swapped[1].running_mean.abs().sum()), float(reference[1].running_mean.abs().sum()))
