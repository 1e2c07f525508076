#!/bin/bash
# mpirun with Ctrl-C that stops data-parallel training as it stops a plain `millrace train`: the
# ranks finish the same step, rank 0 saves a checkpoint, and this script exits 130.
#
#   scripts/mpirun.sh -np 4 millrace train pipelines/digits-cnn.json
#
# Takes mpirun's own arguments. Open MPI 4.1's mpirun exits 1 on SIGINT whatever its ranks do (it
# records status 1 at once and never replaces it), but forwards SIGUSR1 to the ranks and then
# exits with their status. So mpirun runs in a session of its own (the terminal's Ctrl-C reaches
# only this script), and SIGINT or SIGTERM here becomes SIGUSR1 for mpirun.
set -u
setsid mpirun "$@" &
child=$!
trap 'kill -USR1 "$child" 2>/dev/null' INT TERM
# `wait` returns early when a trapped signal arrives: wait again until mpirun has ended.
while kill -0 "$child" 2>/dev/null; do wait "$child"; done
wait "$child"
