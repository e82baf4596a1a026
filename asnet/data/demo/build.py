"""Build the demo corpus: DIR/manifest.csv, DIR/rejects.csv, DIR/stats.json and DIR/audio/<split>.zip.

Recordings are processed in fixed chunks of CHUNK_SIZE (independent of the worker count, so the
output does not depend on it) by a process pool; each chunk has its own scratch directory for
the TTS engines and starts festival twice (default pace, then paced), whatever its size. Every clip is conditioned (asnet.data.demo.condition)
and written as 16 kHz 16-bit PCM; its seed is derived from (seed, utt_id), so the same params
give byte-identical audio and manifest. Bad recordings and failed syntheses become rejects rows.
The clips of a split are packed into one archive (asnet.data.packed): the manifest path of a clip
is audio/<split>.zip/<utt_id>.wav.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from asnet.data.audio import AudioError, load_audio_and_rate, write_wav
from asnet.data.demo import splits
from asnet.data.demo.condition import condition
from asnet.data.demo.sources import Source, discover_sources
from asnet.data.demo.systems import BATCHED, SYSTEMS, festival_spoofs, prepare_engines, synthesize
from asnet.data.manifest import BONAFIDE, ManifestRow, write_manifest, write_rejects
from asnet.data.packed import ARCHIVE_SUFFIX, pack
from asnet.utils import progress, write_json

CORPUS = "demo"
CHUNK_SIZE = 16  # recordings per task: amortises festival's start-up, small enough to balance 2 workers
AUDIO_DIR = "audio"


@dataclass(frozen=True)
class DemoSettings:
    """params.yaml `prepare_demo` (+ base.sample_rate); see the comments there."""

    size: str
    seed: int
    sample_rate: int
    smoke_clips: int
    split_fractions: tuple[float, ...]
    spoofs_per_recording: dict[str, int]
    unseen_systems: tuple[str, ...]
    neural_systems: tuple[str, ...]
    highpass_hz: float
    trim_top_db: float
    target_dbfs: float
    peak_dbfs: float
    noise_floor_dbfs: float
    workers: int  # `asnet prepare --workers`: an execution knob, not a params value
    griffin_lim_iters: int
    lpc_order: int
    vc_pitch_ratio: float
    vc_warp_ratio: float

    @classmethod
    def from_params(cls, params: dict, **overrides) -> DemoSettings:
        section = dict(params["prepare_demo"])
        section.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(sample_rate=int(params["base"]["sample_rate"]),
                       **{**section, "split_fractions": tuple(section["split_fractions"]),
                          "unseen_systems": tuple(section["unseen_systems"]),
                          "neural_systems": tuple(section["neural_systems"])})
        settings.check()
        return settings

    def check(self) -> None:
        unknown = set(self.unseen_systems) - set(SYSTEMS)
        if unknown or set(self.unseen_systems) >= set(SYSTEMS):
            raise ValueError(f"unseen_systems must be a proper subset of {sorted(SYSTEMS)}, got {self.unseen_systems}")
        neural = sorted(name for name, kind in SYSTEMS.items() if kind == "neural")
        if sorted(self.neural_systems) != neural:  # the report reads the declaration: it must be the truth
            raise ValueError(f"neural_systems must list the neural systems {neural}, got {list(self.neural_systems)}")
        if sorted(self.spoofs_per_recording) != sorted(splits.SPLITS) or min(self.spoofs_per_recording.values()) < 1:
            raise ValueError(f"spoofs_per_recording must give each of {list(splits.SPLITS)} at least 1, "
                             f"got {self.spoofs_per_recording}")
        if self.size not in ("smoke", "full"):
            raise ValueError(f"size must be smoke or full, got {self.size!r}")


def clip_seed(seed: int, utt_id: str) -> int:
    """A per-clip seed independent of processing order and of Python's hash randomisation."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{utt_id}".encode()).digest()[:8], "little")


def utt_id_of(source: Source, system: str) -> str:
    return source.source_id if system == BONAFIDE else f"{source.source_id}__{system}"


def _reject(source: Source, system: str, reason: str) -> dict:
    return {"utt_id": utt_id_of(source, system), "path": source.path, "system": system, "reason": reason}


