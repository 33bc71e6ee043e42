#!/bin/bash
# Crash safety of promote: `prepo promote rc production --yes` of 5,000
# packages (plus 10 upgrades and 2 removals) killed with SIGKILL at any
# moment leaves a root that
#   - `prepo check` accepts,
#   - lists for production/skaro exactly the state before or after,
#   - publishes a production tree whose Release matches every file it lists
#     and whose Packages hold the before or the after state (never the after
#     state while the database still says before),
#   - takes the next promote with no manual step, which ends with the after
#     state published.
# The root with rc built is made once and copied with `cp -a` (hard links
# between store and pools stay hard links) for each round; rc is recorded
# but not published, so a copy is mostly the store. Kill moments are
# stratified over 1.1 times the measured runtime (random jitter;
# CRASH_SEED repeats a run); more kills come on events: production's first
# new pool directory, its new dists/skaro@N directory, the Release inside
# it, and the switch link, so the publish phase is hit for sure.
#
#   PROMOTE_CRASH_ROUNDS  timed rounds (default 19)
#   PROMOTE_CRASH_N       packages in the batch (default 5000)
source "$(dirname "$0")/lib.sh"

skip_unless_tools python3 cp
require_prepo

ROUNDS=${PROMOTE_CRASH_ROUNDS:-19}
N=${PROMOTE_CRASH_N:-5000}
SEED=${CRASH_SEED:-$(($(date +%s) % 32768))}
RANDOM=$SEED
msg "seed $SEED (CRASH_SEED=$SEED to repeat), $ROUNDS timed rounds, $N packages"

IN="$TESTDIR/in"
BASE="$TESTDIR/base" # production: 50 packages; rc: the batch, 10 upgrades, 2 removals
mkdir -p "$IN"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

sorted_list() { # ROOT FARM OUT
  "$PREPO" --root "$1" list "$2/skaro" >"$3.tmp" || fail "prepo list $2/skaro failed on $1"
  LC_ALL=C sort "$3.tmp" | sed '/^$/d' >"$3"
  rm -f "$3.tmp"
}

# "name version" of the published production Packages (amd64 + all), sorted.
published_state() { # ROOT
  local d="$1/public/production/dists/skaro/main" a
  for a in amd64 all; do
    if [[ -f $d/binary-$a/Packages ]]; then
      cat "$d/binary-$a/Packages"
    elif [[ -f $d/binary-$a/Packages.xz ]]; then
      xz -dc "$d/binary-$a/Packages.xz"
    else
      fail "no published binary-$a index of production in $1"
    fi
  done | awk '/^Package:/ { p = $2 } /^Version:/ { print p " " $2 }' | LC_ALL=C sort -u
}

# ---------------------------------------------------------------- fixtures

# The batch, one generator per core.
cores=$(nproc)
per=$(((N + cores - 1) / cores))
for ((c = 0; c < cores; c++)); do
  count=$((N - c * per))
  ((count > per)) && count=$per
  ((count > 0)) || continue
  python3 "$INTEGRATION_DIR/gen_debs.py" --out "$IN/batch" --count "$count" --start $((c * per + 1)) \
    --prefix crash >/dev/null &
done
wait
gen_debs "$IN/base" 50 base
gen_debs "$IN/up" 10 base 2.0-1
count=$(find "$IN/batch" -name '*.deb' | wc -l)
((count == N)) || fail "expected $N generated packages, got $count"

