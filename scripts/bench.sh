#!/usr/bin/env bash
# The benchmark commands: set-up, build, then one harness.
#   npm run bench -- [flags]            raw capture (bench/raw-capture.ts): the capture engine alone
#   npm run bench:pipeline -- [flags]   full pipeline (bench/full-pipeline.ts): socktap run -> unix socket
#   npm run bench:tls -- [flags]        TLS capture (bench/tls-capture.ts): HTTPS nginx, OpenSSL uprobes
#   npm run bench:uprobe -- [flags]     one uprobe hit (bench/uprobe-cost.ts): a loop over a stand-in libssl
#   npm run bench:overhead -- [flags]   overhead at saturation (bench/overhead.ts): floors vs socktap
# The harnesses load BPF programs (root or the BPF capabilities; they say what is missing) and run
# nginx and wrk. `--help` lists each one's flags; paths in flags are relative to the repository
# root, where lib.sh puts us.
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh
bash scripts/build.sh

case "${1:-}" in
  pipeline)
    shift
    log "full-pipeline benchmark"
    exec node dist/bench/full-pipeline.js "$@" ;;
  tls)
    shift
    log "TLS capture benchmark"
    exec node dist/bench/tls-capture.js "$@" ;;
  uprobe)
    shift
    log "uprobe cost benchmark"
    exec node dist/bench/uprobe-cost.js "$@" ;;
  overhead)
    shift
    log "floor programs and loader (bench/floor/.output)"
    make -s -C bench/floor
    log "overhead benchmark"
    exec node dist/bench/overhead.js "$@" ;;
esac
log "raw-capture benchmark"
exec node dist/bench/raw-capture.js "$@"