def _spoof(system: str, job: splits.Job, wave: np.ndarray, settings: DemoSettings, workdir: Path,
           festival: dict) -> tuple[np.ndarray, int]:
    """(wave, rate) of one spoof of job's recording; raises AudioError when synthesis fails."""
    utt_id = utt_id_of(job.source, system)
    if system in BATCHED:
        result = festival[utt_id]
        if isinstance(result, AudioError):
            raise result
        return result
    try:
        return synthesize(system, job.source, wave, settings.sample_rate, clip_seed(settings.seed, utt_id),
                          settings, workdir)
    except AudioError:
        raise
    except Exception as err:  # any engine/vocoder failure on one clip is a reject, not a crash
        raise AudioError(f"synthesis failed: {type(err).__name__}: {err}") from err


def _write_clip(job: splits.Job, system: str, wave: np.ndarray, rate: int, native_rate: int,
                settings: DemoSettings, staging: Path) -> ManifestRow:
    """Write one clip as staging/<utt_id>.wav, to be packed into its split's archive."""
    utt_id = utt_id_of(job.source, system)
    clip = condition(wave, rate, native_rate, target_rate=settings.sample_rate, highpass_hz=settings.highpass_hz,
                     top_db=settings.trim_top_db, target_dbfs=settings.target_dbfs, peak_dbfs=settings.peak_dbfs,
                     noise_floor_dbfs=settings.noise_floor_dbfs,
                     rng=np.random.default_rng(clip_seed(settings.seed + 1, utt_id)), name=utt_id)
    digest = write_wav(staging / f"{utt_id}.wav", clip, settings.sample_rate)
    return ManifestRow(
        utt_id=utt_id, path=f"{AUDIO_DIR}/{job.split}{ARCHIVE_SUFFIX}/{utt_id}.wav", label=BONAFIDE if system == BONAFIDE else "spoof", system=system,
        speaker=job.source.speaker, language=job.source.language, split=job.split, corpus=CORPUS,
        duration_s=len(clip) / settings.sample_rate, sample_rate=settings.sample_rate, sha256=digest,
    )


def build_chunk(jobs: list[splits.Job], staging: Path, settings: DemoSettings) -> tuple[list[ManifestRow], list[dict]]:
    """All clips of a few recordings, written to staging/ -> (manifest rows, rejects). Runs inside a worker."""
    rows, rejects, loaded = [], [], {}
    for job in jobs:
        try:
            loaded[job.source.source_id] = load_audio_and_rate(job.source.path, settings.sample_rate)
        except AudioError as err:
            rejects.append(_reject(job.source, BONAFIDE, err.reason))
    with tempfile.TemporaryDirectory(prefix="asnet-demo-") as scratch:
        workdir = Path(scratch)
        festival = festival_spoofs([(utt_id_of(job.source, system), job.source, loaded[job.source.source_id][0], system)
                                    for job in jobs if job.source.source_id in loaded
                                    for system in job.systems if system in BATCHED],
                                   settings.sample_rate, settings, workdir)
        for job in (job for job in jobs if job.source.source_id in loaded):
            wave, native_rate = loaded[job.source.source_id]
            for system in (BONAFIDE, *job.systems):
                try:
                    made = (wave, settings.sample_rate) if system == BONAFIDE else \
                        _spoof(system, job, wave, settings, workdir, festival)
                    rows.append(_write_clip(job, system, *made, native_rate, settings, staging))
                except AudioError as err:
                    rejects.append(_reject(job.source, system, err.reason))
    return rows, rejects


def _run_chunks(chunks: list[list[splits.Job]], staging: Path, settings: DemoSettings):
    task = partial(build_chunk, staging=staging, settings=settings)
    bar = progress(total=sum(map(len, chunks)), desc="demo corpus", unit="rec")
    if settings.workers <= 1:
        results = map(task, chunks)
    else:
        pool = multiprocessing.Pool(min(settings.workers, len(chunks)))
        results = pool.imap(task, chunks)
    try:
        for chunk, (rows, rejects) in zip(chunks, results):
            bar.update(len(chunk))
            yield rows, rejects
    finally:
        bar.close()
        if settings.workers > 1:
            pool.close()
            pool.join()


