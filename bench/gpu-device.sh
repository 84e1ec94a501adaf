#!/bin/bash
# bench:gpu on a GPU machine that has neither this project's Node nor its node_modules (the device
# machines lent to some sessions): unpacks what `npm run bench:gpu -- --pack DIR` put in DIR, points
# Vulkan's loader at the NVIDIA driver, runs the WebGPU bench (Dawn on Vulkan) and PyTorch's CUDA
# yardstick on the same GPU. Writes gpu-bench.json, gpu-bench.log and torch-cuda.json to $OUT (or .).
# Usage, from the checkout's root: bash bench/gpu-device.sh DIR   (Vulkan's loader: see the README)
pack=${1:-.gpu}
out=${OUT:-.}
for f in .gl/*.deb; do [ -f "$f" ] && dpkg -x "$f" /; done
ldconfig
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
  /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] && { export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd; echo "Vulkan driver: $icd"; break; }
done
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
lscpu | grep -E "Model name|^CPU\(s\)"
xz -dc "$pack/node.xz" >/tmp/node && chmod +x /tmp/node && /tmp/node --version || exit 1
(cd "$pack" && timeout "${BENCH_S:-360}" /tmp/node gpu-bench.mjs --model model.json --out "$out/gpu-bench.json" \
  --sizes "${SIZES:-128,224}" --batch 16 --steps "${STEPS:-5}" --repeats "${REPEATS:-5}" --check-sizes 128 2>&1 |
  grep -v "artificially\|^Hi, looks\|=====\|tfjs-node" | tee "$out/gpu-bench.log")
timeout 150 python3 bench/torch_speed.py "${SIZES:-128,224}" 16 5 0 cuda 2>&1 | tail -3 | tee "$out/torch-cuda.json"
