#!/usr/bin/env bash
# Installs what socktap needs, idempotently: Debian packages (only the missing ones, with one
# `apt-get update` first), then the npm dependencies (only when package-lock.json changed).
source "$(dirname "$0")/lib.sh"

# Build: clang/llvm/bpftool/libbpf for the BPF object, g++/make/python3 for node-gyp.
# Tests and benchmarks: real servers and clients (nginx, python3, curl, wrk), iproute2, procps;
# openssl for the TLS tests' throwaway certificates (libssl3 itself comes with curl and nginx);
# tshark and tcpdump for the packet-capture comparison (bench:pcap; without the setuid dumpcap:
# the noninteractive install keeps wireshark-common's default, and the benchmark runs as root).
PACKAGES=(clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool make g++ python3 pkg-config
          nginx curl wrk iproute2 procps openssl tshark tcpdump)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get: install them with your package manager"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "missing packages (${missing[*]}): run as root, or install them first"
    SUDO="sudo"
  fi
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts nginx on install; tests and benchmarks run their own instances on their own ports.
  if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then $SUDO systemctl stop nginx || true; fi
else
  log "Debian packages: all present"
fi

lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp="node_modules/.socktap-lock-hash"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
  log "npm dependencies: up to date"
else
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi
