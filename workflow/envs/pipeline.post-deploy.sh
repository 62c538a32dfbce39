#!/usr/bin/env bash
# Run by `snakemake --use-conda` once, inside the new environment, from the project's root:
# the package itself, from this checkout, with its dependencies already pinned by pipeline.yaml.
set -euo pipefail
python -m pip install --no-deps --editable .
