#!/usr/bin/env bash
# A sitrep binary any x86_64 Linux jump host can run: linked against glibc 2.17 (RHEL/CentOS
# 7 and newer, Ubuntu 14.04+, Debian 8+), LTO, stripped. cargo-zigbuild links with zig's
# glibc 2.17 stubs, so no symbol newer than 2.17 can slip in from the build machine's glibc.
#   scripts/dist.sh [OUT]     (default OUT: dist/sitrep-x86_64-linux-glibc2.17)
# Installs cargo-zigbuild and zig (PyPI: cargo-zigbuild, ziglang) if missing. Fails unless
# the binary is at most 12 MiB and needs no GLIBC symbol version newer than 2.17. Uses the
# `dist` cargo profile (Cargo.toml), so the test build keeps its own faster settings.
# CI runs it in the background with its own CARGO_TARGET_DIR, so it does not hold the main
# target directory's lock while the later steps build.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist/sitrep-x86_64-linux-glibc2.17}"
target=x86_64-unknown-linux-gnu
glibc=2.17
max_bytes=$((12 * 1024 * 1024))

if ! command -v cargo-zigbuild >/dev/null; then
  # The interpreter CI and developers already have (as for schemathesis); Debian's own
  # python3 needs --break-system-packages, a pyenv or venv python does not accept it.
  python3 -m pip install -q cargo-zigbuild ziglang 2>/dev/null ||
    python3 -m pip install -q --break-system-packages cargo-zigbuild ziglang
fi
command -v objdump >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; apt-get install -y -qq binutils >/dev/null; }
rustup target list --installed | grep -qx "$target" || rustup target add "$target"

start=$(date +%s)
cargo zigbuild --locked --profile dist --target "$target.$glibc" --bin sitrep
took=$(( $(date +%s) - start ))
bin="${CARGO_TARGET_DIR:-target}/$target/dist/sitrep"

bytes=$(stat -c %s "$bin")
# Versions of the GLIBC symbols the binary needs (GLIBC_PRIVATE is not a version).
newest=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
echo "dist: $bin: $bytes bytes ($(( bytes / 1024 / 1024 )) MiB), newest GLIBC symbol $newest, built in ${took}s"

fail=0
if (( bytes > max_bytes )); then
  echo "dist: $bytes bytes is over the 12 MiB bound ($max_bytes)" >&2
  fail=1
fi
if [ "$(printf '%s\n%s\n' "$newest" "$glibc" | sort -V | tail -1)" != "$glibc" ]; then
  echo "dist: needs GLIBC_$newest, newer than $glibc:" >&2
  objdump -T "$bin" | grep -E "GLIBC_$newest\b" >&2 || true
  fail=1
fi
if ! "$bin" --version >/dev/null; then
  echo "dist: the binary does not run here" >&2
  fail=1
fi
(( fail == 0 )) || exit 1
mkdir -p "$(dirname "$out")"
cp "$bin" "$out"
echo "dist: $out"
