"""Data-parallel training across processes (`torchrun --nproc_per_node N`), on GPUs or CPUs.

    torchrun --standalone --nproc_per_node 4 --no-python asnet train --run asnet_s0 --stage base ...

Every process draws the same global batch (same seed, same sampler) and trains on its own
contiguous slice of it; after each backward pass the gradients are averaged over processes, so
N processes take the step one process takes on the whole global batch (to float rounding):
- gradients are averaged by hand (`average_gradients`) rather than by DistributedDataParallel:
  a stage may run several forward passes before one backward (the clean/outlier/shift batch and
  the adversarial batch of the adv stage; SAM's two passes), which DDP's reducer forbids, and a
  parameter that gets no gradient in a stage (the abstention head before the energy stage) is
  simply skipped on every process alike — no find_unused_parameters bookkeeping;
- BatchNorm normalises with the statistics of the whole global batch (`GlobalBatchNorm`, a
  two-pass all-reduce that works on CPU/gloo too; torch's SyncBatchNorm is GPU-only);
- per-sample randomness (crops, pseudo-outliers, shifts, PGD random starts) is drawn from
  generators keyed by the sample's index in the global batch, so it does not depend on which
  process holds the sample;
- only process 0 scores dev, logs, saves resume state and writes the checkpoint.
Outside torchrun (WORLD_SIZE unset or 1) all of this is a no-op.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Context:
    rank: int = 0
    world: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def local_slice(self, n: int) -> slice:
        """This process's rows of a global batch of n (n must divide evenly)."""
        if n % self.world:
            raise ValueError(f"the global batch of {n} does not split evenly over {self.world} processes")
        size = n // self.world
        return slice(self.rank * size, (self.rank + 1) * size)

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()


def setup(device: torch.device) -> Context:
    """Join the process group torchrun describes (env RANK, WORLD_SIZE, LOCAL_RANK); NCCL on CUDA,
    gloo on CPU. Each process takes the GPU of its local rank."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Context(device=device)
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Context(rank=dist.get_rank(), world=dist.get_world_size(), device=device)


def teardown(context: Context) -> None:
    if context.world > 1 and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def average_gradients(model: nn.Module, context: Context) -> None:
    """Replace every gradient by its mean over processes (one flat all-reduce). Parameters without
    a gradient have none on every process (all run the same graph) and are left alone."""
    if context.world == 1:
        return
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= context.world
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def mean_over_processes(values: dict[str, float], context: Context) -> dict[str, float]:
    """The per-process logged values (losses of each slice) averaged over processes."""
    if context.world == 1:
        return values
    names = sorted(values)
    stacked = torch.tensor([float(values[n]) for n in names], dtype=torch.float64, device=context.device)
    dist.all_reduce(stacked)
    return {n: float(v) / context.world for n, v in zip(names, stacked)}


def broadcast_from_main(value: float | None, context: Context) -> float:
    """Process 0's `value` on every process (the others pass None)."""
    if context.world == 1:
        return float(value)
    shared = torch.tensor([float("nan") if value is None else float(value)], dtype=torch.float64, device=context.device)
    dist.broadcast(shared, src=0)
    return float(shared.item())


class GlobalBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm whose training-mode statistics are those of the global batch across processes:
    mean from an all-reduced sum, then the biased variance from an all-reduced sum of squared
    deviations (two passes: no E[x²] − E[x]² cancellation). Differentiable through the
    all-reduce. Eval mode and single-process runs are plain BatchNorm."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        from torch.distributed.nn.functional import all_reduce

        dims = [d for d in range(x.dim()) if d != 1]
        shape = [1, -1] + [1] * (x.dim() - 2)
        count = torch.tensor(float(x.numel() // x.shape[1]), device=x.device)
        count = all_reduce(count.clone())
        mean = all_reduce(x.sum(dims)) / count
        var = all_reduce((x - mean.view(shape)).pow(2).sum(dims)) / count
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                momentum = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                self.running_mean.mul_(1 - momentum).add_(mean.detach(), alpha=momentum)
                unbiased = var.detach() * count / (count - 1)
                self.running_var.mul_(1 - momentum).add_(unbiased, alpha=momentum)
        out = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() < 2:
            raise ValueError(f"expected at least 2-D input, got {x.dim()}-D")


def global_batchnorm(model: nn.Module) -> nn.Module:
    """Swap every BatchNorm{1,2,3}d of `model` for a GlobalBatchNorm with the same parameters and
    buffers (state-dict compatible: checkpoints load into either)."""
    for name, child in model.named_children():
        if isinstance(child, nn.modules.batchnorm._BatchNorm) and not isinstance(child, GlobalBatchNorm):
            swapped = GlobalBatchNorm(child.num_features, child.eps, child.momentum, child.affine,
                                      child.track_running_stats, device=child.weight.device if child.affine else None)
            swapped.load_state_dict(child.state_dict())
            swapped.train(child.training)
            setattr(model, name, swapped)
        else:
            global_batchnorm(child)
    return model
