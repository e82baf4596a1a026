"""Trivial-cue baseline: a shortcut audit. A small gradient-boosted tree ensemble sees only cues that
are NOT spoofing evidence: how long a clip is, how loud, its peak and DC offset, how much quiet
leads and trails it, how much energy lies above 3.4 / 4 / 6 / 7 kHz (a telephone band edge or a
generator's native sample rate shows there), where 85 % of the energy is reached, and how many
samples are exactly zero. If this model separates a corpus, the corpus has a shortcut (ARCHITECTURE
§7: the demo's preparation is meant to remove these), and a detector's score there means little.

No pickle: `fit` grows the trees with scikit-learn's GradientBoostingClassifier and copies them into
registered buffers (per tree and node: feature, threshold, children, leaf value; plus the learning
rate and the initial log-odds), so the model saves as safetensors like every other model, and
`build(config)` makes buffers of the right shapes for load_checkpoint to fill. Forward computes
the cues in torch and walks the trees in torch:

    f = init + learning_rate * sum_t leaf_t(cues)     (sklearn's decision_function: log-odds of bona fide)
    logits = [-f / 2, f / 2]                           (score = f)

The model is not differentiable (trees are piecewise constant): attacks on it are meaningless.
Cues are computed over each clip's first lengths[b] samples, so padding does not change them.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from asnet.models.output import DetectorOutput, detector_output

CUES = (
    "duration_s", "rms_dbfs", "peak_dbfs", "dc_offset", "leading_quiet_s", "trailing_quiet_s",
    "energy_above_3400hz", "energy_above_4000hz", "energy_above_6000hz", "energy_above_7000hz",
    "rolloff85_hz", "zero_fraction",
)
BAND_EDGES_HZ = (3400.0, 4000.0, 6000.0, 7000.0)
ROLLOFF = 0.85
FRAME, HOP = 512, 256  # analysis frames of the quiet and spectral cues (32 ms, half overlapping, at 16 kHz)
TINY = 1e-20


def db(power: torch.Tensor) -> torch.Tensor:
    return 10.0 * torch.log10(power.clamp_min(TINY))


def first_true(mask: torch.Tensor) -> torch.Tensor:
    """[B, F] bool -> index of the first True per row (0 when none)."""
    return mask.int().argmax(dim=1)


def quiet_seconds(frames: torch.Tensor, n_frames: torch.Tensor, quiet_db: float, sample_rate: int):
    """Leading and trailing quiet [B] each: frames before the first / after the last frame within
    quiet_db of the clip's loudest frame, in seconds."""
    valid = torch.arange(frames.shape[1], device=frames.device)[None, :] < n_frames[:, None]
    level = db(frames.pow(2).sum(-1)).masked_fill(~valid, -math.inf)
    loud = level > level.amax(1, keepdim=True) - quiet_db
    leading = first_true(loud)
    trailing = first_true(loud.flip(1)) - (frames.shape[1] - n_frames)  # the flip puts the invalid frames first
    return leading * HOP / sample_rate, trailing * HOP / sample_rate


def spectral_cues(frames: torch.Tensor, n_frames: torch.Tensor, sample_rate: int) -> list[torch.Tensor]:
    """Energy fractions above each of BAND_EDGES_HZ and the 85 % roll-off (Hz), from the clip's
    summed power spectrum."""
    valid = torch.arange(frames.shape[1], device=frames.device)[None, :] < n_frames[:, None]
    window = torch.hann_window(FRAME, device=frames.device)
    power = torch.view_as_real(torch.fft.rfft(frames * window, dim=-1)).pow(2).sum(-1)  # |X|^2, without a sqrt
    spectrum = (power * valid[..., None]).sum(1)  # [B, bins]
    total = spectrum.sum(1).clamp_min(TINY)
    freqs = torch.fft.rfftfreq(FRAME, 1.0 / sample_rate).to(frames.device)
    above = [(spectrum * (freqs > edge)).sum(1) / total for edge in BAND_EDGES_HZ]
    return [*above, freqs[first_true(spectrum.cumsum(1) >= ROLLOFF * total[:, None])]]


def clip_cues(wave: torch.Tensor, lengths: torch.Tensor | None, sample_rate: int, quiet_db: float) -> torch.Tensor:
    """wave [B, N] (row b valid for its first lengths[b] samples) -> cues [B, len(CUES)] float32."""
    wave = wave.float()
    n = wave.shape[1]
    length = torch.full((wave.shape[0],), n, device=wave.device) if lengths is None else lengths.to(wave.device)
    valid = torch.arange(n, device=wave.device)[None, :] < length[:, None]
    x = wave * valid  # padding is zero, whatever it held
    count = length.clamp_min(1).float()
    frames = torch.nn.functional.pad(x, (0, FRAME)).unfold(1, FRAME, HOP)  # [B, F, FRAME]
    n_frames = torch.div(length + HOP - 1, HOP, rounding_mode="floor").clamp_min(1)  # frames that start in the clip

    cues = [
        length / sample_rate,
        db(x.pow(2).sum(1) / count),  # RMS level, dBFS
        db(x.abs().amax(1).pow(2)),  # peak, dBFS
        x.sum(1) / count,  # DC offset
        *quiet_seconds(frames, n_frames, quiet_db, sample_rate),
        *spectral_cues(frames, n_frames, sample_rate),
        ((x == 0) & valid).sum(1) / count,  # share of exactly-zero samples
    ]
    return torch.stack([c.float() for c in cues], dim=1)


