#!/usr/bin/env bash
# Builds the BPF object and skeleton, the native addon and the TypeScript. Each step is skipped
# when its inputs did not change, so a second run takes a second or two.
source "$(dirname "$0")/lib.sh"

for tool in clang bpftool make g++; do
  command -v "$tool" >/dev/null || die "$tool not found: run \`npm run setup\` first"
done
[ -d node_modules ] || die "node_modules missing: run \`npm run setup\` first"

log "BPF object and skeleton (bpf/.output)"
make -s -C bpf

addon=native/build/Release/socktap.node
if [ ! -f "$addon" ] || [ -n "$(find native/src bpf/.output/socktap.skel.h bpf/socktap.h native/binding.gyp -newer "$addon" 2>/dev/null | head -1)" ]; then
  log "native addon (node-gyp)"
  gyp_args=(rebuild --directory=native)
  # Build against the local Node headers when present: there is no network to download them.
  for d in /usr /usr/local "$(dirname "$(dirname "$(command -v node)")")"; do
    if [ -f "$d/include/node/node_api.h" ]; then gyp_args+=("--nodedir=$d"); break; fi
  done
  node node_modules/node-gyp/bin/node-gyp.js "${gyp_args[@]}" --loglevel=error >/dev/null \
    || die "native addon build failed: rerun \`node node_modules/node-gyp/bin/node-gyp.js rebuild --directory=native\` to see the compiler output"
else
  log "native addon: up to date"
fi

log "TypeScript (dist)"
node node_modules/typescript/bin/tsc -p tsconfig.json
