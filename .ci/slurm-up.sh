#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine for the sweep's Slurm test
# (cmd/gtrain TestSweepSlurm, run with GTRAIN_SLURM_TEST=1): installs Debian's
# slurm-wlm and munge when missing, writes a minimal slurm.conf (one node with
# SLURM_UP_CPUS CPUs, default 2; no cgroups, no accounting), starts munged,
# slurmctld and slurmd, and waits until the node is idle. Needs root.
# .ci/slurm-down.sh stops the daemons this script started (and only those).
# A slurm.conf not written by this script is left alone and used as it is.
set -euo pipefail

[ "$(id -u)" = 0 ] || { echo "slurm-up: needs root" >&2; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  echo "slurm-up: installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

node=$(hostname -s)
cpus=${SLURM_UP_CPUS:-2}
conf=/etc/slurm/slurm.conf
spool=/var/spool/slurm-gtrain
logs=/var/log/slurm-gtrain
started=/run/gtrain-slurm-ci.started   # the daemons this script started, for slurm-down
marker="# Written by gtrain's .ci/slurm-up.sh"
mkdir -p /etc/slurm "$spool/ctld" "$spool/d" "$logs"
: >>"$started"

# munge: a key and directories owned by the munge user.
if [ ! -s /etc/munge/munge.key ]; then
  if command -v mungekey >/dev/null; then mungekey --create --force >/dev/null
  else dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; fi
fi
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /etc/munge/munge.key /run/munge /var/log/munge /var/lib/munge
chmod 0400 /etc/munge/munge.key
chmod 0755 /run/munge

if [ ! -e "$conf" ] || head -1 "$conf" | grep -qF "$marker"; then
  cat >"$conf" <<CONF
$marker: a one-node test cluster.
ClusterName=gtrain-ci
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=$spool/ctld
SlurmdSpoolDir=$spool/d
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$logs/slurmctld.log
SlurmdLogFile=$logs/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
else
  echo "slurm-up: $conf was not written by this script; using it as it is"
fi

running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

if ! running /run/munge/munged.pid; then
  runuser -u munge -- /usr/sbin/munged
  echo munged >>"$started"
fi
for _ in $(seq 50); do munge -n >/dev/null 2>&1 && break; sleep 0.2; done
munge -n | unmunge >/dev/null || { echo "slurm-up: munge does not work" >&2; exit 1; }

if ! running /run/slurmctld.pid; then
  slurmctld -i
  echo slurmctld >>"$started"
fi
if ! running /run/slurmd.pid; then
  slurmd
  echo slurmd >>"$started"
fi

# Wait (at most 60 s) until a node takes jobs.
state=""
for _ in $(seq 120); do
  state=$(sinfo -h -o %T 2>/dev/null | head -1 || true)
  case "$state" in
    idle|mixed|allocated) echo "slurm-up: node $node is $state"; sinfo; exit 0 ;;
    down*|drain*) scontrol update NodeName="$node" State=RESUME 2>/dev/null || true ;;
  esac
  sleep 0.5
done
echo "slurm-up: no node became idle (state: ${state:-unknown})" >&2
tail -n 30 "$logs/slurmctld.log" "$logs/slurmd.log" >&2 || true
exit 1
