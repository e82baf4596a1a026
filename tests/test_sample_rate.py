"""One sample rate: params.yaml writes it once (base.sample_rate) and every front-end and model
config aliases it; a config that disagrees is refused when params are read; `asnet detect`
resamples to the rate of the checkpoint's own model config."""
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import yaml

from asnet.runs import find_run, run_params
from asnet.utils import load_params

sys.path.insert(0, str(Path(__file__).parent))
from tiny_detector import tiny_checkpoint, voice  # noqa: E402

from asnet.cli import main as cli  # noqa: E402

PARAMS = Path(__file__).parents[1] / "params.yaml"


def node(root, *keys):
    for key in keys:
        root = next(value for k, value in root.value if k.value == key)
    return root


def test_params_write_the_rate_once_and_alias_it_everywhere():
    root = yaml.compose(PARAMS.read_text())
    base = node(root, "base", "sample_rate")
    assert node(root, "features", "sample_rate") is base
    for name in ("lcnn", "rawnet2", "aasist", "trivial"):
        assert node(root, "baselines", name, "sample_rate") is base, name


@pytest.mark.parametrize("key", ["features", "baselines.lcnn"])
def test_a_second_rate_is_refused_when_params_are_read(tmp_path, key):
    params = yaml.safe_load(PARAMS.read_text())  # aliases expanded: each copy can now differ
    section = params
    for part in key.split("."):
        section = section[part]
    section["sample_rate"] = 22050
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    with pytest.raises(ValueError, match=f"base.sample_rate is 16000, but {key} 22050"):
        load_params(path)


def test_a_run_override_of_one_rate_is_refused():
    params = load_params(PARAMS)
    params["runs"]["asnet"]["set"] = {"model.features.sample_rate": 8000}
    with pytest.raises(ValueError, match="but model 8000"):
        run_params(params, find_run(params, "asnet_s0"))


def test_detect_resamples_to_the_checkpoints_rate(tmp_path, capsys):
    """A checkpoint whose model was built for 8 kHz gets 8 kHz audio: its config is the source."""
    checkpoint = tiny_checkpoint(tmp_path / "ckpt16")
    meta = json.loads((checkpoint / "checkpoint.json").read_text())
    meta["model"]["features"] = {**meta["model"]["features"], "sample_rate": 8000, "f_max": 4000.0}
    eight = tmp_path / "ckpt8"
    shutil.copytree(checkpoint, eight)
    (eight / "checkpoint.json").write_text(json.dumps(meta))
    soundfile.write(tmp_path / "a.wav", voice(1.0, seed=0), 16000)
    reports = {}
    for name, directory in (("16", checkpoint), ("8", eight)):
        assert cli(["detect", str(tmp_path / "a.wav"), "--checkpoint", str(directory), "--json"]) == 0
        reports[name] = json.loads(capsys.readouterr().out)
    assert reports["16"]["checkpoint"]["sample_rate"] == 16000 and not reports["16"]["files"][0]["resampled"]
    assert reports["8"]["checkpoint"]["sample_rate"] == 8000 and reports["8"]["files"][0]["resampled"]
    assert reports["8"]["files"][0]["duration_s"] == pytest.approx(1.0, abs=1e-3)
    assert not np.isclose(reports["8"]["files"][0]["score"], reports["16"]["files"][0]["score"])
