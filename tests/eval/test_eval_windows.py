"""The long-recording window policy: which windows, streamed with bounded memory, and their mean."""
import numpy as np
import pytest

from asnet.eval.windows import WindowPolicy, aggregate, driving_windows, has_signal, stream_segments

POLICY = WindowPolicy(max_clip=100, window=40, hop=20)


def blocks_of(wave, size):
    return [wave[i : i + size] for i in range(0, len(wave), size)]


@pytest.mark.parametrize("n", [101, 120, 133, 1000, 1013])
@pytest.mark.parametrize("block", [1, 7, 64, 5000])
def test_streamed_windows_are_the_policys_and_cover_the_clip(n, block):
    wave = np.arange(n, dtype=np.float32)
    segments = list(stream_segments(blocks_of(wave, block), POLICY))
    assert [s.start for s in segments] == POLICY.starts(n)
    assert not any(s.whole for s in segments)
    for s in segments:
        np.testing.assert_array_equal(s.wave, wave[s.start : s.start + POLICY.window])
    assert segments[-1].start + POLICY.window == n and segments[0].start == 0


@pytest.mark.parametrize("n", [0, 1, 40, 100])
def test_a_clip_within_max_clip_is_one_whole_segment(n):
    wave = np.ones(n, np.float32)
    (segment,) = stream_segments(blocks_of(wave, 30), POLICY)
    assert segment.whole and segment.start == 0 and len(segment.wave) == n


def test_starts_step_by_hop_and_end_on_the_last_sample():
    assert POLICY.starts(120) == [0, 20, 40, 60, 80]
    assert POLICY.starts(125) == [0, 20, 40, 60, 80, 85]
    assert not POLICY.windowed(100) and POLICY.windowed(101)


def test_invalid_policies_are_refused():
    for hop, window, max_clip in [(0, 10, 10), (11, 10, 20), (5, 30, 20)]:
        with pytest.raises(ValueError):
            WindowPolicy(max_clip, window, hop)
    assert WindowPolicy.from_seconds(30, 4, 2, 16000) == WindowPolicy(480000, 64000, 32000)
    assert WindowPolicy.from_params({"max_clip_seconds": 30, "window_seconds": 4, "window_hop_seconds": 2}, 8000) \
        == WindowPolicy.from_seconds(30, 4, 2, 8000)


def test_aggregate_is_the_mean_and_keeps_float32():
    out = aggregate({"score": np.array([1.0, 2.0, 6.0], np.float32), "logits": np.array([[0, 1], [2, 4]], np.float32)})
    assert out["score"] == pytest.approx(3.0) and out["score"].dtype == np.float32
    np.testing.assert_allclose(out["logits"], [1.0, 2.5])


def test_driving_windows_lie_on_the_decisions_side_most_extreme_first():
    scores = np.array([0.5, -2.0, 3.0, -0.5, 1.0])
    assert driving_windows(scores, 0.0, spoof=True, count=3) == [1, 3]
    assert driving_windows(scores, 0.0, spoof=False, count=2) == [2, 4]


def test_has_signal():
    assert not has_signal(np.zeros(10, np.float32)) and not has_signal(np.zeros(0, np.float32))
    assert has_signal(np.array([0.0, 0.01], np.float32))
