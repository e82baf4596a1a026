"""prepare_demo.neural_systems: the corpus's declaration of its neural systems, which the report
reads to mark them (per-system tables, the unseen neural TTS column), must match the systems'
kinds in asnet.data.demo.systems."""
import copy
from pathlib import Path

import pytest

from asnet.data.demo import build
from asnet.data.demo.systems import SYSTEMS
from asnet.utils import load_params

PARAMS = load_params(Path(__file__).parents[2] / "params.yaml")


def test_params_declare_exactly_the_neural_systems():
    settings = build.DemoSettings.from_params(PARAMS, workers=1)
    assert sorted(settings.neural_systems) == sorted(s for s, kind in SYSTEMS.items() if kind == "neural")


def test_a_wrong_declaration_is_refused():
    params = copy.deepcopy(PARAMS)
    params["prepare_demo"]["neural_systems"] = [*params["prepare_demo"]["neural_systems"], "world"]
    with pytest.raises(ValueError, match="neural_systems must list the neural systems"):
        build.DemoSettings.from_params(params, workers=1)
