#!/usr/bin/env bash
# Compiles every ```swift block of README.md, so that the README shows the API as it is.
# Usage: bash scripts/check-readme-snippets.sh (CI runs it from .ci/run).
#
# scripts/readme_snippets.py writes each block into the Examples package's generated target
# Examples/Sources/ReadmeSnippets/ (git-ignored), then this builds the Examples package (its
# example programs too). Compiler messages name README.md's lines. Conventions in README.md:
#   - Every ```swift block is compiled. Package.swift content, shell commands and other text use
#     another fence (```sh, ```text, ```json), or the block is excluded by an HTML comment directly
#     above it: <!-- not-compiled: the reason -->.
#   - A hidden prelude, compiled in front of a block, is an HTML comment directly above it (Swift
#     lines as in a block; `import Millrace` and `import Foundation` are implied):
#         <!-- prelude:
#         let model = Sequential(ReLU())
#         -->
#   - A block without a language is an error (```text for plain text).
#   - <!-- continues --> directly above a block compiles it in the scope of the block before it.
#   - Each block gets its own scope: `extension`s and `protocol`s go at file scope, other type
#     declarations into `enum ReadmeSnippetN`, everything else into its `static func run() throws`,
#     in order. The snippets are compiled, never run.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${MILLRACE_PYTHON:-.venv/bin/python}"
[[ -x "$python" ]] || python=python3
"$python" scripts/readme_snippets.py
swift build --package-path Examples
