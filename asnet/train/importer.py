"""`asnet import aasist`: the published AASIST / AASIST-L weights as a calibrated asnet checkpoint.

    asnet import aasist --weights asnet/models/baselines/published/AASIST.pth --variant AASIST \\
        --cache data/cache/demo --out results/models/aasist_published/pretrained [--params params.yaml] [--device auto]

A stage beside the trainer: where `asnet train` fits weights, this one takes the published ones.
1. The file is checked against the published sha256 table and loaded strictly into our AASIST
   (asnet.models.baselines.published_weights; a file that is not the published --variant's is
   refused with one line naming it).
2. It is calibrated on <cache>/dev exactly like every trained checkpoint: on the same seeded,
   class-balanced dev subset (params eval.calibration_subset; asnet.eval.calibrate.calibration_split),
   by asnet.eval.calibrate (temperature, thresholds, dev metrics), and written as a checkpoint
   dir: model.safetensors, checkpoint.json (stage "pretrained", trained on ASVspoof 2019 LA train,
   systems A01-A06) and dev_scores.tsv.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from asnet.utils import DEFAULT_PARAMS, load_params

TRAIN_CORPORA = ["asvspoof2019_la"]
TRAIN_SYSTEMS = ["A01", "A02", "A03", "A04", "A05", "A06"]  # spoof systems of the 2019 LA train protocol
REFERENCE = "Jung et al. 2022, clovaai/aasist, MIT"


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


def import_aasist(weights: str | Path, variant: str, cache: str | Path, out: str | Path, params: dict,
                  device: str = "auto", config: dict | None = None) -> dict:
    """Verify, convert, calibrate and write the checkpoint; returns its metadata. `config`: the
    model config from params (None: the published .conf)."""
    from asnet.checkpoint import save_checkpoint
    from asnet.data.shards import WaveShards
    from asnet.eval.calibrate import calibrate_on_dev, calibration_split, write_dev_scores
    from asnet.models.baselines.published_weights import load_published, published_model_config, verify
    from asnet.utils import resolve_device

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
