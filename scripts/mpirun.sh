#!/bin/bash
# mpirun with Ctrl-C, SIGTERM and SIGHUP that stop data-parallel training as they stop a plain
# `millrace train`: the ranks finish the same step, rank 0 saves a checkpoint, and this script
# exits 128 + the signal it got (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP, 138 for SIGUSR1).
#
#   scripts/mpirun.sh -np 4 millrace train pipelines/digits-cnn.json
#
# Takes mpirun's own arguments. Open MPI 4.1's mpirun exits 1 on SIGINT or SIGTERM whatever its
# ranks do (it records status 1 at once and never replaces it), but forwards SIGUSR1 to the ranks
# and then exits with their status (130 after a save, whatever signal stopped them). So mpirun
# runs in a session of its own (the terminal's Ctrl-C reaches only this script), every stopping
# signal here becomes SIGUSR1 for mpirun, and the ranks' 130 becomes 128 + the signal received.
set -u
setsid mpirun "$@" &
child=$!
received=0
stop() {
    ((received == 0)) && received=$1
    kill -USR1 "$child" 2>/dev/null
}
trap 'stop 2' INT
trap 'stop 15' TERM
trap 'stop 1' HUP
trap 'stop 10' USR1
# `wait` returns early when a trapped signal arrives: wait again until mpirun has ended.
while kill -0 "$child" 2>/dev/null; do wait "$child"; done
wait "$child"
status=$?
# The ranks saved and exited 130 after the forwarded SIGUSR1: report the signal this script got.
if ((received != 0 && status == 130)); then exit $((128 + received)); fi
exit "$status"
