#!/bin/sh
# Lighthouse scores of the search page, offline, against Debian's Chromium.
#   npm install --prefix "${LH_DIR:-/tmp/lh}" lighthouse     (once; any git-ignored folder)
#   sh tests/ui/lighthouse.sh                                 (writes test-artifacts/lighthouse/*.json)
set -eu
LH="${LH_DIR:-/tmp/lh}/node_modules/.bin/lighthouse"
PORT="${PORT:-8799}"
OUT=test-artifacts/lighthouse
mkdir -p "$OUT"
: > "$OUT/server.log"
.venv/bin/python tests/ui/demo_server.py --port "$PORT" > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER' EXIT
until grep -q serving "$OUT/server.log"; do sleep 1; done
FLAGS="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --no-first-run --disable-sync"
for run in "mobile-search|/?q=black%20shirt|" "desktop-search|/?q=black%20shirt|--preset=desktop" "mobile-home|/|" "mobile-admin|/admin|"; do
  name=${run%%|*}; rest=${run#*|}; path=${rest%%|*}; preset=${rest#*|}
  CHROME_PATH=$(command -v chromium) "$LH" "http://127.0.0.1:$PORT$path" --quiet $preset \
    --chrome-flags="$FLAGS" --only-categories=performance,accessibility,best-practices,seo \
    --output=json --output-path="$OUT/$name.json"
  .venv/bin/python - "$OUT/$name.json" "$name" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
scores = " ".join(f"{k}={round(v['score'] * 100)}" for k, v in d["categories"].items())
a = d["audits"]
print(f"{sys.argv[2]}: {scores} FCP={a['first-contentful-paint']['displayValue']} "
      f"LCP={a['largest-contentful-paint']['displayValue']} CLS={a['cumulative-layout-shift']['displayValue']}")
PY
done
