#!/usr/bin/env bash
# Builds two copies of our ggml harness (harness.c) against the llama.cpp sources bundled with
# node-llama-cpp, so the quantization test vectors come from the same ggml that the node-llama-cpp
# binary runs:
#   harness-native  ggml-cpu built with -march=native: the x86 SIMD paths (what llama.cpp runs here)
#   harness-scalar  ggml-cpu built for baseline x86-64 with every SIMD option off and
#                   -ffp-contract=off: ggml's scalar reference paths, float op for float op
# Usage: build.sh OUT_DIR        (run by hand when regenerating vectors; never in CI)
set -euo pipefail

OUT_DIR=$(mkdir -p "$1" && cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
BUNDLE="$REPO/node_modules/node-llama-cpp/llama/gitRelease.bundle"
JOBS=${JOBS:-2}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
git -c advice.detachedHead=false clone -q "$BUNDLE" "$WORK/llama.cpp"
SRC="$WORK/llama.cpp/ggml"
# The bundle leaves out ggml.pc.in, which a standalone ggml configure insists on; a pkg-config file
# is irrelevant here.
: >"$SRC/ggml.pc.in"

build_ggml() { # name, extra cmake args...
  local name=$1; shift
  local log="$WORK/build-$name.log"
  if ! { cmake -S "$SRC" -B "$WORK/build-$name" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
      -DGGML_OPENMP=OFF -DGGML_CCACHE=OFF -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=OFF "$@" &&
    cmake --build "$WORK/build-$name" --target ggml-base ggml-cpu -j "$JOBS"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    exit 1
  fi
  local base cpu
  base=$(find "$WORK/build-$name" -name 'libggml-base.a' | head -n 1)
  cpu=$(find "$WORK/build-$name" -name 'libggml-cpu.a' | head -n 1)
  gcc -O2 -std=c11 "${HARNESS_CFLAGS[@]}" -I "$SRC/include" "$HERE/harness.c" "$cpu" "$base" \
    -lstdc++ -lm -lpthread -o "$OUT_DIR/harness-$name"
}

HARNESS_CFLAGS=(-march=native)
build_ggml native -DGGML_NATIVE=ON

HARNESS_CFLAGS=(-ffp-contract=off)
build_ggml scalar -DGGML_NATIVE=OFF -DGGML_SSE42=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_BMI2=OFF \
  -DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_AVX512=OFF -DGGML_LLAMAFILE=OFF -DGGML_CPU_REPACK=OFF \
  -DCMAKE_C_FLAGS=-ffp-contract=off -DCMAKE_CXX_FLAGS=-ffp-contract=off

{
  echo "llama.cpp commit: $(git -C "$WORK/llama.cpp" rev-parse HEAD)"
  echo "node-llama-cpp llama.cpp release: $(sed -n 's/.*"tag": *"\([^"]*\)".*/\1/p' "$REPO/node_modules/node-llama-cpp/llama/llama.cpp.info.json")"
  echo "ggml version: $(sed -n 's/^set(GGML_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\))/\2/p' "$SRC/CMakeLists.txt" | paste -sd.)"
  echo "compiler: $(gcc --version | head -n 1)"
  echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  echo "cpu simd: $(grep -m 1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -x -E 'avx|avx2|fma|f16c|avx512f|avx512bw|avx512vl|avx512_vnni|avx512vnni|avx512_bf16|avxvnni' | paste -sd ' ')"
} >"$OUT_DIR/versions.txt"
cat "$OUT_DIR/versions.txt"
