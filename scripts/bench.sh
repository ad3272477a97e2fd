#!/usr/bin/env bash
# The benchmark command (`npm run bench -- [flags]`): set-up, build, then the raw-capture harness.
# The harness loads BPF programs and runs nginx and wrk, so it needs root like the e2e tests.
# Flags go to bench/raw-capture.ts (`npm run bench -- --help`); paths are relative to the repo root.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || die "the benchmark loads BPF programs: run it as root"
bash scripts/setup.sh
bash scripts/build.sh

log "raw-capture benchmark"
exec node dist/bench/raw-capture.js "$@"
