#!/usr/bin/env bash
# The main job on a fresh machine: set-up, build, then `socktap demo`.
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh
bash scripts/build.sh
exec node bin/socktap.js demo "$@"
