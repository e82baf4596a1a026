"""`asnet report --entries`: the demo's report is the same report over a subset of params runs."""
import pytest
from report_fixtures import PARAMS

from asnet.report.build import only_entries
from asnet.report.config import ConfigError


def test_entries_keep_only_the_named_runs_in_params_order():
    kept = only_entries(PARAMS["runs"], ["lcnn", "asnet"])
    assert list(kept) == [name for name in PARAMS["runs"] if name in ("asnet", "lcnn")]


def test_an_unknown_entry_is_refused_by_name():
    with pytest.raises(ConfigError, match="no_such_entry"):
        only_entries(PARAMS["runs"], ["asnet", "no_such_entry"])
