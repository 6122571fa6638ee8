"""The whole pipeline's configuration check: the shared checks plus every stage's own.

This is the one module that knows every stage (it sits above them all); the workflow
(workflow/rules/common.smk) and the tests validate a config through it.
"""

from __future__ import annotations

from msdl.config import ConfigError
from msdl.config import validate_config as _validate
from msdl.localization.plan import config_errors as localization_errors
from msdl.search.grid import config_errors as search_errors

STAGE_CHECKS = (localization_errors, search_errors)

__all__ = ["ConfigError", "validate_config"]


def validate_config(config: dict, schema: dict | None = None) -> dict:
    """Raise :class:`msdl.config.ConfigError` naming every fault by its dotted key; return
    ``config`` when valid (schema, shared cross-field checks, then each stage's checks)."""
    return _validate(config, schema, STAGE_CHECKS)
