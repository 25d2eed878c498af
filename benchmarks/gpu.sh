#!/usr/bin/env bash
# GPU benchmark, one run: t5mt against the Hugging Face Seq2SeqTrainer recipe with the t5-small
# architecture (random init), bf16, same data, batch and seed; tokens/s, MFU against the measured
# bf16 matmul peak, and decoding speed (t5mt, HF predict_with_generate, CTranslate2). Then a
# sweep check (benchmarks/ray_sweep.py): one job per GPU through launcher=ray, each on its own
# device, against the same jobs one after another.
#
#   bash benchmarks/gpu.sh                 # on a machine with a CUDA GPU
#   bash benchmarks/gpu.sh --dry-run       # the same code path on the CPU, tiny sizes
#   bash benchmarks/gpu.sh --rounds 5      # other options go to benchmarks/train_throughput.py
#
# The Markdown report is printed and written to $OUT/gpu_benchmark.md (default: the current
# folder). Uses the Multi30k files at ../shared/data/multi30k when present, else synthetic data.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

python - <<'PY'
import importlib.util, sys
missing = [m for m in ("torch", "transformers", "pytorch_lightning", "accelerate", "ctranslate2",
                       "ray") if importlib.util.find_spec(m) is None]
if missing:
    sys.exit(f"error: missing Python packages {missing}: pip install -e '.[speed,ray]'")
PY

if [[ "${1:-}" == "--dry-run" ]]; then
    shift
    options=(--dry-run --device cpu)
    sweep_options=(--dry-run)
else
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    options=(--device cuda --model t5-small --precision bf16-mixed --rounds 3 --warmup 10
             --steps 50 --eval-sentences 1000)
    sweep_options=(--device cuda)
fi
report="${OUT:-.}/gpu_benchmark.md"
python benchmarks/train_throughput.py "${options[@]}" "$@" | tee "$report"
python benchmarks/ray_sweep.py "${sweep_options[@]}" | tee -a "$report"
echo "report: $report" >&2
