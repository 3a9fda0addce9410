#!/usr/bin/env bash
# On the GPU machine, from the folder that holds .device/ (prepared by bench/gpu/prepare.sh):
#
#   bash .device/run.sh              # the paper's model, batch 128, 5 warm-up + 20 timed steps, fp32
#   PRESET=quick BATCH=32 STEPS=5 WARMUP=1 bash .device/run.sh
#
# Sets up Node and the Vulkan loader (the machine may be bare each time), then measures, in one call and one after
# the other on the same GPU, this engine on WebGPU (with a kernel-by-kernel profile of one more step from timestamp
# queries) and the PyTorch + cuDNN reference on the same model. Output goes to stdout and, where $OUT is set, to
# $OUT/engine.txt and $OUT/torch.txt. ALLOW_SOFTWARE=1 lets the engine run on a software adapter (a dry run).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$(mktemp -d)}
work=$(mktemp -d)
preset=${PRESET:-paper} batch=${BATCH:-128} steps=${STEPS:-20} warmup=${WARMUP:-5}

if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  for f in "$here"/deb/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
xz -dc "$here/node.xz" > "$work/node" && chmod +x "$work/node"
xz -dc "$here/engine.tar.xz" | tar -C "$work" -xf -
if command -v nvidia-smi > /dev/null; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"; fi

echo "== engine (WebGPU) =="
(cd "$work" && ./node engine.mjs --preset "$preset" --batch "$batch" --steps "$steps" --warmup "$warmup" ${ALLOW_SOFTWARE:+--allow-software}) 2>&1 | tee "$out/engine.txt"
engine=${PIPESTATUS[0]}

echo "== PyTorch reference =="
"${PYTHON:-python3}" "$here/torch/alexnet_torch.py" --preset "$preset" --batch-size "$batch" --steps "$steps" --warmup "$warmup" ${TORCH_ARGS:-} 2>&1 | tee "$out/torch.txt"
torch=${PIPESTATUS[0]}
rm -rf "$work"
exit $(( engine != 0 ? engine : torch ))
