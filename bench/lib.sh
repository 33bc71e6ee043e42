# Shared by the benchmarks (run.sh, promote.sh): the environment, the
# generated packages, and timing. Sourced after `set -euo pipefail` with
# BENCH_NAME set (it names the work directory).

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(dirname "$HERE")
N=${BENCH_N:-10000}
TOOLS=${BENCH_TOOLS:-prepo reprepro aptly}
CACHE=${BENCH_CACHE:-$HERE/cache}
export LC_ALL=C.UTF-8 TZ=UTC

bash "$HERE/setup.sh"

if [[ -z ${PREPO:-} ]]; then
  # _build/ first (scripts/build.sh makes it): the glob alone sorts an
  # older _build-something/ before it.
  for c in "$SRC"/_build/prepo "$SRC"/_build*/prepo "$SRC"/_build*/cli/prepo; do
    if [[ -x $c && -f $c ]]; then PREPO=$c; break; fi
  done
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/prepo-bench-$BENCH_NAME.XXXXXX")
# sync: the freed inodes' table blocks are written (see settle).
cleanup() { rm -rf "$WORK"; sync; }
trap cleanup EXIT

# An ext4 without a journal (this machine's) will not reuse an inode freed
# in the last 60 s (360 s while its inode-table block is dirty): every new
# file or directory then scans past the recently freed ones, and creating
# 10,000 of them right after a large deletion takes several times longer.
# Without this wait, whichever tool runs first after the previous run's
# cleanup (prepo, by default) pays for it. A sync does not make 60 s
# enough: the first new inode in a table block dirties it again, and its
# deleted neighbours are then skipped for 360 s (a perf profile 70 s after
# a synced deletion still spent 40% of an include's kernel time in that
# scan). So: 370 s. BENCH_SETTLE=0 skips it.
#
# Even then the first 10,000 new inodes after the wait cost more than the
# next: the same prepo include read its packages in 0.91 s run first after
# a settle, in 0.49-0.55 s run second (2026-11-22). So the settle ends with
# an untimed warm-up that makes N directories with a file each (kept until
# the end: removing them would start the wait again), and no tool's row
# pays for being first.
settle() {
  local secs=${BENCH_SETTLE:-370}
  ((secs > 0)) || return 0
  echo "# settling: sync, then ${secs} s for recently freed inodes to become reusable" >&2
  sync
  sleep "$secs"
  echo "# warming up: $N new directories with a file each, untimed" >&2
  mkdir "$WORK/warm-up"
  python3 "$HERE/make_tree.py" "$WORK/warm-up" "$N"
}

# N small packages bench-00001 ... bench-N, version 1.0-1, generated once
# into the cache (one generator process per core) and reused.
DEBS="$CACHE/debs-$N"
generate_debs() {
  if [[ ! -f $DEBS/.complete ]]; then
    echo "# generating $N packages in $DEBS" >&2
    rm -rf "$DEBS"
    mkdir -p "$DEBS"
    cores=$(nproc)
    per=$(((N + cores - 1) / cores))
    for ((c = 0; c < cores; c++)); do
      start=$((c * per + 1))
      count=$((N - c * per))
      ((count > per)) && count=$per
      ((count > 0)) || continue
      python3 "$SRC/tests/integration/gen_debs.py" --out "$DEBS" --count "$count" --start "$start" \
        --prefix bench --payload 512 >/dev/null &
    done
    wait
    dpkg-deb --info "$DEBS/bench-00001_1.0-1_amd64.deb" >/dev/null
    touch "$DEBS/.complete"
  fi
}

declare -A SECS RSS STATUS
DETAIL=()
NOTES=() # lines the report adds under "Notes:" (a failed check, a skipped tool)

