# shellcheck shell=bash
# Sourced by scripts/run and scripts/test: installs what building and testing Cohort needs,
# each tool only when it is missing or at the wrong version, so a second run takes seconds.
#
# The wasm32 toolchain comes from rustup where it can download the target (an ordinary
# machine); otherwise from Debian's rustc-web with the standard library built from source.
# Trunk never downloads anything: wasm-bindgen and wasm-opt are put on PATH here.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
TRUNK_VERSION=0.22.1
CARGO_DENY_VERSION=0.20.2
BINARYEN_VERSION=132.0.0
WASM_TARGET=wasm32-unknown-unknown
# wasm-bindgen-cli must equal the wasm-bindgen crate, which Cargo.toml pins with "=".
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"$/\1/p' "$ROOT/Cargo.toml")"

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$TOOLS/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else fail "need root to run: $*"
  fi
}

APT_UPDATED=
apt_install() {
  command -v apt-get >/dev/null || fail "cannot install $* here (no apt-get); install it by hand"
  if [ -z "$APT_UPDATED" ]; then
    say "apt-get update"
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  say "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

deb_installed() { # package: is this Debian package installed?
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

has_version() { # command version: does `command --version` mention that version?
  command -v "$1" >/dev/null && "$1" --version 2>/dev/null | grep -qF "$2"
}

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    # No rustup here: Debian's current toolchain serves the native target too.
    apt_install rustc-web cargo-web rust-web-clippy rustfmt-web
  fi
}

# Sets WASM_ENV: the environment in which cargo (and trunk) build for wasm32.
# COHORT_WASM_TOOLCHAIN=rustup or =debian skips the choice (default: auto).
WASM_ENV=()
ensure_wasm_toolchain() {
  local choice="${COHORT_WASM_TOOLCHAIN:-auto}"
  if [ "$choice" != debian ] && command -v rustup >/dev/null; then
    if rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET" ||
      timeout 120 rustup target add "$WASM_TARGET" >/dev/null 2>&1; then
      WASM_ENV=(env)
      return
    fi
    [ "$choice" = rustup ] && fail "rustup cannot add the $WASM_TARGET target"
    say "rustup cannot add $WASM_TARGET here; using Debian's rustc-web with std built from source"
  fi
  local package packages=()
  for package in rustc-web cargo-web rust-web-src rust-web-clippy; do
    deb_installed "$package" || packages+=("$package")
  done
  [ ${#packages[@]} -eq 0 ] || apt_install "${packages[@]}"
  # rust-lld links wasm; it points at a versioned lld that may not be installed yet.
  if [ ! -x "$(readlink -f /usr/bin/rust-lld)" ]; then
    apt_install "$(basename "$(readlink /usr/bin/rust-lld)")"
  fi
  WASM_ENV=(env "PATH=/usr/bin:$PATH" RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort)
}

cargo_install() { # crate version
  say "installing $1 $2 (compiles once, a few minutes)"
  # --locked keeps the tool's own tested dependencies; some tools' lock files name releases
  # the registry no longer serves, and some need a newer rustc than stable: so each attempt
  # below is the next-best, and the errors printed before the one that works are expected.
  cargo install "$1" --version "$2" --locked --quiet && return
  say "retrying $1 without its lock file"
  cargo install "$1" --version "$2" --quiet && return
  if command -v rustup >/dev/null && rustup toolchain list | grep -q '^nightly'; then
    say "retrying $1 with the nightly toolchain"
    cargo +nightly install "$1" --version "$2" --locked --quiet && return
  fi
  fail "could not install $1 $2"
}

ensure_build_tools() {
  has_version trunk "$TRUNK_VERSION" || cargo_install trunk "$TRUNK_VERSION"
  { has_version wasm-bindgen "$WASM_BINDGEN_VERSION" &&
    has_version wasm-bindgen-test-runner "$WASM_BINDGEN_VERSION"; } ||
    cargo_install wasm-bindgen-cli "$WASM_BINDGEN_VERSION"
  if ! has_version wasm-opt "version ${BINARYEN_VERSION%%.*}"; then
    command -v npm >/dev/null || apt_install nodejs npm
    say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION)"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION" >/dev/null
  fi
}

# cargo-deny checks the dependencies' licences, duplicates and sources (deny.toml).
ensure_cargo_deny() {
  has_version cargo-deny "$CARGO_DENY_VERSION" || cargo_install cargo-deny "$CARGO_DENY_VERSION"
}

# Sets CHROMIUM and CHROMEDRIVER for the browser tests.
ensure_browser() {
  CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}"
  CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver || true)}"
  if [ -z "$CHROMIUM" ] || [ -z "$CHROMEDRIVER" ]; then
    apt_install chromium chromium-driver
    CHROMIUM=/usr/bin/chromium CHROMEDRIVER=/usr/bin/chromedriver
  fi
  export CHROMIUM CHROMEDRIVER
}

# Node.js and the reference automerge-repo packages (tests/js), for the interop tests and the
# sync benchmark. `npm ci` runs again only when the lock file changed.
ensure_js_peers() {
  command -v npm >/dev/null || apt_install nodejs npm
  local js="$ROOT/tests/js"
  if ! cmp -s "$js/package-lock.json" "$js/node_modules/.installed-lock.json" 2>/dev/null; then
    say "installing the reference automerge-repo packages (npm ci in tests/js)"
    npm ci --prefix "$js" --no-audit --no-fund --silent >/dev/null
    cp "$js/package-lock.json" "$js/node_modules/.installed-lock.json"
  fi
}

# Fetches every crate the wasm build needs (with build-std, the standard library's own), so
# that trunk can run cargo offline.
fetch_wasm_crates() {
  "${WASM_ENV[@]}" cargo fetch --locked --quiet --target "$WASM_TARGET"
}

# Runs trunk with the wasm toolchain, offline: it neither downloads tools nor checks for updates.
trunk_offline() { # subcommand [options]
  fetch_wasm_crates
  "${WASM_ENV[@]}" "$(command -v trunk)" "$1" --offline=true "${@:2}"
}

# Builds the app into dist/ (release: wasm-opt included).
build_app() {
  say "building the app (trunk build --release)"
  trunk_offline build --release --quiet
}
