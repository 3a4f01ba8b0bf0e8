#!/usr/bin/env bash
# Builds the cargo-fuzz targets in fuzz/ and runs each for the given time (seconds, default
# 60), starting from the seed inputs in fuzz/seeds/<target>/ (upstream's sample configs,
# model values, templates, keys, REST requests) and the corpus grown by earlier runs
# (fuzz/corpus/<target>/, not committed). Prints, per target, the executions and whether
# it found anything; a finding is kept in fuzz/artifacts/<target>/ and the script ends
# non-zero. Needs the nightly toolchain and cargo-fuzz (installed when missing).
#
#   scripts/fuzz.sh [seconds-per-target] [target...]
#
# Reproduce a finding with `cd fuzz && cargo +nightly fuzz run -s none <target> <file>`.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${1:-60}"
shift || true
export CARGO_INCREMENTAL=0
fuzz=(cargo +nightly fuzz)
# No sanitizer: the workspace has no unsafe code of its own (`unsafe_code = "deny"`); panics,
# hangs and memory growth are what the targets look for. Debug assertions (overflow checks)
# stay on, as cargo-fuzz builds by default.
build_flags=(-s none)

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz
fi

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <("${fuzz[@]}" list)
fi

"${fuzz[@]}" build "${build_flags[@]}"

failed=()
printf '%-20s %12s %10s  %s\n' target executions exec/s result
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target" "seeds/$target"
  log="$(mktemp)"
  status=0
  # -timeout: one input longer than 10 s is a hang; -rss_limit_mb: memory growth.
  "${fuzz[@]}" run "${build_flags[@]}" "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  if [ "$status" -eq 0 ]; then
    result="no finding"
  else
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
    result="FINDING (exit $status): ${artifact:-see log}"
    failed+=("$target")
    grep -m3 -E "panicked at|ERROR: libFuzzer|SUMMARY" "$log" | sed 's/^/    /' >&2 || true
  fi
  printf '%-20s %12s %10s  %s\n' "$target" "${runs:-?}" "${speed:-?}" "$result"
  rm -f "$log"
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "findings in: ${failed[*]}" >&2
  exit 1
fi
