"""`asnet import aasist`: the published AASIST / AASIST-L weights as a calibrated asnet checkpoint.

    asnet import aasist --weights asnet/models/baselines/published/AASIST.pth --variant AASIST \\
        --cache data/cache/demo --out results/models/aasist_published/pretrained [--params params.yaml] [--device auto]

1. The file's sha256 must be one of the published table (published/SHA256SUMS) and name the
   --variant's file; anything else is refused with one line naming the file. Only then is it
   opened, with torch.load(weights_only=True) (a plain state dict; no code runs).
2. The state dict loads strictly into our AASIST, built from the variant's published config
   (asnet.models.baselines.aasist.published_config: short clips repeated to 64,600 samples).
3. It is calibrated on <cache>/dev exactly like every trained checkpoint: on the same seeded,
   class-balanced dev subset (params eval.calibration_subset; asnet.train.trainer.calibration_split),
   by asnet.train.calibrate (temperature, thresholds, dev metrics), and written as a checkpoint
   dir: model.safetensors, checkpoint.json (stage "pretrained", trained on ASVspoof 2019 LA train,
   systems A01-A06) and dev_scores.tsv.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from asnet.utils import DEFAULT_PARAMS, file_sha256, load_params

TRAIN_CORPORA = ["asvspoof2019_la"]
TRAIN_SYSTEMS = ["A01", "A02", "A03", "A04", "A05", "A06"]  # spoof systems of the 2019 LA train protocol
REFERENCE = "Jung et al. 2022, clovaai/aasist, MIT"


class ImportRefused(ValueError):
    """A weights file that is not the published one it claims to be."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", choices=["aasist"], help="which published model family to import")
    parser.add_argument("--weights", required=True, help="the published .pth (e.g. asnet/models/baselines/published/AASIST.pth)")
    parser.add_argument("--variant", required=True, choices=["AASIST", "AASIST-L"])
    parser.add_argument("--cache", required=True, help="shard directory whose dev/ split calibrates the model")
    parser.add_argument("--out", required=True, help="checkpoint directory to write")
    parser.add_argument("--params", default=DEFAULT_PARAMS, help="params.yaml (its eval section sets the calibration)")
    parser.add_argument("--run", default=None,
                        help="run id of params runs (its overrides apply; its model config must be the published one)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda[:i]")


def published_sums() -> dict[str, str]:
    """sha256 -> published file name, from published/SHA256SUMS."""
    from asnet.models.baselines.aasist import PUBLISHED

    rows = (line.split() for line in (PUBLISHED / "SHA256SUMS").read_text().splitlines() if line.strip())
    return {digest: name.lstrip("*") for digest, name in rows}


def verify(weights: Path, variant: str) -> str:
    """The file's sha256 if it is the published `variant` file; ImportRefused otherwise."""
    if not weights.is_file():
        raise ImportRefused(f"refused {weights}: no such file")
    digest = file_sha256(weights)
    published = published_sums().get(digest)
    if published is None:
        raise ImportRefused(f"refused {weights}: sha256 {digest} is not a published AASIST checkpoint "
                            f"(known: {', '.join(sorted(published_sums().values()))})")
    if published != f"{variant}.pth":
        raise ImportRefused(f"refused {weights}: it is the published {published}, not --variant {variant}")
    return digest


def published_model_config(variant: str, config: dict | None) -> dict:
    """The config the published weights load into: `config` (a params section) when it has the
    published sizes — refused otherwise — with the published input length (min_samples)."""
    from asnet.models.baselines.aasist import published_config

    published = published_config(variant)
    if config is None:
        return published
    differ = sorted(k for k, v in published.items() if k != "min_samples" and config.get(k) != v)
    if differ:
        raise ImportRefused(f"refused the model config: {', '.join(differ)} differ from the published {variant}.conf")
    return {**config, "min_samples": published["min_samples"]}


def load_published(weights: Path, variant: str, config: dict | None = None):
    """Our AASIST with the published weights, loaded strictly, in eval mode."""
    import torch

    from asnet.models.baselines.aasist import build

    model = build(published_model_config(variant, config))
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True), strict=True)
    return model.eval()


def import_aasist(weights: str | Path, variant: str, cache: str | Path, out: str | Path, params: dict,
                  device: str = "auto", config: dict | None = None) -> dict:
    """Verify, convert, calibrate and write the checkpoint; returns its metadata. `config`: the
    model config from params (None: the published .conf)."""
    from asnet.data.shards import WaveShards
    from asnet.eval.score import resolve_device
    from asnet.train.calibrate import calibrate_on_dev, write_dev_scores
    from asnet.train.checkpoint import save_checkpoint
    from asnet.train.trainer import calibration_split

    started = time.perf_counter()
    weights = Path(weights)
    digest = verify(weights, variant)
    device = resolve_device(device)
    model = load_published(weights, variant, config).to(device)
    dev = calibration_split(WaveShards(Path(cache) / "dev"), params)
    calibration, (outputs, _) = calibrate_on_dev(model, dev, params, device)
    meta = {
        "model": published_model_config(variant, config),
        "stage": "pretrained",
        "train_corpora": TRAIN_CORPORA,
        "train_systems": TRAIN_SYSTEMS,
        "source": {"file": weights.name, "sha256": digest, "variant": variant, "reference": REFERENCE},
        "dev_clips": len(outputs.utt_id),
        "wall_s": time.perf_counter() - started,  # read by the report; varies run to run
        **calibration,
    }
    save_checkpoint(out, model, meta)
    write_dev_scores(out, outputs, dev, meta["temperature"])
    return meta


def main(args: argparse.Namespace) -> int:
    """A refused file (ImportRefused), a missing cache or an unscorable dev split are user errors:
    asnet.cli reports them as one line and exits 2."""
    from asnet.runs import find_run, run_params

    params, config = load_params(args.params), None
    if args.run:
        params = run_params(params, find_run(params, args.run))
        config = params["model"]
    meta = import_aasist(args.weights, args.variant, args.cache, args.out, params, args.device, config)
    dev = meta["dev"]
    print(f"{args.variant} ({meta['source']['file']}) -> {args.out} | dev AUC {dev['auc']:.4f} EER {dev['eer']:.2f}%"
          f" | T {meta['temperature']:.3f} tau {meta['abstain_threshold']:.3f}")
    return 0
