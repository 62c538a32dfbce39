"""Shared by every test: the project's root is the working directory, as for the pipeline's stages
(they read config/config.yaml from it)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
os.chdir(REPO_ROOT)
