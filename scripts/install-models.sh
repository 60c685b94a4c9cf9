#!/usr/bin/env bash
# Fetches the models Sightline runs on the device into the model cache
# (${SIGHTLINE_MODELS_DIR:-$HOME/.cache/sightline/models}) when they are missing, from the
# packages that ship them, and checks each against the SHA-256 written here (the Rust loaders
# check the same value).
#   silero_vad_openvino_16k.onnx  Silero VAD, PyPI silero-vad 6.2.3, MIT
#     (the package's main silero_vad.onnx has If nodes that tract rejects; this export has none)
set -euo pipefail

dir="${SIGHTLINE_MODELS_DIR:-$HOME/.cache/sightline/models}"
mkdir -p "$dir"

vad_file=silero_vad_openvino_16k.onnx
vad_sha256=7776b81ad1b0350c15d7f1555943b9232eb53e9ca5d989c6d0cea9ebc8664d87

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

if ! sha_ok "$dir/$vad_file" "$vad_sha256"; then
    echo "fetching $vad_file (PyPI silero-vad 6.2.3) into $dir" >&2
    pip=""
    for candidate in pip3 pip "python3 -m pip"; do
        if $candidate --version >/dev/null 2>&1; then pip="$candidate"; break; fi
    done
    [ -n "$pip" ] || { echo "pip is missing: run scripts/install-deps.sh (python3-pip)" >&2; exit 1; }
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    $pip download --quiet --no-deps --disable-pip-version-check silero-vad==6.2.3 -d "$tmp" >&2
    unzip -q -j -o "$tmp"/silero_vad-6.2.3-*.whl "silero_vad/data/$vad_file" -d "$tmp"
    if ! sha_ok "$tmp/$vad_file" "$vad_sha256"; then
        echo "$vad_file from silero-vad 6.2.3 does not match SHA-256 $vad_sha256; not installed" >&2
        exit 1
    fi
    # Rename into place so a reader never sees half a file.
    install -m 0644 "$tmp/$vad_file" "$dir/.$vad_file.part"
    mv -f "$dir/.$vad_file.part" "$dir/$vad_file"
fi
bash "$(dirname "$0")/install-detector.sh"
echo "models ready in $dir" >&2
