#!/usr/bin/env bash
# Renders the reports real runs write (train's <run-dir>/report.html: a classifier's, a
# regression's and a multi-label classifier's) in headless Chromium and checks what a browser sees: no console errors, a
# screenshot that is not blank, and every inline <svg> well-formed XML.
# Usage: scripts/check-report.sh [MILLRACE_BINARY] (default: .build/debug/millrace, built if absent).
# Skips (exit 0, with a message) only when no chromium is installed and none can be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
millrace="${1:-.build/debug/millrace}"
python="${MILLRACE_PYTHON:-.venv/bin/python}"
[[ -x "$python" ]] || python=python3
browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
    if [[ $(id -u) -eq 0 ]] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
        browser="$(command -v chromium)"
    else
        echo "check-report: SKIPPED: chromium is not installed and could not be installed (apt-get install chromium)"
        exit 0
    fi
fi
[[ -x "$millrace" ]] || swift build --product millrace >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$millrace" train pipelines/digits-mlp.json --epochs 3 --run-dir "$work/run" --json --quiet >"$work/summary.json"
"$millrace" train pipelines/regression-housing.json --epochs 3 --run-dir "$work/regression" --json --quiet >"$work/regression.json"
"$millrace" train pipelines/multilabel-weather.json --epochs 3 --run-dir "$work/multilabel" --json --quiet >"$work/multilabel.json"
# train writes the report itself (the same bytes as `millrace report`: ReportCommandTests).
# A page with a console error must fail this script: prove the detection works on one first.
printf '<!DOCTYPE html><html><body><p>x</p><script>console.error("planted-console-error")</script></body></html>' >"$work/bad.html"
render() { # page.html screenshot.png log
    timeout 120 "$browser" --headless --disable-gpu --no-sandbox --hide-scrollbars --window-size=1280,2400 \
        --user-data-dir="$work/profile" --enable-logging=stderr --v=0 --screenshot="$2" "file://$1" >"$3" 2>&1 || true
}
render "$work/bad.html" "$work/bad.png" "$work/bad.log"
if ! grep -q "planted-console-error" "$work/bad.log"; then
    echo "check-report: this chromium does not log console messages to stderr; cannot check for console errors" >&2
    exit 1
fi
# A classifier: five charts and a confusion matrix; a regression of one target: seven charts
# (RMSE, MAE and R² in accuracy's place) and one predicted-vs-true scatter, and no accuracy;
# multi-label: seven charts (exact match and F1 beside accuracy), a per-label table, no matrix.
check() { # run-folder svg-count description kind
    local name="$1" svgs="$2" what="$3" kind="$4"
    local report="$work/$name/report.html"
    render "$report" "$work/$name.png" "$work/$name.log"
    if grep -E "CONSOLE|console" "$work/$name.log" | grep -qiE "error|uncaught"; then
        echo "check-report: console errors on the report page:" >&2
        grep -iE "console" "$work/$name.log" >&2
        exit 1
    fi
    "$python" - "$report" "$work/$name.png" "$svgs" "$what" "$kind" <<'PY'
import re, sys, xml.etree.ElementTree as ET
page = open(sys.argv[1], encoding="utf-8").read()
svgs = re.findall(r"<svg\b.*?</svg>", page, re.S)
assert len(svgs) == int(sys.argv[3]), f"expected {sys.argv[4]}, found {len(svgs)} <svg> elements"
assert sys.argv[5] != "regression" or "accuracy" not in page.lower(), "a regression's report mentions accuracy"
for svg in svgs:
    ET.fromstring(svg)  # raises on malformed XML
try:
    from PIL import Image
except ImportError:
    sys.exit("check-report: Pillow is missing: run .ci/setup (it installs pillow into .venv)")
image = Image.open(sys.argv[2]).convert("L")
dark = sum(image.histogram()[:200])  # pixels darker than near-white
share = dark / (image.width * image.height)
# The page draws text, lines and the confusion matrix or scatter: far more than 1% of the pixels are not white.
assert share > 0.01, f"the screenshot is blank ({dark} non-white pixels)"
print(f"check-report: ok: {sys.argv[1].split('/')[-2]}: {len(svgs)} well-formed SVGs, no console errors, {share:.1%} of the screenshot drawn ({image.width}x{image.height})")
PY
}
check run 6 "5 charts and a confusion matrix" classification
check regression 8 "7 charts and a predicted-vs-true scatter" regression
check multilabel 7 "7 charts and no confusion matrix" multilabel
