"""`asnet bench shift`: every condition timed in process, against a process-per-clip baseline."""
from pathlib import Path

from asnet.cli import main as cli_main
from asnet.utils import read_json

PARAMS = str(Path(__file__).resolve().parents[2] / "params.yaml")


def test_bench_times_every_condition_and_beats_a_process_per_clip(tmp_path, params):
    out = tmp_path / "shift.json"
    assert cli_main(["bench", "shift", "--shards", str(tmp_path / "none"), "--clips", "1", "--out", str(out),
                     "--params", PARAMS]) == 0
    report = read_json(out)
    shift = params["shift"]
    expected = ({f"codec/{n}" for n in shift["codecs"]} | {f"vocoder/{n}" for n in shift["vocoders"]}
                | {f"pool/{n}" for group in shift["pools"].values() for n in group})
    assert set(report["conditions"]) == expected
    assert all(r["clips_per_s"] > 0 for r in report["conditions"].values())
    assert report["source"] == "synthetic"
    assert report["subprocess_per_clip/mp3_16k"]["in_process_speedup"] > 1
