#!/usr/bin/env bash
# Runs the whole test suite: formatting and lint checks, then every test of the workspace
# against real servers (etcd, Redis, and a Kafka-protocol broker once the Kafka crate exists),
# which this script installs when missing, starts on free loopback ports, and stops at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh

step() { printf '\n==> %s\n' "$*" >&2; }

services=(etcd redis)
# Under CI (root), a kernel test that cannot run fails instead of skipping.
if [ -n "${CI:-}" ]; then
  export CNINFRA_REQUIRE_KERNEL_TESTS=1
fi
step "installing what the tests need (skipped when present)"
services_install_apt
services_install_browser
services_install_python_crypto
if [ -d crates/cninfra-kafka ]; then
  services_install_kafka
  services+=(kafka)
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo doc (broken links and doc warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

trap services_stop EXIT
step "starting test servers: ${services[*]}"
services_start "${services[@]}"

step "cargo test"
cargo test --workspace --no-fail-fast
