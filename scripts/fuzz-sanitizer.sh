#!/usr/bin/env bash
# Fuzzes the sanitizer (fuzz/fuzz_targets/sanitize.rs) for SECONDS (default 300).
#   scripts/fuzz-sanitizer.sh [SECONDS]
# Installs cargo-fuzz if it is missing. Only the stable toolchain is needed: cargo-fuzz's
# nightly-only flags are allowed through RUSTC_BOOTSTRAP=1. Runs with AddressSanitizer when
# its runtime is available, else without (-s none). New inputs go to fuzz/corpus/sanitize
# (not committed); the seeds are fuzz/seeds/sanitize; a crash is saved in fuzz/artifacts/ and
# fails the script.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-300}"
export RUSTC_BOOTSTRAP=1
# The fuzz crate has its own target directory; an inherited one would mix flags.
unset CARGO_TARGET_DIR
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
sanitizer=address
if ! cargo fuzz build -s address sanitize; then
  echo "fuzz: AddressSanitizer build failed; fuzzing without a sanitizer"
  sanitizer=none
  cargo fuzz build -s none sanitize
fi
mkdir -p corpus/sanitize
cargo fuzz run -s "$sanitizer" sanitize corpus/sanitize seeds/sanitize -- \
  -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1
