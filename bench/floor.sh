#!/bin/bash
# The file-system floor: what creating N new directories with one new 1-KiB
# file each costs on this machine, from a tiny python3 script. Any tool that
# lays out a pool of N packages (one directory per package, as Debian pools
# do) pays at least this, whatever its own work.
#
#   bench/floor.sh [DIR [N]]   DIR: a directory on the file system to measure
#                              (default: a new one under ${TMPDIR:-/tmp});
#                              N: default $BENCH_N, else 10000
#
# Prints "SECONDS PEAK_RSS_KB" (from /usr/bin/time) on one line; the
# directories it made are removed again.
set -euo pipefail

N=${2:-${BENCH_N:-10000}}
if [[ -n ${1:-} ]]; then
  mkdir -p "$1"
  BASE=$(mktemp -d "$1/floor.XXXXXX")
else
  BASE=$(mktemp -d "${TMPDIR:-/tmp}/prepo-floor.XXXXXX")
fi
trap 'rm -rf "$BASE"' EXIT

mkdir "$BASE/tree"
/usr/bin/time -f '%e %M' -o "$BASE/time.out" python3 "$(dirname "$0")/make_tree.py" "$BASE/tree" "$N"
count=$(find "$BASE/tree" -type f | wc -l)
[[ $count == "$N" ]] || { echo "floor.sh: made $count files, expected $N" >&2; exit 1; }
tail -n1 "$BASE/time.out"
