#!/usr/bin/env bash
# Set up (first run only) and start the planner on the built-in data: http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m streamlit run app.py \
  --server.headless true --browser.gatherUsageStats false --server.port "${PORT:-8501}" "$@"
