#!/usr/bin/env bash
# Every figure of docs/benchmarks/README.md, in the order they were measured.
#   benchmarks/run_all.sh                       # the shipped default model
#   MODEL=path/to/model OUT=docs/benchmarks benchmarks/run_all.sh
#   EDGE_1M=1 benchmarks/run_all.sh             # also build Qdrant Edge on 1M (~15 min more)
# About 40 minutes on 2 busy shared cores without EDGE_1M.
set -euo pipefail
PY=${PY:-.venv/bin/python}
OUT=${OUT:-docs/benchmarks}
MODEL_ARGS=()
if [[ -n "${MODEL:-}" ]]; then MODEL_ARGS=(--model "$MODEL"); fi
run() { "$PY" -m benchmarks.ann_compare "${MODEL_ARGS[@]}" --out "$OUT" "$@"; }
FAISS=faiss-flat,faiss-hnsw,faiss-ivfflat,faiss-ivf-hybrid,faiss-ivfpq

# Catalog: everything (Edge answers exactly here: the whole set is under its full-scan threshold).
run --dataset catalog --engines edge,edge-sq,edge-acorn,$FAISS --hnsw-m 16,32 --ef 16,64,128,256,512
# 100k: Qdrant's default graph (m 16) ...
run --dataset 100k --tag _m16 --engines edge --hnsw-m 16 --ef 64,128,256,512,1024
# ... and m 32 plain, int8-quantized and with ACORN filtered search, against every FAISS index.
run --dataset 100k --engines edge,edge-sq,edge-acorn,$FAISS --hnsw-m 32 --faiss-hnsw-m 16,32 \
    --ef 64,128,256,512,1024
# Growth, for extrapolating to 1M.
run --dataset 25k --dataset 50k --queries 100 --repeats 1 --engines edge-acorn,faiss-hnsw \
    --hnsw-m 32 --faiss-hnsw-m 32 --ef 128,256,512
# 1M: exact FAISS only (an HNSW build of 1M does not fit this machine's time).
run --dataset 1m --queries 100 --repeats 1 --engines faiss-flat
if [[ -n "${EDGE_1M:-}" ]]; then
    run --dataset 1m --tag _edge --queries 100 --repeats 1 --hnsw-m 32 --ef 512,1024 --engines edge-acorn
fi
"$PY" -m benchmarks.ann_growth --results "$OUT" --edge-ef 512 --faiss-ef 512
"$PY" -m benchmarks.ann_summary --results "$OUT"
"$PY" -m benchmarks.rerank_cost "${MODEL_ARGS[@]}" --out "$OUT"
