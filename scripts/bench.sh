#!/usr/bin/env bash
# The benchmark commands: set-up, build, then one harness.
#   npm run bench -- [flags]            raw capture (bench/raw-capture.ts): the capture engine alone
#   npm run bench:pipeline -- [flags]   full pipeline (bench/full-pipeline.ts): socktap run -> unix socket
#   npm run bench:tls -- [flags]        TLS capture (bench/tls-capture.ts): HTTPS nginx, OpenSSL uprobes
#   npm run bench:uprobe -- [flags]     one uprobe hit (bench/uprobe-cost.ts): a loop over a stand-in libssl
#   npm run bench:overhead -- [flags]   overhead at saturation (bench/overhead.ts): floors vs socktap
#   npm run bench:rate -- [flags]       cost per exchange at fixed rates (bench/fixed-rate.ts)
#   npm run bench:pcap -- [flags]       packet capture (tshark, tcpdump) vs socktap (bench/pcap-compare.ts)
#   npm run bench:scale -- [flags]      10k connections, 100k short connections, body sizes (bench/scale.ts)
#   npm run bench:soak -- [flags]       10 minutes of mixed traffic with churn (bench/soak.ts)
#   npm run bench:replay -- [flags]     the JavaScript path and the fast path on recorded batches (bench/replay.ts)
# The harnesses load BPF programs (root or the BPF capabilities; they say what is missing) and run
# nginx and wrk. `--help` lists each one's flags; paths in flags are relative to the repository
# root, where lib.sh puts us.
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh
bash scripts/build.sh

# `npm run bench:<name>` -> dist/bench/<harness>.js; no name: the raw-capture benchmark.
harness=raw-capture
case "${1:-}" in
  pipeline) harness=full-pipeline ;;
  tls) harness=tls-capture ;;
  uprobe) harness=uprobe-cost ;;
  overhead) harness=overhead ;;
  rate) harness=fixed-rate ;;
  pcap) harness=pcap-compare ;;
  scale) harness=scale ;;
  soak) harness=soak ;;
  replay) harness=replay ;;
esac
[ "$harness" = raw-capture ] || shift
if [ "$harness" = overhead ]; then
  log "floor programs and loader (bench/floor/.output)"
  make -s -C bench/floor
fi
log "$harness benchmark"
exec node "dist/bench/$harness.js" "$@"
