"""Pytest fixtures: the project's configs (helpers the tests import are in helpers.py)."""

import pytest
import yaml
from helpers import ROOT, deep_update


@pytest.fixture
def full_config() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())


@pytest.fixture
def demo_config(full_config) -> dict:
    return deep_update(full_config, yaml.safe_load((ROOT / "profiles/local/demo.yaml").read_text()))
