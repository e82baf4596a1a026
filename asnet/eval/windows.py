"""Long recordings: a clip longer than a limit is scored as overlapping windows, and its outputs are
the mean of its windows' outputs. One policy for `asnet score` (asnet.eval.inference) and
`asnet detect`, so a recording gets the same score from both.

    n <= max_clip samples   one forward pass on the whole clip, exactly as before: the score of
                            every clip of the benchmark corpora is unchanged, bit for bit
    n >  max_clip           windows of `window` samples every `hop` samples; the last one ends at
                            the clip's end, so every sample is covered and every window has the
                            same length. A window whose peak is below SILENCE_PEAK (digital
                            silence: a gap in a call) carries no evidence and is left out.

Memory is then bounded by the window, not by the recording.

Aggregation: the clip's logits, score, energy, abstention logit and gate are the means of its
scored windows'. The decision is thus taken on the mean window log-odds (score / T), because
- it keeps the meaning of the dev-fitted threshold and temperature: the windows of a homogeneous
  recording are draws of one clip-level score, and their mean estimates it whatever the length.
  The most-spoof window, by contrast, falls with every window added: among the 1,800 windows of an
  hour of bona fide speech one below the EER threshold is near certain, so a min/max rule would
  call every long recording fake. Summing log-odds (naive Bayes) would count overlapping windows
  as independent evidence and grow arbitrarily confident with length.
- a forensic examiner can check it by hand from the per-window table `asnet detect` prints:
  average the window scores and compare with the threshold.
- partial spoofs (a synthetic sentence spliced into a real call) stay visible: `detect` lists
  every window, counts those that alone fall on the spoof side, and names the windows that drove
  the decision (`driving_windows`).
With hop = window / 2 (the default), any stretch of at most half a window lies whole inside one
window, so a short spliced segment is never seen only in halves.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

from asnet.data.audio import SILENCE_PEAK

# Defaults of `asnet detect`'s flags; `asnet score` reads params eval.max_clip_seconds,
# eval.window_seconds and eval.window_hop_seconds (the same values in params.yaml). 30 s is above every clip of the benchmark
# corpora (ASVspoof, In-the-Wild, the demo), so only real long recordings are windowed; 4 s is a
# typical benchmark clip, the length the detector's scores are calibrated on.
MAX_CLIP_SECONDS = 30.0
WINDOW_SECONDS = 4.0
HOP_SECONDS = 2.0


@dataclass(frozen=True)
class WindowPolicy:
    max_clip: int  # samples: clips up to this long are scored whole
    window: int  # samples per window of a longer clip
    hop: int  # samples between window starts

    def __post_init__(self):
        if not 0 < self.hop <= self.window <= self.max_clip:
            raise ValueError(f"windows need 0 < hop <= window <= max_clip, got hop {self.hop}, "
                             f"window {self.window}, max_clip {self.max_clip} (samples)")

    @classmethod
    def from_seconds(cls, max_clip_seconds: float, window_seconds: float, hop_seconds: float,
                     sample_rate: int) -> "WindowPolicy":
        return cls(round(max_clip_seconds * sample_rate), round(window_seconds * sample_rate),
                   round(hop_seconds * sample_rate))

    @classmethod
    def from_params(cls, eval_params: dict, sample_rate: int) -> "WindowPolicy":
        """From params `eval:` keys max_clip_seconds, window_seconds, window_hop_seconds."""
        return cls.from_seconds(eval_params["max_clip_seconds"], eval_params["window_seconds"],
                                eval_params["window_hop_seconds"], sample_rate)

    def windowed(self, n: int) -> bool:
        return n > self.max_clip

    def starts(self, n: int) -> list[int]:
        """Window starts for a clip of n > max_clip samples: every hop, plus one ending at n."""
        starts = list(range(0, n - self.window + 1, self.hop))
        if starts[-1] + self.window < n:
            starts.append(n - self.window)
        return starts


def has_signal(wave: np.ndarray) -> bool:
    return wave.size > 0 and float(np.abs(wave).max()) >= SILENCE_PEAK


def aggregate(window_outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per output name, [n_windows, ...] -> the mean over windows (float32, as the model's outputs)."""
    return {name: values.mean(axis=0, dtype=np.float64).astype(np.float32) for name, values in window_outputs.items()}


def driving_windows(scores: np.ndarray, threshold: float, spoof: bool, count: int) -> list[int]:
    """Indices of the windows that pulled the mean across the threshold the way it went: the
    `count` lowest-scoring windows below it for a spoof decision, the highest above it for a bona
    fide one; most extreme first."""
    scores = np.asarray(scores, dtype=np.float64)
    side = np.flatnonzero(scores <= threshold) if spoof else np.flatnonzero(scores > threshold)
    order = side[np.argsort(scores[side] if spoof else -scores[side], kind="stable")]
    return [int(i) for i in order[:count]]


@dataclass(frozen=True)
class Segment:
    """What stream_segments yields: the whole clip (whole=True, start 0) or one of its windows."""

    start: int
    wave: np.ndarray
    whole: bool


def stream_segments(blocks: Iterable[np.ndarray], policy: WindowPolicy) -> Iterator[Segment]:
    """Cut a stream of sample blocks into what the policy scores, holding at most about
    max_clip + one block of samples: one whole Segment if the stream ends within max_clip samples,
    else the windows of policy.starts(total length) in order (the last one once the end is known).
    Windows are yielded whatever their content; has_signal() is the caller's to apply."""
    buffer, offset, total, next_start = np.zeros(0, np.float32), 0, 0, 0
    windowed = False
    for block in blocks:
        buffer = np.concatenate([buffer, block])
        total += len(block)
        windowed = windowed or policy.windowed(total)
        if not windowed:
            continue
        while next_start + policy.window <= total:
            yield Segment(next_start, buffer[next_start - offset : next_start - offset + policy.window], False)
            next_start += policy.hop
        keep_from = min(next_start, total - policy.window)  # the last window may end at the stream's end
        buffer, offset = buffer[keep_from - offset :], keep_from
    if not windowed:
        yield Segment(0, buffer, True)
    elif next_start - policy.hop + policy.window < total:
        yield Segment(total - policy.window, buffer[total - policy.window - offset :], False)
