"""`asnet shift codec|vocoder|codecfake`: build shift sets (see asnet.shift.sets, .codecfake).

    asnet shift codec --name NAME (--shards DIR | --manifest M [--split eval]) --out DIR
    asnet shift vocoder --name NAME (--shards DIR | --manifest M [--split eval]) --out DIR
    asnet shift codecfake --manifest M --out DIR [--splits eval ...] [--workers N]

NAME is an entry of params `shift.codecs` / `shift.vocoders`; CodecFake uses the paper's five
conditions (asnet.shift.codecfake.CODECFAKE_CHANNELS). The sidecar goes to DIR/shift.json unless --sidecar says otherwise.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from asnet.utils import DEFAULT_PARAMS, load_params, write_json


def _source_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--shards", help="waveform shard directory, e.g. data/cache/demo/eval")
    source.add_argument("--manifest", help="manifest.csv of any corpus (ARCHITECTURE §3)")
    parser.add_argument("--split", default="eval", help="split of --manifest to use (default eval)")
    parser.add_argument("--sidecar", help="sidecar JSON path (default: OUT/shift.json)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="kind", required=True)
    for kind, section in (("codec", "shift.codecs"), ("vocoder", "shift.vocoders")):
        p = sub.add_parser(kind, help=f"one {kind} shift set")
        p.add_argument("--name", required=True, help=f"condition: an entry of params {section}")
        _source_arguments(p)
        p.add_argument("--out", required=True, help="output shard directory, e.g. data/cache/<corpus>/<kind>_<name>")
        p.add_argument("--params", default=DEFAULT_PARAMS)
    p = sub.add_parser("codecfake", help="the CodecFake copy of a corpus (manifest + audio)")
    p.add_argument("--manifest", required=True)
    p.add_argument("--out", required=True, help="output corpus directory")
    p.add_argument("--splits", nargs="+", help="only these splits (default: all)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: one per CPU)")
    p.add_argument("--params", default=DEFAULT_PARAMS)


def _clips(args: argparse.Namespace, params: dict, labels=None):
    from asnet.shift.sets import manifest_clips, shard_clips

    sample_rate, shift = params["base"]["sample_rate"], params["shift"]
    if args.shards:
        per_system = shift["clips_per_system"]
        source = args.shards if per_system is None else f"{args.shards} ({per_system} clips per system, seed {shift['seed']})"
        return shard_clips(args.shards, labels, per_system, shift["seed"]), source
    return manifest_clips(args.manifest, args.split, sample_rate, labels), f"{args.manifest} ({args.split})"


def _condition(section: dict, name: str, where: str) -> dict:
    if name not in section:
        raise SystemExit(f"unknown condition {name!r}: params {where} has {sorted(section)}")
    return section[name]


def run_codec(args: argparse.Namespace, params: dict) -> dict:
    from asnet.shift.codecs import Channel
    from asnet.shift.sets import build_codec_set

    settings = _condition(params["shift"]["codecs"], args.name, "shift.codecs")
    sample_rate = params["base"]["sample_rate"]
    clips, source = _clips(args, params)
    measured = build_codec_set(clips, Channel.from_params(settings), args.out, sample_rate)
    return {"kind": "codec", "name": args.name, "settings": settings, "source": source, **measured}


def run_vocoder(args: argparse.Namespace, params: dict) -> dict:
    from asnet.shift.sets import build_vocoder_set
    from asnet.shift.vocoders import make_vocoder

    settings = _condition(params["shift"]["vocoders"], args.name, "shift.vocoders")
    sample_rate, seed = params["base"]["sample_rate"], params["shift"]["seed"]
    clips, source = _clips(args, params, labels=("bonafide",))
    measured = build_vocoder_set(clips, make_vocoder(settings), args.name, args.out, sample_rate, seed)
    return {"kind": "vocoder", "name": args.name, "settings": settings, "source": source, "seed": seed, **measured}


def run_codecfake(args: argparse.Namespace, params: dict) -> dict:
    from asnet.shift.codecfake import CODECFAKE_CHANNELS, build_codecfake
    from asnet.shift.codecs import Channel

    channels = {name: Channel.from_params(spec) for name, spec in CODECFAKE_CHANNELS.items()}
    splits = tuple(args.splits) if args.splits else None
    return build_codecfake(args.manifest, args.out, channels, params["base"]["sample_rate"], splits, args.workers)


def main(args: argparse.Namespace) -> int:
    from asnet.shift.codecfake import SIDECAR as CODECFAKE_SIDECAR
    from asnet.shift.sets import SIDECAR

    params = load_params(args.params)
    run = {"codec": run_codec, "vocoder": run_vocoder, "codecfake": run_codecfake}[args.kind]
    document = run(args, params)
    default = Path(args.out) / (CODECFAKE_SIDECAR if args.kind == "codecfake" else SIDECAR)
    write_json(getattr(args, "sidecar", None) or default, document)
    print(f"shift {args.kind}: {document['clips_out']} clips written, {document['rejected']} rejected -> {args.out}")
    return 0
