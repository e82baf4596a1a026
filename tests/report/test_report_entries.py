"""`asnet report --entries`: the demo's report is the same report over a subset of params runs."""
import pytest
from report_fixtures import PARAMS

from asnet.report.build import only_entries
from asnet.report.config import ConfigError


def test_entries_keep_only_the_named_runs_in_params_order():
    kept = only_entries(PARAMS["runs"], ["lcnn", "asnet"])
    assert list(kept) == [name for name in PARAMS["runs"] if name in ("asnet", "lcnn")]


def test_a_run_id_keeps_only_that_seed_of_its_entry():
    kept = only_entries(PARAMS["runs"], ["asnet", "lcnn_s0"])
    assert kept["lcnn"]["seeds"] == [0] and kept["asnet"]["seeds"] == PARAMS["runs"]["asnet"]["seeds"]
    with pytest.raises(ConfigError, match="lcnn_s7"):
        only_entries(PARAMS["runs"], ["lcnn_s7"])


def test_an_unknown_entry_is_refused_by_name():
    with pytest.raises(ConfigError, match="no_such_entry"):
        only_entries(PARAMS["runs"], ["asnet", "no_such_entry"])
