#!/usr/bin/env bash
# Compiles every ```swift block of README.md, so that the README shows the API as it is.
# Usage: bash scripts/check-readme-snippets.sh (CI runs it from .ci/run).
#
# scripts/readme_snippets.py writes each block into the Examples package's generated target
# Examples/Sources/ReadmeSnippets/ (git-ignored), then this builds the Examples package (its
# example programs too). Compiler messages name README.md's lines. The conventions of README.md
# (not-compiled markers, hidden preludes, continued blocks) are at the top of that script.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${MILLRACE_PYTHON:-.venv/bin/python}"
[[ -x "$python" ]] || python=python3
"$python" scripts/readme_snippets.py
swift build --package-path Examples
