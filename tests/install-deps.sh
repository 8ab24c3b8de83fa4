#!/usr/bin/env bash
# Install the Debian packages bcms needs to build, test and compare with its peers. Only what is
# missing is installed; run as root (or with sudo available).
set -euo pipefail
pkgs=(cmake gcc make pkg-config libhts-dev liblmdb-dev zlib1g-dev libgsl-dev libopenblas-dev liblapack-dev libdeflate-dev libzstd-dev
      bcftools tabix plink2 plink1.9 gemma gwama r-base-core r-cran-survival r-cran-metafor python3 time bsdextrautils
      libcairo2-dev libfontconfig-dev fonts-dejavu-core libopenmpi-dev openmpi-bin clang libclang-rt-14-dev libomp-dev lmdb-utils python3-yaml)
missing=()
for p in "${pkgs[@]}"; do
    dpkg -s "$p" > /dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    echo "installing: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi
