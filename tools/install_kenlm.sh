#!/usr/bin/env bash
# Build KenLM's lmplz, build_binary and query into tools/kenlm/bin (a few minutes on 2 cores).
#
#   bash tools/install_kenlm.sh            # JOBS=4 bash tools/install_kenlm.sh to build with 4 jobs
#   export PATH="$PWD/tools/kenlm/bin:$PATH"
#
# The source is kenlm's source distribution on PyPI, which holds the whole C++ tree (lm/builder included).
# Needs cmake, a C++ compiler and Boost; run as root, it installs the Debian packages it lacks.
# Does nothing when this version is already built.
set -euo pipefail

version=0.3.0
dest=$(cd "$(dirname "$0")" && pwd)/kenlm
bin=$dest/bin
programs=(lmplz build_binary query)

built() {
  [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$version" ] || return 1
  for p in "${programs[@]}"; do [ -x "$bin/$p" ] || return 1; done
}

if built; then
  echo "KenLM $version already built in $bin"
else
  debs=(cmake g++ make libboost-program-options-dev libboost-system-dev libboost-thread-dev libboost-test-dev
    zlib1g-dev libbz2-dev liblzma-dev)
  missing=()
  for d in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q "ok installed" || missing+=("$d")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "error: KenLM needs: sudo apt-get install ${missing[*]}" >&2
      exit 1
    fi
    echo "Installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi

  work=$dest/build
  rm -rf "$work" "$bin"
  mkdir -p "$work"
  log=$work/build.log
  trap 'echo "error: KenLM build failed; the end of $log:" >&2; tail -n 30 "$log" >&2' ERR
  echo "Building KenLM $version (lmplz build_binary query) in $work"
  "${PYTHON:-python3}" -m pip download --no-deps --no-binary kenlm -d "$work" "kenlm==$version" >"$log" 2>&1
  tar xzf "$work/kenlm-$version.tar.gz" -C "$work"
  cmake -S "$work/kenlm-$version" -B "$work/cmake" -DCMAKE_BUILD_TYPE=Release >>"$log" 2>&1
  make -C "$work/cmake" -j"${JOBS:-2}" "${programs[@]}" >>"$log" 2>&1
  trap - ERR
  mkdir -p "$bin.tmp"
  for p in "${programs[@]}"; do cp "$work/cmake/bin/$p" "$bin.tmp/"; done
  mv "$bin.tmp" "$bin"
  echo "$version" >"$dest/VERSION"
  rm -rf "$work"
  echo "KenLM $version built in $bin"
fi
echo "To use it: export PATH=\"$bin:\$PATH\""
