"""Every figure kind writes a non-empty PNG and PDF that change when their data change; the curve
numbers behind them agree with the metrics they illustrate."""
import numpy as np
import pytest

from asnet.eval.metrics import compute_eer, expected_calibration_error
from asnet.report import figures
from asnet.report.curves import det, deviate, reliability, thin
from asnet.report.figures import BudgetCurve, Series, TrainingCurve

RNG = np.random.default_rng(0)


def png_bytes(fig) -> bytes:
    """The figure as the report's PNG, in memory."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    with plt.rc_context(figures.STYLE):
        fig.savefig(buffer, format="png", metadata=figures.PNG_METADATA)
    return buffer.getvalue()
BONA, SPOOF = RNG.normal(1.0, 1.0, 30), RNG.normal(-1.0, 1.0, 30)


def draw_det(shift):
    return figures.det_figure("DET", [(Series("a", 0), det(BONA + shift, SPOOF)), (Series("b", 1), det(BONA, SPOOF - 1))])


def draw_scores(shift):
    return figures.score_histograms("scores", BONA, {"sys_a": SPOOF + shift, "sys_u": SPOOF - 1}, {"sys_u"}, 0.0)


def draw_energy(shift):
    return figures.energy_histograms("energy", [("clean", SPOOF), ("codec", BONA + shift)], -0.5)


def draw_reliability(shift):
    p = 1 / (1 + np.exp(np.concatenate([BONA, SPOOF]) + shift))
    labels = np.repeat([True, False], 30)
    return figures.reliability_figure([("clean", [(Series("a", 0), reliability(p, labels, 10))])])


def draw_risk_coverage(shift):
    coverage = np.linspace(0.1, 1.0, 10)
    return figures.risk_coverage_figure("rc", [(Series("a", 0), coverage, 10 * coverage + shift, None)])


def draw_robustness(shift):
    budgets = np.array([0.001, 0.002, 0.004])
    curve = BudgetCurve(Series("a", 0), budgets, np.array([90.0, 60.0, 20.0 + shift]), np.zeros(3),
                        np.array([5.0, 20.0, 40.0]), np.ones(3))
    return figures.robustness_figure("pgd", "linf", [curve])


def draw_gate(shift):
    return figures.gate_figure("gate", ["eval", "mp3"], [(Series("a", 0), [0.6, 0.5 + shift / 10], [0.01, None])])


def draw_training(shift):
    curve = TrainingCurve(Series("seed 0", 0), {"loss": [(1, 1.0), (2, 0.5 + shift), (3, 0.4)]})
    return figures.training_figure("training", ["loss"], [curve], [(0.5, "base"), (2.5, "adv")])


@pytest.mark.parametrize("draw", [draw_det, draw_scores, draw_energy, draw_reliability, draw_risk_coverage,
                                  draw_robustness, draw_gate, draw_training])
def test_figure_follows_its_data(draw):
    """PNG in memory; the files, and the same bytes for the same data: test_report_build."""
    import matplotlib.pyplot as plt

    first, changed = draw(0.0), draw(0.7)
    image = png_bytes(first)
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and len(image) > 1000 and b"matplotlib" not in image
    assert png_bytes(changed) != image
    plt.close(first)
    plt.close(changed)


def test_save_writes_png_and_pdf_without_dates(tmp_path):
    paths = figures.save(draw_gate(0.0), tmp_path / "gate")
    assert [p.name for p in paths] == ["gate.png", "gate.pdf"]
    pdf = paths[1].read_bytes()
    assert pdf[:5] == b"%PDF-" and b"CreationDate" not in pdf and b"Producer" not in pdf


def test_looks_stay_distinct_past_eight_series():
    looks = {tuple(sorted((k, str(v)) for k, v in figures.look(i).items())) for i in range(24)}
    assert len(looks) == 24


def test_det_points_and_deviates():
    d = det(BONA, SPOOF)
    assert d.eer == compute_eer(BONA, SPOOF)[0]
    assert d.frr[0] == 0 and d.far[0] == 1 and np.all(np.diff(d.frr) >= 0)
    assert deviate([0.5])[0] == 0.0 and np.isfinite(deviate([0.0, 1.0])).all()
    keep = thin(d.far_deviate, d.frr_deviate, 10)
    assert keep[0] == 0 and keep[-1] == d.far.size - 1 and keep.size <= 12


def test_reliability_bins_give_the_metrics_ece():
    p = RNG.uniform(0, 1, 200)
    bona = RNG.uniform(0, 1, 200) > p  # roughly calibrated
    bins = reliability(p, bona, 15)
    ece = np.sum(bins.count / bins.count.sum() * np.abs(bins.accuracy - bins.confidence))
    assert ece == pytest.approx(expected_calibration_error(p, bona.astype(int), 15))
    assert bins.count.sum() == 200 and np.all(bins.confidence >= 0.5)
