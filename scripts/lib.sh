# Shared helpers for scripts/setup, scripts/test and scripts/peers. Source it; do not run it.
# Debian 12 is the supported system; elsewhere the package step only warns.

# Packages needed to build sipline (opus links libopus, cpal links ALSA).
SIPLINE_BUILD_PKGS=(build-essential cmake pkg-config libasound2-dev libopus-dev)
# Real SIP peers used by the process tests (sip-tester is sipp).
SIPLINE_PEER_PKGS=(sip-tester baresip kamailio sox)
# Oldest Rust that builds the crate (Cargo.toml rust-version).
SIPLINE_MIN_RUST=1.85.0

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "error: $*"; exit 2; }

# Run a command as root: directly when root, through sudo when available.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root to run '$*' (not root and sudo is missing); install it by hand and retry"
  fi
}

# ensure_packages PKG...: install the missing ones with one apt-get update, at most once.
ensure_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    say "warning: not a Debian system; make sure these are installed: $*"
    return 0
  fi
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "installing missing Debian packages: ${missing[*]}"
  # Never let a package (kamailio) start a service that listens on every interface.
  local policy=/usr/sbin/policy-rc.d made_policy=
  if [ ! -e "$policy" ]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy" && made_policy=1
  fi
  if [ -z "${SIPLINE_APT_UPDATED:-}" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    SIPLINE_APT_UPDATED=1
  fi
  local rc=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" || rc=$?
  [ -n "$made_policy" ] && as_root rm -f "$policy"
  [ "$rc" -eq 0 ] || die "apt-get install failed (exit $rc)"
}

# ensure_rust [COMPONENT...]: a cargo/rustc >= SIPLINE_MIN_RUST on PATH, via rustup if needed.
ensure_rust() {
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
  local have=
  command -v rustc >/dev/null 2>&1 && command -v cargo >/dev/null 2>&1 &&
    have=$(rustc --version | awk '{print $2}')
  if [ -z "$have" ] || [ "$(printf '%s\n%s\n' "$SIPLINE_MIN_RUST" "$have" | sort -V | head -n1)" != "$SIPLINE_MIN_RUST" ]; then
    if command -v rustup >/dev/null 2>&1; then
      say "Rust ${have:-missing} is older than $SIPLINE_MIN_RUST; updating the stable toolchain"
      rustup toolchain install stable --profile minimal
      rustup default stable
    else
      say "installing Rust with rustup (https://rustup.rs) into $HOME/.cargo"
      ensure_packages curl ca-certificates
      curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
        sh -s -- -y --profile minimal --default-toolchain stable
      . "$HOME/.cargo/env"
    fi
  fi
  if [ "$#" -gt 0 ] && command -v rustup >/dev/null 2>&1; then
    local c
    for c in "$@"; do
      rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
    done
  fi
}
