#!/usr/bin/env bash
# Installs the Debian packages prunesim needs to build and test. Prints what it installs; does nothing
# (and touches no network) when everything is already present. Uses sudo when not root.
# --clang: also clang and its sanitizer and libFuzzer runtimes.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libsystemc-dev libeigen3-dev libboost-program-options-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev gtkwave python3-matplotlib python3-jinja2 chromium time
  slurm-wlm munge
  libonnx-dev libprotobuf-dev python3-onnx
)
# `make sanitize` and `make fuzz` build with clang (libFuzzer, and its ASan/UBSan runtimes).
if [[ ${1:-} == --clang ]]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi

echo "setup-deps: installing missing Debian packages: ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup-deps: done"
