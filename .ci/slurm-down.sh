#!/usr/bin/env bash
# Stops the daemons that .ci/slurm-up.sh started (slurmd, slurmctld, munged),
# by the pids in their pid files; daemons it found running are left alone.
# Safe to run more than once.
set -uo pipefail
started=/run/gtrain-slurm-ci.started
[ -s "$started" ] || { echo "slurm-down: nothing to stop"; exit 0; }

stop() { # name pidfile
  grep -qx "$1" "$started" || return 0
  local pid
  pid=$(cat "$2" 2>/dev/null) || return 0
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}
stop slurmd /run/slurmd.pid
stop slurmctld /run/slurmctld.pid
stop munged /run/munge/munged.pid
rm -f "$started"
echo "slurm-down: stopped"
