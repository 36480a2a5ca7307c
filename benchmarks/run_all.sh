#!/usr/bin/env bash
# Every figure of docs/benchmarks/README.md, in the order they were measured.
#   benchmarks/run_all.sh                       # the shipped default model
#   MODEL=path/to/model OUT=docs/benchmarks benchmarks/run_all.sh
#   EDGE_1M=1 benchmarks/run_all.sh             # also build Qdrant Edge on 1M (long: see README)
# About 25 minutes on 2 shared cores without EDGE_1M.
set -euo pipefail
PY=${PY:-.venv/bin/python}
OUT=${OUT:-docs/benchmarks}
MODEL_ARGS=()
if [[ -n "${MODEL:-}" ]]; then MODEL_ARGS=(--model "$MODEL"); fi
run() { "$PY" -m benchmarks.ann_compare "${MODEL_ARGS[@]}" --out "$OUT" "$@"; }

run --dataset catalog
run --dataset 100k
run --dataset 100k --tag _c100 --candidates 100 --ef 64,128,256,512 \
    --engines edge,edge-sq,faiss-hnsw,faiss-ivfflat
run --dataset 25k --dataset 50k --queries 100 --ef 128,256,512 --engines edge,edge-sq,faiss-hnsw
run --dataset 1m --queries 100 --repeats 1 --engines faiss-flat
if [[ -n "${EDGE_1M:-}" ]]; then
    run --dataset 1m --tag _edge --queries 100 --repeats 1 --hnsw-m 32 --ef 128,256,512 --engines edge-sq
fi
"$PY" -m benchmarks.ann_growth --results "$OUT"
"$PY" -m benchmarks.rerank_cost "${MODEL_ARGS[@]}" --out "$OUT"
