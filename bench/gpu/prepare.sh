#!/usr/bin/env bash
# Prepares .device/: what bench/gpu/run.sh needs on a bare Linux x86-64 machine with an NVIDIA GPU and PyTorch but no
# Node.js, no Vulkan loader and no network. Run it here, from the repository root, after npm ci:
#
#   bash bench/gpu/prepare.sh        # then copy or carry .device/ to the GPU machine and run: bash .device/run.sh
#
# .device/ holds: node.xz (this machine's Node, compressed), deb/ (Debian's libvulkan1 for amd64), engine.tar.xz
# (bench/gpu/engine-bench.ts bundled into one file, with Dawn's linux-x64 `webgpu` addon beside it), the PyTorch
# reference (bench/alexnet_torch.py and the model it imports) and run.sh. About 40 MB; .device/ is not committed.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.device
rm -rf "$out" && mkdir -p "$out/deb" "$out/torch"

# Node, compressed.
xz -T2 -6 -c "$(command -v node)" > "$out/node.xz"

# The Vulkan loader, which Dawn opens to reach NVIDIA's driver.
lists=$(mktemp -d)
mkdir -p "$lists/partial"
apt_options=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
apt-get "${apt_options[@]}" update -qq
(cd "$out/deb" && apt-get "${apt_options[@]}" download -qq libvulkan1)
rm -rf "$lists"

# The engine in one file; only Dawn's native addon stays a package of its own.
stage=$(mktemp -d)
node bench/gpu/bundle.mjs "$stage"
tar -C "$stage" -cf - engine.mjs node_modules | xz -T2 -6 > "$out/engine.tar.xz"
rm -rf "$stage"

cp bench/alexnet_torch.py bench/reference_train.py "$out/torch/"
cp bench/gpu/run.sh "$out/run.sh"
du -sh "$out"
