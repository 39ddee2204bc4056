#!/usr/bin/env bash
# Builds the Debian package in one command: target/debian/customer-desk_VERSION_ARCH.deb.
#
# Needs cargo-deb (`cargo install cargo-deb --locked`) and, for the `$auto` dependencies,
# dpkg-shlibdeps (`apt-get install dpkg-dev`). The binary is built with the `deb` profile
# (release without debug info, stripped); the man pages and shell completions are written
# by the binary itself from its clap definitions (`customer-desk package-files`).
# Set CUSTOMER_DESK_REVISION to name the revision of a build outside a git checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo-deb >/dev/null || { echo "cargo-deb is missing: cargo install cargo-deb --locked" >&2; exit 1; }
command -v dpkg-shlibdeps >/dev/null || { echo "dpkg-shlibdeps is missing: apt-get install dpkg-dev" >&2; exit 1; }

cargo build --locked --profile deb
rm -rf target/package-files
target/deb/customer-desk package-files target/package-files
cargo deb --locked --profile deb --no-build --output target/debian/
