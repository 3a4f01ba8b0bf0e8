#!/usr/bin/env bash
# The REST server under load (issue 18, section 6): installs wrk when missing, then runs
# the bench (release build). Extra arguments go to the bench:
#   scripts/bench-rest-load.sh --runs 3 --duration 30 --connections 32 --values 100000
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk
fi
exec cargo run --release -p cninfra-rest-bench -- "$@"