# measure TOOL SCENARIO cmd...: adds the command's wall time and peak RSS to
# the (TOOL, SCENARIO) cell.
measure() {
  local tool=$1 scenario=$2
  shift 2
  local key="$tool/$scenario" tf="$WORK/time.out" log="$WORK/$tool-${scenario// /_}.log"
  local rc=0
  # Nothing dirty at the start: a tool that flushes the file system (prepo's
  # syncfs) would otherwise also write back what the step before it left.
  sync
  /usr/bin/time -f '%e %M' -o "$tf" "$@" >>"$log" 2>&1 || rc=$?
  local secs kb
  read -r secs kb < <(tail -n1 "$tf")
  SECS[$key]=$(python3 -c "print(f'{${SECS[$key]:-0} + $secs:.2f}')")
  if ((kb > ${RSS[$key]:-0})); then RSS[$key]=$kb; fi
  local short="$*"
  short=${short//$DEBS/DEBS}
  short=${short//$WORK/WORK}
  short=${short//$CACHE/CACHE}
  ((${#short} > 110)) && short="${short:0:107}..."
  DETAIL+=("| $tool | $scenario | \`$short\` | $secs | $((kb / 1024)) | $rc |")
  if ((rc != 0)); then
    STATUS[$key]="exit $rc"
    echo "# $tool $scenario: exit $rc: $*" >&2
    tail -n 5 "$log" >&2
  fi
}

# The input packages' page-cache state, set before each tool runs
# (inputs_to_state FILE...), so that no tool's row depends on what ran
# before it. Pages read some minutes ago are not kept on this machine: after
# the settle, the generated packages were found uncached. BENCH_INPUTS=warm
# (the default) reads them into the page cache, as after a build or an
# upload; BENCH_INPUTS=cold drops them from it, as for packages written long
# ago.
INPUTS=${BENCH_INPUTS:-warm}
[[ $INPUTS == warm || $INPUTS == cold ]] || { echo "BENCH_INPUTS: warm or cold, not '$INPUTS'" >&2; exit 2; }
inputs_to_state() {
  if [[ $INPUTS == warm ]]; then
    cat "$@" >/dev/null
  else
    python3 - "$@" <<'PY'
import os, sys
for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
PY
  fi
}
inputs_line() {
  if [[ $INPUTS == warm ]]; then
    echo "input packages read into the page cache before each tool"
  else
    echo "input packages dropped from the page cache before each tool (BENCH_INPUTS=cold)"
  fi
}

# print_tables SCENARIO...: the machine line, the summary table (tool x
# scenario, then the file-system floor row) and the per-command table.
print_tables() {
  echo "Machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(. /etc/os-release && echo "$PRETTY_NAME");"
  echo "load average before the run: $LOAD_BEFORE; ${INPUT_STATE:-page cache as the machine left it}, all trees on one file system. Versions: $(IFS=';'; echo "${VERSIONS[*]}" | sed 's/;/; /g')."
  echo
  echo "| tool | scenario | seconds | peak RSS MB |"
  echo "| --- | --- | ---: | ---: |"
  local t s key
  for t in $TOOLS; do
    for s in "$@"; do
      key="$t/$s"
      [[ -n ${SECS[$key]:-} ]] || continue
      local extra=""
      [[ -n ${STATUS[$key]:-} ]] && extra=" (${STATUS[$key]# })"
      echo "| $t | $s | ${SECS[$key]}$extra | $(((${RSS[$key]} + 512) / 1024)) |"
    done
  done
  echo "| floor | python3: $N new directories + $N new 1-KiB files | $FLOOR_SECS | $(((FLOOR_KB + 512) / 1024)) |"
  echo
  echo "Commands:"
  echo
  echo "| tool | scenario | command | seconds | peak RSS MB | exit |"
  echo "| --- | --- | --- | ---: | ---: | ---: |"
  printf '%s\n' "${DETAIL[@]}"
  echo
}

# save_report NAME: prints the benchmark's report() and saves it as
# bench/results/<UTC date>-NAME.md, or -NAME-2.md, -3 ... when a run of
# the same day is there already (the docs cite earlier runs by name).
save_report() {
  mkdir -p "$HERE/results"
  local out base n=1
  base="$HERE/results/$(date -u +%Y-%m-%d)-$1"
  out="$base.md"
  while [[ -e $out ]]; do
    out="$base-$((++n)).md"
  done
  report | tee "$out"
  echo "# saved to $out" >&2
}
