"""Install-time contracts: one set of pins, no second torch, torchattacks kept out of pip's resolver."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def requirement_lines() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_every_requirement_is_pinned_and_torch_is_the_cpu_wheel():
    lines = requirement_lines()
    assert all("==" in line for line in lines), [line for line in lines if "==" not in line]
    assert "torch==2.13.0" in lines


def test_torchattacks_is_never_resolved_by_pip():
    pyproject_code = [l for l in (ROOT / "pyproject.toml").read_text().splitlines() if not l.lstrip().startswith("#")]
    assert not any("torchattacks" in line for line in requirement_lines() + pyproject_code)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert not any("torchattacks" in p for p in pip_section)


def test_conda_environment_installs_the_same_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert [p for p in pip_section if p != "-e ."] == requirement_lines()


def test_torchattacks_installed_without_a_second_torch():
    import torch
    import torchattacks  # noqa: F401  (installed --no-deps by the Makefile)

    assert torch.__version__.startswith("2.13.0")
    assert torch.version.cuda is None
