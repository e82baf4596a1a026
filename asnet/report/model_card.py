"""Model cards (Markdown): what a checkpoint is, what it was trained and measured on, what its
calibrated outputs mean, and what it must not be used for.

    render_model_card(meta, metrics=None, attacks=None) -> str

meta     a checkpoint.json (asnet.checkpoint), optionally with "parameters" (int: the
         trainable parameter count, which needs the built model) and "path" (where it lives)
metrics  {set name: metrics JSON of `asnet evaluate`} for eval and shift sets, or None
attacks  an attack summary JSON of `asnet attack` ({"results": [rows], "sanity": [...], ...}), or None

The training stage writes MODEL_CARD.md beside each checkpoint with meta alone (what is known at
training time); the report stage renders the full card with metrics and attacks. Nothing here
imports torch, reads files or fits anything: the card only states what the inputs say.
"""
from __future__ import annotations

from asnet.eval.calibration import spoof_probability
from asnet.eval.windows import MAX_CLIP_SECONDS, WINDOW_SECONDS

# Facts about the embedded demo corpus (ARCHITECTURE §7; data/prepared/demo of params at size full):
# the limits section states them when a checkpoint was trained on it.
DEMO_FACTS = ("the embedded demo corpus: 7,546 training clips (1.7 h; 1,078 bona fide word recordings by "
              "volunteer speakers of ~20 languages, each with six local TTS or copy-synthesis spoofs), "
              "0.3-3 s long, clean studio-like audio")


