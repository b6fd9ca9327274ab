#!/usr/bin/env bash
# Set up (first run only) and start the planner on the built-in data: http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Streamlit refuses uploads above its own size in the browser, in English; let every file
# up to the planner's largest limit through, so the planner's own check answers in the
# interface language (PLANNER_MAX_UPLOAD_MB, PLANNER_MAX_ROAD_MB: planner/limits.py).
STREAMLIT_SERVER_MAX_UPLOAD_SIZE="${STREAMLIT_SERVER_MAX_UPLOAD_SIZE:-$(.venv/bin/python -c \
  'from planner.limits import upload_ceiling_mb; print(upload_ceiling_mb())')}"
export STREAMLIT_SERVER_MAX_UPLOAD_SIZE
exec .venv/bin/python -m streamlit run app.py \
  --server.headless true --browser.gatherUsageStats false --server.port "${PORT:-8501}" "$@"
