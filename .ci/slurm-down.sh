#!/usr/bin/env bash
# Stops the daemons .ci/slurm-up.sh started: slurmd, slurmctld and munged.
# Safe to run when they are not running.
set -uo pipefail
stop() { # name pidfile
  local pid=""
  [ -s "$2" ] && pid=$(cat "$2")
  [ -z "$pid" ] && pid=$(pgrep -x "$1" | head -1)
  [ -z "$pid" ] && return 0
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}
stop slurmd /run/slurmd.pid
stop slurmctld /run/slurmctld.pid
stop munged /run/munge/munged.pid
echo "slurm-down: stopped"
