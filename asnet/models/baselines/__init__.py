"""Baseline detectors, each built by `build(config)` from its params `baselines.<name>` entry:

    lcnn      LFCC-LCNN, the ASVspoof 2019/2021 baseline (Wang & Yamagishi)
    rawnet2   RawNet2, the ASVspoof 2021 baseline (Tak et al., 2021)
    aasist    AASIST and AASIST-L (Jung et al., 2022); loads the published weights (published/)
    trivial   a gradient-boosted tree on cues that are not spoofing evidence (a shortcut audit)

Every forward is `model(wave [B, N] in [-1, 1], lengths=None)` and returns
asnet.models.output.detector_output(logits). None of them masks padding: `lengths` only decides
which samples are repeated in place of padding (asnet.models.baselines.inputs).
"""
