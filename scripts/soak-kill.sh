#!/usr/bin/env bash
# Usage: scripts/soak-kill.sh N [SEED]
#
# Kill-and-resume soak for checkpointing (not run in CI). Builds millrace (release), trains a small
# CSV pipeline once without interruption, then until N runs were stopped while running (at most 4N
# trials): starts the same training, stops it after a random delay (seeded; the seed is printed,
# pass it again to replay) with SIGKILL on odd trials and SIGTERM on even ones (which must save
# and exit 143), checks that the store's latest checkpoint loads (`millrace inspect`, read-only),
# resumes with --resume, and compares the final weights (model.safetensors bytes) with the
# uninterrupted run's.
# Prints the number of unloadable latest checkpoints, of temporary directories left after the
# resume, of resumed runs whose final weights differ, and of SIGTERM runs that exited otherwise
# than 143 or 0, and the time taken; exits 1 if any count is not zero or fewer than N runs were
# stopped while running.
set -euo pipefail
count="${1:?usage: scripts/soak-kill.sh N [SEED]}"
seed="${2:-$(( $(od -An -N2 -tu2 /dev/urandom) ))}"
echo "soak-kill: $count runs, seed $seed (replay: scripts/soak-kill.sh $count $seed)"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
swift build -c release --product millrace >/dev/null
millrace="$(swift build -c release --show-bin-path)/millrace"
work="$(mktemp -d "${TMPDIR:-/tmp}/millrace-soak.XXXXXX")"
trap 'rm -rf "$work"' EXIT
{
    echo "a,b,c,d,label"
    for ((row = 0; row < 96; row++)); do echo "$((row % 7)),$((row % 5 - 2)),$row,$(((row * 7) % 11)),$((row % 3))"; done
} >"$work/data.csv"
cat >"$work/pipeline.json" <<JSON
{"name": "soak", "dataset": {"kind": "csv", "path": "$work/data.csv", "label_column": "label", "validation_split": 0.25},
 "pipeline": {"batch_size": 8, "threads": 2},
 "model": {"layers": [{"type": "dense", "units": 16}, {"type": "relu"}, {"type": "dense"}]},
 "loss": "cross-entropy", "optimizer": {"type": "adam", "learning_rate": 0.01}, "epochs": 6, "seed": 3}
JSON
train() {  # train NAME [extra arguments]
    local name="$1"
    shift
    "$millrace" train "$work/pipeline.json" --checkpoint-every 1 --quiet \
        --checkpoint-dir "$work/$name/checkpoints" --run-dir "$work/$name/run" "$@"
}
latest_model() { echo "$work/$1/checkpoints/$(cat "$work/$1/checkpoints/latest")/model.safetensors"; }

started=$(date +%s%N)
train reference
reference_ms=$(( ($(date +%s%N) - started) / 1000000 ))
reference="$(latest_model reference)"
RANDOM=$seed
unloadable=0 leftovers=0 differing=0 killed=0 terminated=0 wrong_status=0
# Trials go on until N runs were stopped while running (a run that finished before its signal
# tests nothing), at most 4N trials.
trials=0
for ((trial = 1; killed + terminated < count && trial <= 4 * count; trial++)); do
    trials=$trial
    name="trial-$trial"
    delay_ms=$(( (RANDOM * 32768 + RANDOM) % (reference_ms + 1) ))
    # exec: $! must be the training process itself, not a subshell around it (killing only the
    # subshell would leave the run writing while the resume starts).
    (exec "$millrace" train "$work/pipeline.json" --checkpoint-every 1 --quiet \
        --checkpoint-dir "$work/$name/checkpoints" --run-dir "$work/$name/run" >/dev/null 2>&1) &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    if ((trial % 2 == 1)); then signal=KILL; else signal=TERM; fi
    kill -"$signal" "$pid" 2>/dev/null || true
    status=0
    wait "$pid" 2>/dev/null || status=$?
    if ((status == 137)); then killed=$((killed + 1)); fi      # 128 + SIGKILL: it was still running
    if ((status == 143)); then terminated=$((terminated + 1)); fi  # 128 + SIGTERM: it saved and stopped
    if [[ $signal == TERM ]] && ((status != 143 && status != 0)); then
        wrong_status=$((wrong_status + 1))
        echo "trial $trial: SIGTERM after ${delay_ms} ms ended with status $status, not 143"
    fi
    store="$work/$name/checkpoints"
    if [[ -e "$store/latest" ]] && ! "$millrace" inspect "$store" --json >/dev/null 2>&1; then
        unloadable=$((unloadable + 1))
        echo "trial $trial: latest checkpoint does not load (SIG$signal after ${delay_ms} ms)"
    fi
    if ! train "$name" --resume >/dev/null 2>"$work/$name.err"; then
        echo "trial $trial: resume failed: $(tail -1 "$work/$name.err")"
        differing=$((differing + 1))
        continue
    fi
    left=$(find "$store" -maxdepth 1 -name '.tmp-*' | wc -l)
    leftovers=$((leftovers + left))
    if ! cmp -s "$(latest_model "$name")" "$reference"; then
        differing=$((differing + 1))
        echo "trial $trial: final weights differ (SIG$signal after ${delay_ms} ms)"
    fi
    rm -rf "${work:?}/$name"
done
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
echo "trials: $trials (stopped while running: $killed by SIGKILL and $terminated by SIGTERM, of the $count asked for; an uninterrupted run took ${reference_ms} ms)"
echo "unloadable latest checkpoints: $unloadable"
echo "temporary directories left: $leftovers"
echo "resumed runs with different final weights: $differing"
echo "SIGTERM runs that did not exit 143 (or 0 when already finished): $wrong_status"
echo "time: $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s"
((unloadable == 0 && leftovers == 0 && differing == 0 && wrong_status == 0 && killed + terminated == count))
