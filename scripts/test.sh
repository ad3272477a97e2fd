#!/usr/bin/env bash
# The one test command (README, CI): set-up, build, then every test through node:test.
# Tests that load BPF share the kernel, so files run one at a time (--test-concurrency=1).
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh
bash scripts/build.sh

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find test -name '*.test.ts' | sort)
fi
log "running ${#files[@]} test files"
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
