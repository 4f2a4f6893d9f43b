# Shared by scripts/run, scripts/test and scripts/bench: packages and builds.
# shellcheck shell=bash

EG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages edgegate needs to build, run and test.
EG_BUILD_PKGS="gcc make autoconf automake pkg-config libmicrohttpd-dev libfcgi-dev libssl-dev libxml2-dev libjansson-dev
  libgnutls28-dev libsqlite3-dev"
EG_RUN_PKGS="openssl nginx libnginx-mod-http-echo"
EG_TEST_PKGS="python3 procps apache2 lighttpd testssl.sh nodejs chromium chromium-driver
  python3-selenium"
# npm runs the cache conformance suite (tests/conformance); NodeSource's nodejs has it
# inside, and conflicts with Debian's npm package, so that is asked for only when npm is missing
command -v npm >/dev/null || EG_TEST_PKGS+=" npm"
EG_BENCH_PKGS="wrk"

eg_say() { printf '==> %s\n' "$*" >&2; }

# Installs what is missing when root; otherwise says what to install and fails.
eg_need() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "edgegate needs these Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
  eg_say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Debian starts nginx on port 80 when it is installed where init runs; we start our own.
  if [[ " ${missing[*]} " == *" nginx "* ]] && command -v service >/dev/null; then
    service nginx stop >/dev/null 2>&1 || true
  fi
}

# eg_build DIR [configure options]: an out-of-tree build under build/DIR.
eg_build() {
  local dir=$EG_ROOT/build/$1; shift
  if [ ! -x "$EG_ROOT/configure" ] || [ "$EG_ROOT/configure.ac" -nt "$EG_ROOT/configure" ]; then
    eg_say "autoreconf"
    (cd "$EG_ROOT" && autoreconf -fi >/dev/null 2>&1) || { (cd "$EG_ROOT" && autoreconf -fi); return 1; }
  fi
  mkdir -p "$dir"
  if [ ! -f "$dir/Makefile" ] || [ "$EG_ROOT/configure" -nt "$dir/Makefile" ]; then
    eg_say "configure $* (build/$(basename "$dir"))"
    (cd "$dir" && "$EG_ROOT/configure" -q "$@") || return 1
  fi
  eg_say "make (build/$(basename "$dir"))"
  make -s -C "$dir" -j"$(nproc)" >/dev/null || make -C "$dir" || return 1
}