class TrivialCueModel(nn.Module):
    exact_padding = math.inf  # cues read each clip's own samples only (clip_cues)

    def __init__(self, config: dict):
        super().__init__()
        self.sample_rate, self.quiet_db, self.depth = config["sample_rate"], config["quiet_db"], config["max_depth"]
        shape = (config["n_estimators"], 2 ** (config["max_depth"] + 1) - 1)  # a full binary tree's nodes
        self.register_buffer("feature", torch.zeros(shape, dtype=torch.int64))
        self.register_buffer("threshold", torch.zeros(shape, dtype=torch.float64))
        self.register_buffer("left", torch.full(shape, -1, dtype=torch.int64))  # -1: a leaf
        self.register_buffer("right", torch.full(shape, -1, dtype=torch.int64))
        self.register_buffer("value", torch.zeros(shape, dtype=torch.float64))
        self.register_buffer("learning_rate", torch.tensor(0.0, dtype=torch.float64))
        self.register_buffer("init", torch.tensor(0.0, dtype=torch.float64))

    def copy_trees(self, classifier) -> None:
        """Take the trees of a fitted binary GradientBoostingClassifier (n_estimators x 1 regressors)."""
        for t, (regressor,) in enumerate(classifier.estimators_):
            tree, nodes = regressor.tree_, regressor.tree_.node_count
            self.feature[t, :nodes] = torch.from_numpy(np.maximum(tree.feature, 0))
            self.threshold[t, :nodes] = torch.from_numpy(tree.threshold)
            self.left[t, :nodes] = torch.from_numpy(tree.children_left)
            self.right[t, :nodes] = torch.from_numpy(tree.children_right)
            self.value[t, :nodes] = torch.from_numpy(tree.value[:, 0, 0])
        prior = classifier.init_.class_prior_[1]  # P(bona fide) of the (weighted) training set
        self.init.fill_(math.log(prior / (1.0 - prior)))
        self.learning_rate.fill_(classifier.learning_rate)

    def decision(self, cues: torch.Tensor) -> torch.Tensor:
        """cues [B, len(CUES)] -> boosted log-odds of bona fide [B] (float64). Each sample descends
        all trees at once; a leaf keeps its node, so max_depth steps reach every leaf."""
        x = cues.double()
        trees = torch.arange(self.feature.shape[0], device=x.device)[None, :]
        node = torch.zeros(x.shape[0], trees.shape[1], dtype=torch.int64, device=x.device)
        for _ in range(self.depth):
            value = x.gather(1, self.feature[trees, node])
            child = torch.where(value <= self.threshold[trees, node], self.left[trees, node], self.right[trees, node])
            node = torch.where(self.left[trees, node] >= 0, child, node)
        return self.init + self.learning_rate * self.value[trees, node].sum(1)

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor | None = None) -> DetectorOutput:
        f = self.decision(clip_cues(wave, lengths, self.sample_rate, self.quiet_db)).float()[:, None]
        return detector_output(torch.cat([-f / 2, f / 2], dim=1))


def build(config: dict) -> TrivialCueModel:
    return TrivialCueModel(config)


def shard_cues(shards, config: dict, batch_size: int = 32) -> np.ndarray:
    """Cues of every clip of a WaveShards split [N, len(CUES)], computed in length-sorted batches on
    one thread: on tensors this small, intra-op threads cost more in synchronisation than they
    save (7,546 demo clips: 4x less CPU time on a busy 2-core machine)."""
    order = sorted(range(len(shards)), key=lambda i: shards.clips[i].length)
    cues = np.zeros((len(shards), len(CUES)), dtype=np.float32)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            waves = [torch.from_numpy(shards[i]) for i in batch]
            lengths = torch.tensor([len(w) for w in waves])
            padded = torch.nn.utils.rnn.pad_sequence(waves, batch_first=True)
            cues[batch] = clip_cues(padded, lengths, config["sample_rate"], config["quiet_db"]).numpy()
    finally:
        torch.set_num_threads(threads)
    return cues


def fit(train, config: dict, seed: int) -> TrivialCueModel:
    """Grow the trees on the cues of `train` (a WaveShards split), classes weighted to balance."""
    from sklearn.ensemble import GradientBoostingClassifier

    cues, labels = shard_cues(train, config), train.labels
    weights = np.where(labels == 1, 0.5 / max(labels.mean(), 1e-12), 0.5 / max(1 - labels.mean(), 1e-12))
    classifier = GradientBoostingClassifier(n_estimators=config["n_estimators"], max_depth=config["max_depth"],
                                            learning_rate=config["learning_rate"], random_state=seed)
    classifier.fit(cues, labels, sample_weight=weights)
    model = build(config)
    model.copy_trees(classifier)
    return model.eval()
