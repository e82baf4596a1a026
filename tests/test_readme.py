"""README.md's measured tables are the report excerpt dvc.lock records (asnet.report.excerpt)."""
from pathlib import Path

import yaml

from asnet.report.excerpt import check_readme

ROOT = Path(__file__).resolve().parents[1]


def test_readme_shows_the_latest_report_excerpt():
    lock = yaml.safe_load((ROOT / "dvc.lock").read_text())
    assert check_readme((ROOT / "README.md").read_text(), lock) is None
