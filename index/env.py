"""Reading settings from environment variables: the parsing rules, shared by every settings object."""
from __future__ import annotations

import os


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def env_switch(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value not in ("0", "off", "false", "no")


def second_encoder_enabled() -> bool:
    """SECOND_ENCODER (default on): build USE vectors and fuse them for cross-lingual queries."""
    return env_switch("SECOND_ENCODER", True)