def counts(rows: list[ManifestRow]) -> dict:
    """Clips per system and split (+ totals), for stats.json and the build report."""
    table = Counter((row.system, row.split) for row in rows)
    per_system = {system: {split: table[(system, split)] for split in splits.SPLITS if table[(system, split)]}
                  for system in sorted({system for system, _ in table})}
    return {"clips": len(rows), "per_system_split": per_system,
            "per_split": dict(Counter(row.split for row in rows)),
            "languages": {split: sorted({r.language for r in rows if r.split == split}) for split in splits.SPLITS},
            "speakers": {split: sorted({r.speaker for r in rows if r.split == split}) for split in splits.SPLITS}}


def build_demo(out_dir: str | Path, settings: DemoSettings, sources: list[Source] | None = None,
               source_rejects: list[dict] = (), systems: list[str] | None = None) -> dict:
    """Build the corpus into out_dir and return its counts().

    sources default to the Debian packages, systems to all of SYSTEMS (a subset builds a partial corpus).
    """
    out_dir = Path(out_dir)
    if sources is None:
        sources, source_rejects = discover_sources()
    systems = list(SYSTEMS) if systems is None else systems
    jobs = splits.make_jobs(sources, systems, [s for s in settings.unseen_systems if s in systems],
                            list(settings.split_fractions), settings.seed)
    if settings.size == "smoke":
        jobs = splits.smoke_subset(jobs, settings.smoke_clips, list(settings.split_fractions), settings.seed,
                                   settings.spoofs_per_recording)
    jobs = splits.deal_systems(jobs, settings.spoofs_per_recording, settings.seed)
    chunks = [jobs[i : i + CHUNK_SIZE] for i in range(0, len(jobs), CHUNK_SIZE)]
    prepare_engines(systems)
    rows, rejects = [], list(source_rejects)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".clips-", dir=out_dir) as staging:
        for chunk_rows, chunk_rejects in _run_chunks(chunks, Path(staging), settings):
            rows += chunk_rows
            rejects += chunk_rejects
        _check_every_system(jobs, rows, rejects)
        _pack_audio(out_dir, rows, Path(staging))
    write_manifest(rows, out_dir / "manifest.csv")
    write_rejects(rejects, out_dir / "rejects.csv")
    stats = {**counts(rows), "size": settings.size,
             "rejects": dict(Counter(re.split(r"[:(]| of ", r["reason"])[0].strip() for r in rejects))}
    write_json(out_dir / "stats.json", stats)
    return stats


def _check_every_system(jobs: list[splits.Job], rows: list[ManifestRow], rejects: list[dict]) -> None:
    """A system that produced nothing is broken (engine missing?), not bad input: stop loudly."""
    made = {row.system for row in rows}
    for system in sorted({s for job in jobs for s in (BONAFIDE, *job.systems)} - made):
        reasons = Counter(r["reason"] for r in rejects if r["system"] == system).most_common(1)
        raise RuntimeError(f"system {system} produced no clip; most common reject: {reasons}")


def _pack_audio(out_dir: Path, rows: list[ManifestRow], staging: Path) -> None:
    """One archive per split, members in utt_id order; anything else in DIR/audio (an earlier
    build's archives or loose clips) goes, so DIR holds exactly this corpus."""
    archives = {}
    for row in sorted(rows, key=lambda r: r.utt_id):
        archive, member = row.path.rsplit("/", 1)
        archives.setdefault(archive, []).append((member, staging / member))
    for archive, members in archives.items():
        pack(members, out_dir / archive)
    for path in (out_dir / AUDIO_DIR).iterdir():
        if f"{AUDIO_DIR}/{path.name}" not in archives:
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def prepare(args, params: dict) -> int:
    """`asnet prepare demo` (asnet.data.prepare): build and print the counts."""
    settings = DemoSettings.from_params(params, size=args.size, workers=args.workers)
    stats = build_demo(args.out, settings)
    print(f"demo corpus ({settings.size}): {stats['clips']} clips in {args.out}, "
          f"{sum(stats['rejects'].values())} rejects")
    for system, per_split in stats["per_system_split"].items():
        print(f"  {system:<18} " + "  ".join(f"{split} {n:>5}" for split, n in per_split.items()))
    return 0