def _number(value, digits: int = 3, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{suffix}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def _model_section(meta: dict) -> list[str]:
    config = meta["model"]
    architecture = config.get("architecture", "asnet")
    lines = ["## Model", "", f"- architecture: `{architecture}`; curriculum stage: `{meta.get('stage', 'n/a')}`"]
    if "parameters" in meta:
        lines.append(f"- trainable parameters: {meta['parameters']:,}")
    if architecture == "asnet":
        features = config.get("features", {})
        phase = features.get("phase_inputs", True)
        lines += [
            f"- input: 16 kHz mono waveform; front-end inside the model: log-mel ({features.get('n_mels', 'n/a')} bands, "
            f"{features.get('win_length', 'n/a')}-sample window, hop {features.get('hop_length', 'n/a')})"
            + (", instantaneous-frequency-deviation plane" if phase else "")
            + "; prosody: YIN log-F0 and voicing, log-RMS, ZCR, spectral flux" + (", LP-residual peakiness" if phase else ""),
            f"- encoders: spectral 2-D residual stack {config.get('spectral_channels')}, prosody TCN "
            f"{config.get('prosody_channels')} channels, dilations {config.get('prosody_dilations')}; "
            f"embedding d = {config.get('embed_dim')}",
            f"- fusion: energy-gated (w_e = {config.get('gate_energy_weight')}); CMRA variant "
            f"`{config.get('cmra', {}).get('variant', 'n/a')}`; heads: detector, energy, abstention",
        ]
    return lines + [""]


def _training_section(meta: dict) -> list[str]:
    corpora = meta.get("train_corpora") or []
    systems = meta.get("train_systems")
    lines = ["## Training data", "", f"- corpora: {', '.join(f'`{c}`' for c in corpora) or 'not recorded'}"]
    if systems is not None:
        lines.append(f"- spoof systems seen in training: {', '.join(f'`{s}`' for s in systems) or 'none'}")
    lines.append("- evaluating this checkpoint on a training corpus under a \"cross-corpus\" label is refused by `asnet evaluate`")
    dev = meta.get("dev")
    if dev:
        lines += ["", "Dev split (uncalibrated): " + ", ".join(
            f"{name} {_number(dev.get(key), digits, unit)}" for name, key, digits, unit in
            (("EER", "eer", 2, " %"), ("AUC", "auc", 4, ""), ("accuracy at score 0", "accuracy", 3, ""),
             ("mean energy", "energy", 2, "")) if key in dev)]
    return lines + [""]


def _ci(metrics: dict) -> str:
    low, high = (metrics.get("ci95") or {}).get("eer_pct") or (None, None)
    return "" if low is None else f" ({low:.2f}-{high:.2f})"


def _metrics_section(metrics: dict[str, dict]) -> list[str]:
    rows = []
    for name, m in sorted(metrics.items()):
        n = m.get("n") or {}
        kept = (m.get("abstention") or {}).get("at_threshold") or {}
        ood = m.get("ood") or {}
        rows.append([f"`{name}`", str(m.get("corpus") or "n/a"), f"{n.get('bonafide', 'n/a')} / {n.get('spoof', 'n/a')}",
                     _number(m.get("eer_pct"), 2) + _ci(m), _number(m.get("auc"), 4),
                     _number((m.get("calibration") or {}).get("ece"), 4), _number(kept.get("abstain_pct"), 1),
                     _number(kept.get("eer_pct"), 2), _number(ood.get("energy_auroc"), 3)])
    header = ["set", "corpus", "bona fide / spoof", "EER % (95 % CI)", "AUC", "ECE", "abstain %",
              "EER % kept", "energy OOD-AUROC"]
    return ["## Evaluation", "", "Metrics of `asnet evaluate` (thresholds and temperature from dev, never refitted):",
            ""] + _table(header, rows) + [""]


def _attack_section(attacks: dict) -> list[str]:
    def rate(value):
        return _number(value.get("all") if isinstance(value, dict) else value, 3)

    rows = [[f"`{r.get('name')}`", str(r.get("budget")), _number(r.get("robust_accuracy"), 3),
             rate(r.get("success_rate")), _number(r.get("undetected_flip_rate"), 3), _number(r.get("snr_db_mean"), 1)]
            for r in attacks.get("results", [])]
    lines = ["## Robustness to attacks", "", "White-box and black-box attacks on the deployed pipeline "
             "(waveform -> features -> model -> decision), in eval mode:", ""]
    lines += _table(["attack", "budget", "robust accuracy", "success rate", "undetected flips", "SNR dB"], rows)
    checks = attacks.get("sanity") or []
    if checks:
        failed = [c.get("name", "?") for c in checks if c.get("status") == "fail"]
        lines += ["", f"Sanity checks: {len(checks) - len(failed)} of {len(checks)} passed"
                  + (f"; failed: {', '.join(failed)}" if failed else "")]
    return lines + [""]


def _calibration_section(meta: dict) -> list[str]:
    tau, ood, eer, temperature = (meta.get(k) for k in ("abstain_threshold", "ood_threshold", "eer_threshold",
                                                         "temperature"))
    at_threshold = None if eer is None or not temperature else float(spoof_probability(eer, temperature))
    return [
        "## Calibration and decision rule", "",
        "All of these are fitted on the dev split after training and stored in checkpoint.json; the dev "
        "scores are in dev_scores.tsv, so another operating point can be chosen without test data.", "",
        "- score = logit_bona - logit_spoof: higher means more bona fide.",
        f"- temperature T = {_number(meta.get('temperature'), 4)}: the calibrated P(spoof) = sigmoid(-score / T) "
        "(NLL-fitted on dev). It is calibrated for audio like the dev split; on other speakers, languages or "
        "channels it is not a probability to act on without checking.",
        f"- EER threshold = {_number(eer, 4)}: the default operating point of `asnet detect`, bona fide iff "
        "score > threshold (dev false acceptances = dev false rejections); "
        "`--operating-point far=0.01` or `frr=0.05` picks another one on the dev scores. "
        f"At this threshold P(spoof) = {_number(at_threshold, 3)}: the temperature rescales but does not shift "
        "the score, so read P(spoof) against that value, not against 0.5 (dev's class balance acts as its prior).",
        f"- abstention threshold tau = {_number(tau, 4)}: the detector abstains when its abstention logit "
        "exceeds tau (tau keeps the target share of dev clips).",
        f"- OOD threshold = {_number(ood, 4)}: a free energy above it flags the input as unlike the training "
        "data (it flags a fixed small share of dev clips).", "",
    ]


def _use_section(meta: dict) -> list[str]:
    corpora = meta.get("train_corpora") or []
    trained_on = DEMO_FACTS if "demo" in corpora else f"the corpora listed above ({', '.join(corpora) or 'not recorded'})"
    return [
        "## Intended use", "",
        "- Research on spoofed-speech detection: benchmarks, ablations, robustness studies, the pipeline's tests.",
        "- Triage of recordings with `asnet detect`, read together with its OOD and abstention flags and "
        "per-window scores, by someone who can judge the audio.", "",
        "## Limits", "",
        f"- Trained on {trained_on}.",
        "- Not a forensic tool: a score is evidence about similarity to the training data, not proof that a "
        "recording is genuine or fake. Never use it alone to accuse anyone or to authenticate anyone.",
        "- Generators, vocoders, codecs, languages, microphones and rooms it has not seen move both error "
        "rates and the calibration; the shift-set rows above show how far, where they exist.",
        "- Adaptive attackers who know the model can push scores across the threshold (see the attack table "
        "when present).",
        f"- Recordings longer than {MAX_CLIP_SECONDS:g} s are scored as {WINDOW_SECONDS:g} s windows and decided on "
        "the mean window score; a short spliced fake inside a long genuine recording shows in the per-window "
        "scores before it moves the mean.", "",
    ]


def render_model_card(meta: dict, metrics: dict[str, dict] | None = None, attacks: dict | None = None) -> str:
    """The Markdown card of one checkpoint (see the module docstring for the arguments)."""
    architecture = meta["model"].get("architecture", "asnet")
    title = f"# Model card: {architecture} `{meta.get('stage', 'n/a')}`" + (f" ({meta['path']})" if meta.get("path") else "")
    lines = [title, ""]
    lines += _model_section(meta) + _training_section(meta)
    if metrics:
        lines += _metrics_section(metrics)
    else:
        lines += ["## Evaluation", "", "Not evaluated yet: this card was written at training time "
                  "(the report stage adds eval and shift-set metrics).", ""]
    if attacks:
        lines += _attack_section(attacks)
    lines += _calibration_section(meta) + _use_section(meta)
    return "\n".join(lines).rstrip() + "\n"
