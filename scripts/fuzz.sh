#!/usr/bin/env bash
# Runs Millrace's libFuzzer targets (Fuzz/, a package outside the shipped library).
#
#   bash scripts/fuzz.sh TARGET SECONDS     TARGET: png jpeg csv float safetensors shard-index
#                                           manifest pipeline, or all (each in turn)
#
# Builds the fuzz package once (release, -sanitize=fuzzer,address on every module, -enable-testing
# for the float target's @testable import; SwiftPM rebuilds only what changed), then runs each target for
# SECONDS with -max_total_time from its corpus .fuzz/corpus/TARGET (git-ignored), seeded from the
# checked-in Fuzz/Seeds/TARGET. Any crash, trap, leak, slow input (over 25 s), allocation over
# 1 GiB or resident size over 2 GiB stops the target and leaves the input in .fuzz/artifacts/TARGET/.
# Prints each target's exec count and result; exits non-zero when any target failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
usage() {
    echo "usage: $0 TARGET SECONDS (TARGET: png jpeg csv float safetensors shard-index manifest pipeline all)" >&2
    exit 2
}
(($# == 2)) || usage
target="$1"
seconds="$2"
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || usage

declare -A executables=(
    [png]=FuzzPNG [jpeg]=FuzzJPEG [csv]=FuzzCSV [float]=FuzzFloat [safetensors]=FuzzSafetensors
    [shard-index]=FuzzShardIndex [manifest]=FuzzManifest [pipeline]=FuzzPipeline
)
order=(png jpeg csv float safetensors shard-index manifest pipeline)
if [[ "$target" == all ]]; then
    targets=("${order[@]}")
else
    [[ -n "${executables[$target]:-}" ]] || usage
    targets=("$target")
fi

# --sanitize instruments only this package's own targets; -Xswiftc and -Xcc instrument the
# library's Swift and C modules too (coverage and AddressSanitizer in the code under test).
build=(-c release --package-path Fuzz --sanitize=fuzzer --sanitize=address
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -enable-testing)
swift build "${build[@]}" >&2
binaries="$(swift build "${build[@]}" --show-bin-path)"

# A Swift trap then ends in libFuzzer's "deadly signal" report with its stack, instead of the
# Swift backtracer (whose memory reader trips AddressSanitizer and hides the real failure).
export SWIFT_BACKTRACE=enable=no
failed=0
summary=()
for name in "${targets[@]}"; do
    corpus="$root/.fuzz/corpus/$name"
    artifacts="$root/.fuzz/artifacts/$name"
    log="$root/.fuzz/logs/$name.log"
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    cp -n "$root/Fuzz/Seeds/$name"/* "$corpus"/ 2>/dev/null || true
    echo "== fuzz $name for $seconds s (log $log)" >&2
    dictionary=()
    case "$name" in
        safetensors | manifest | pipeline) dictionary=(-dict="$root/Fuzz/Dictionaries/json.dict") ;;
    esac
    status=0
    "$binaries/${executables[$name]}" "$corpus" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=25 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "${dictionary[@]}" >"$log" 2>&1 || status=$?
    executed="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)"
    [[ -n "$executed" ]] || executed="$(grep -o '^Done [0-9]* runs' "$log" | grep -o '[0-9][0-9]*' | tail -1 || true)"
    units="$(ls "$corpus" | wc -l)"
    if ((status == 0)); then
        result="ok"
    else
        result="FAILED (exit $status): $(grep -m1 -E 'ERROR: |Fatal error|SUMMARY' "$log" || echo 'see the log'); input: $(ls -t "$artifacts" | head -1)"
        failed=1
        tail -40 "$log" >&2
    fi
    summary+=("$(printf '%-12s %5s s  %10s execs  %5s corpus  %s' "$name" "$seconds" "${executed:-?}" "$units" "$result")")
done
printf '%s\n' "${summary[@]}"
exit "$failed"
