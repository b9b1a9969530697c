#!/usr/bin/env bash
# Stops the one-node Slurm cluster of scripts/slurm-start.sh: slurmd, slurmctld,
# munged (by their pid files). Jobs still running are killed with slurmd.
# Idempotent. The configuration and the job records stay.
set -uo pipefail

[ "$(id -u)" -eq 0 ] || { echo "slurm-stop: must run as root" >&2; exit 1; }
stop() {  # name pidfile
  local pid
  [ -f "$2" ] || return 0
  pid=$(cat "$2")
  if kill -0 "$pid" 2>/dev/null; then
    echo "slurm-stop: stopping $1 ($pid)"
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$2"
}
stop slurmd /run/slurmd.pid
stop slurmctld /run/slurmctld.pid
stop munged /run/munge/munged.pid
exit 0
