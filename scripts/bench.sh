#!/usr/bin/env bash
# The benchmark command (`npm run bench -- [flags]`): set-up, build, then the raw-capture harness.
# The harness loads BPF programs (root or the BPF capabilities; it says what is missing) and runs
# nginx and wrk. Flags go to bench/raw-capture.ts (`npm run bench -- --help`); paths in flags are
# relative to the repository root, where lib.sh puts us.
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh
bash scripts/build.sh

log "raw-capture benchmark"
exec node dist/bench/raw-capture.js "$@"
