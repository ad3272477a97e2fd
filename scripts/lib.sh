# Shared helpers for the scripts in this folder. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '\033[1m[socktap]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[socktap] error:\033[0m %s\n' "$*" >&2; exit 1; }
