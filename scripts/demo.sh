#!/usr/bin/env bash
# Runs the demo on the embedded default: one process, SQLite, local files, outbox queue.
# Extra arguments go to `sightline demo` (e.g. --exit, --listen 127.0.0.1:9090).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/sightline-target}"
exec cargo run --quiet -p sightline -- demo --data-dir "${SIGHTLINE_DEMO_DIR:-data/demo}" "$@"