mkdir -p "$BASE"
b() { "$PREPO" --root "$BASE" -q "$@" >/dev/null || fail "fixture: prepo $* failed"; }
b init
b farm add rc
b farm add production --from rc
b dist add rc/skaro --components main --architectures amd64,all
b dist add production/skaro --components main --architectures amd64,all
b include --no-publish rc/skaro "$IN"/base/*.deb
b promote rc production
b include --no-publish rc/skaro "$IN"/batch/*.deb "$IN"/up/*.deb
b remove --no-publish rc/skaro base-00049 base-00050
# rc stays recorded but unpublished (promote reads the store, not rc's pool):
# each round then copies 5,000 files and directories fewer.
# PROMOTE_CRASH_PUBLISH_RC=1 publishes it as well.
if [[ ${PROMOTE_CRASH_PUBLISH_RC:-0} == 1 ]]; then
  b publish rc
fi
sorted_list "$BASE" production "$TESTDIR/list.before"
sorted_list "$BASE" rc "$TESTDIR/list.after"
assert_eq 50 "$(wc -l <"$TESTDIR/list.before")" "production before"
assert_eq $((N + 48)) "$(wc -l <"$TESTDIR/list.after")" "rc"
awk '{ print $1 " " $2 }' "$TESTDIR/list.before" | LC_ALL=C sort -u >"$TESTDIR/pub.before"
awk '{ print $1 " " $2 }' "$TESTDIR/list.after" | LC_ALL=C sort -u >"$TESTDIR/pub.after"
cmp -s "$TESTDIR/pub.before" <(published_state "$BASE") || fail "production's published tree is not its list"

# cp -a keeps hard links within the copied tree: the copy shares no inode
# with BASE but links its pool files to its own store objects, as BASE does.
cp -a "$BASE" "$TESTDIR/copy-check"
pool_file=$(find "$BASE/public/production/pool" -name 'base-00001_*.deb')
copy_file=$TESTDIR/copy-check/${pool_file#"$BASE"/}
links=$(stat -c %h "$pool_file")
((links >= 2)) || fail "pool files in the root are not hard links (link count $links)"
assert_eq "$links" "$(stat -c %h "$copy_file")" "link count of a pool file after cp -a"
assert_ne "$(stat -c %i "$pool_file")" "$(stat -c %i "$copy_file")" "cp -a copies, not links across trees"
assert_eq "$(find "$BASE" -type f -links +1 | wc -l)" "$(find "$TESTDIR/copy-check" -type f -links +1 | wc -l)" \
  "files with several links after cp -a"
# (Directory blocks may differ a little; hard links lost would double the use.)
du_base=$(du -s "$BASE" | cut -f1)
du_copy=$(du -s "$TESTDIR/copy-check" | cut -f1)
((du_copy * 100 <= du_base * 105)) || fail "the copy takes ${du_copy} KiB, the original ${du_base} KiB"
rm -rf "$TESTDIR/copy-check"

# Calibration: how long the uninterrupted promote takes (the faster of two,
# so that timed kills land inside the run; a kill that comes too late is
# tried again earlier).
T_PROMOTE=999999
for i in 1 2; do
  rm -rf "$TESTDIR/calib"
  cp -a "$BASE" "$TESTDIR/calib"
  t0=$(now_ms)
  "$PREPO" --root "$TESTDIR/calib" promote rc production --yes >/dev/null 2>&1 || fail "calibration promote failed"
  t=$(($(now_ms) - t0))
  ((t < T_PROMOTE)) && T_PROMOTE=$t
done
sorted_list "$TESTDIR/calib" production "$TESTDIR/list.calib"
cmp -s "$TESTDIR/list.calib" "$TESTDIR/list.after" || fail "calibration: production after the promote is not rc"
cmp -s "$TESTDIR/pub.after" <(published_state "$TESTDIR/calib") || fail "calibration: published tree is not rc"
rm -rf "$TESTDIR/calib"
msg "uninterrupted promote: ${T_PROMOTE} ms"

# ---------------------------------------------------------------- the kill


STATES="$TESTDIR/states"
: >"$STATES"

# promote_round NAME [@GLOB [new]]: one copy of BASE, a promote killed after
# a stratified moment (or when GLOB appears), the checks, the next promote.
promote_round() {
  local i=$1 root="$TESTDIR/r-$1" ms state published t0 t_copy t_kill t_check t_next
  t0=$(now_ms)
  cp -a "$BASE" "$root"
  t_copy=$(($(now_ms) - t0))
  t0=$(now_ms)
  local cmd=("$PREPO" --root "$root" promote rc production --yes)
  if [[ ${2:-} == @* ]]; then
    ms=${2#@}
    kill_on_path "$root" "$ms" "${3:-}" "${cmd[@]}"
  else
    ms=$(kill_moment "$i" "$ROUNDS" "$T_PROMOTE")
    local attempt
    for attempt in 1 2 3; do
      kill_after "$ms" "${cmd[@]}"
      ((KILLED || attempt == 3)) && break
      # The promote ended before the kill (this run was faster than the
      # calibration): again on a fresh copy, a third earlier.
      ((CMD_RC == 0)) || fail "promote exited $CMD_RC without being killed: $(head -c 2000 "$TESTDIR/.killed.out")"
      msg "promote ended before the kill at $ms ms; again"
      rm -rf "$root"
      cp -a "$BASE" "$root"
      ms=$((ms * 2 / 3))
    done
  fi
  if ((!KILLED && CMD_RC != 0)); then
    fail "promote exited $CMD_RC without being killed: $(head -c 2000 "$TESTDIR/.killed.out")"
  fi

  t_kill=$(($(now_ms) - t0))
  t0=$(now_ms)
  # prepo check accepts what the kill left.
  local rc=0
  "$PREPO" --root "$root" check >"$TESTDIR/.check.out" 2>&1 || rc=$?
  ((rc == 0)) || fail "prepo check after the kill exits $rc: $(head -c 2000 "$TESTDIR/.check.out")"
  # The database: before or after, nothing in between.
  sorted_list "$root" production "$TESTDIR/.list.now"
  if cmp -s "$TESTDIR/.list.now" "$TESTDIR/list.before"; then
    state=before
  elif cmp -s "$TESTDIR/.list.now" "$TESTDIR/list.after"; then
    state=after
  else
    fail "production lists neither the state before nor after: $(wc -l <"$TESTDIR/.list.now") lines," \
      "diff to before: $(diff "$TESTDIR/list.before" "$TESTDIR/.list.now" | head -5)"
  fi
  # The published tree: consistent, and old or new as a whole.
  verify_release "$root/public/production/dists/skaro" strict
  published_state "$root" >"$TESTDIR/.pub.now"
  if cmp -s "$TESTDIR/.pub.now" "$TESTDIR/pub.before"; then
    published=before
  elif cmp -s "$TESTDIR/.pub.now" "$TESTDIR/pub.after"; then
    published=after
  else
    fail "production's published Packages are neither before nor after ($(wc -l <"$TESTDIR/.pub.now") packages)"
  fi
  if [[ $state == before && $published == after ]]; then
    fail "the published tree shows the promote while the database does not hold it"
  fi
  # rc is untouched.
  sorted_list "$root" rc "$TESTDIR/.list.rc"
  cmp -s "$TESTDIR/.list.rc" "$TESTDIR/list.after" || fail "rc changed by the killed promote"
  echo "$state/$published/$KILLED" >>"$STATES"
  t_check=$(($(now_ms) - t0))

  # The next command just works, and ends with the after state published.
  t0=$(now_ms)
  run_ok "${cmd[@]}"
  t_next=$(($(now_ms) - t0))
  sorted_list "$root" production "$TESTDIR/.list.now"
  cmp -s "$TESTDIR/.list.now" "$TESTDIR/list.after" || fail "production after the next promote is not rc"
  verify_release "$root/public/production/dists/skaro" strict
  published_state "$root" >"$TESTDIR/.pub.now"
  cmp -s "$TESTDIR/.pub.now" "$TESTDIR/pub.after" ||
    fail "after the next promote ($(tail -n1 <<<"$LAST_OUT")) the published tree is not the after state" \
      "($(wc -l <"$TESTDIR/.pub.now") packages, $(cmp -s "$TESTDIR/.pub.now" "$TESTDIR/pub.before" && echo 'still the before state'))"
  run_ok "$PREPO" --root "$root" check
  msg "promote killed at ${ms}$([[ $ms == [0-9]* ]] && echo "/${T_PROMOTE} ms") (killed=$KILLED): database $state, published $published" \
    "(ms: copy $t_copy, run $t_kill, checks $t_check, next promote $t_next, rest $(($(now_ms) - t0 - t_next)))"
  rm -rf "$root"
}

# Event kills, so the phases are hit whatever the runtime: the first new pool
# directory of production (files being linked), the new dists/skaro@N
# directory (indexes being written), its Release (signing/finishing), the
# temporary link of the switch.
test_kill_at_first_pool_link() { promote_round pool "@public/production/pool/skaro/main/c" new; }
test_kill_at_new_dists_dir() { promote_round dists "@public/production/dists/skaro@[0-9]*" new; }
test_kill_at_new_release() { promote_round release "@public/production/dists/skaro@[0-9]*/Release" new; }
test_kill_at_switch() { promote_round switch "@public/production/dists/.link-*" new; }

tests=()
for ((i = 0; i < ROUNDS; i++)); do
  eval "test_kill_promote_$i() { promote_round $i; }"
  tests+=("test_kill_promote_$i")
done
tests+=(test_kill_at_first_pool_link test_kill_at_new_dists_dir test_kill_at_new_release test_kill_at_switch)

# At least 20 kills hit, and they left each database state (otherwise the
# moments missed the commit).
test_kills_hit_both_states() {
  msg "states after the kills: $(sort "$STATES" | uniq -c | tr -s ' \n' ' ')"
  local kills
  kills=$(grep -c '/1$' "$STATES" || true)
  ((kills >= 20)) || fail "only $kills promotes were killed (20 wanted)"
  grep -q '^before/' "$STATES" || fail "no kill left the database before the promote"
  grep -q '^after/' "$STATES" || fail "no kill left the database after the promote"
  grep -q '^after/before/' "$STATES" || fail "no kill came between the commit and the published switch"
}
tests+=(test_kills_hit_both_states)

run_suite "${tests[@]}"
