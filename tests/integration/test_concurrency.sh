#!/bin/bash
# Two writers on one root: the second waits for the first, says which
# process holds the lock (its pid), and with --lock-timeout gives up with a
# non-zero exit once the timeout has passed. Writers that do get the lock in
# turn both land; a writer killed while holding the lock does not block the
# next one.
#
# The first writer is frozen (SIGSTOP) the moment it holds prepo's lock, seen
# in /proc/locks (a POSIX write lock of its pid on a file other than LMDB's
# db/lock.mdb), so the tests do not depend on timing.
source "$(dirname "$0")/lib.sh"

skip_unless_tools python3 dpkg-deb timeout
require_prepo
[[ -r /proc/locks ]] || skip_unless_tools /proc/locks

ROOT="$TESTDIR/root"
IN="$TESTDIR/in"
mkdir -p "$ROOT" "$IN"

gen_debs "$IN/base" 5 base
gen_debs "$IN/batch" 1000 big
gen_debs "$IN/a" 200 racea
gen_debs "$IN/b" 200 raceb
gen_debs "$IN/killed" 500 killed
OTHER=$(make_deb "$IN" other 1.0-1 amd64)
OTHER2=$(make_deb "$IN" other-two 1.0-1 amd64)

"$PREPO" --root "$ROOT" init >/dev/null || fail "prepo init failed"
"$PREPO" --root "$ROOT" farm add dev >/dev/null || fail "farm add failed"
"$PREPO" --root "$ROOT" dist add dev/skaro --components main --architectures amd64,all >/dev/null ||
  fail "dist add failed"
"$PREPO" --root "$ROOT" include dev/skaro "$IN"/base/*.deb >/dev/null || fail "include of the base packages failed"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# start_frozen_writer ARGS...: starts `prepo --root ROOT ARGS...` and stops it
# (SIGSTOP) as soon as it holds prepo's lock. Sets W1 to its pid. Fails if it
# ends first.
start_frozen_writer() {
  # Stopped before exec, so the watcher is ready before prepo runs.
  bash -c 'kill -STOP $$; exec "$@"' _ "$PREPO" --root "$ROOT" "$@" >"$TESTDIR/w1.out" 2>&1 &
  W1=$!
  register_pid "$W1"
  local lmdb_lock_inode=-1
  [[ -e $ROOT/db/lock.mdb ]] && lmdb_lock_inode=$(stat -c %i "$ROOT/db/lock.mdb")
  # Wait until the wrapper has stopped itself.
  local i
  for ((i = 0; i < 500; i++)); do
    [[ $(awk '{ print $3 }' "/proc/$W1/stat" 2>/dev/null) == T ]] && break
    sleep 0.01
  done
  python3 - "$W1" "$lmdb_lock_inode" <<'EOF' || fail "the first writer never held a lock before ending: $(cat "$TESTDIR/w1.out")"
import os, signal, sys, time
pid, skip_inode = int(sys.argv[1]), int(sys.argv[2])
os.kill(pid, signal.SIGCONT)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        sys.exit(1)
    if state == "Z":
        sys.exit(1)
    with open("/proc/locks") as f:
        for line in f:
            fields = line.split()
            if len(fields) < 6 or fields[1] == "->":
                continue
            kind, access, lpid, dev = fields[1], fields[3], fields[4], fields[5]
            if kind == "POSIX" and access == "WRITE" and lpid == str(pid) \
                    and int(dev.split(":")[2]) != skip_inode:
                os.kill(pid, signal.SIGSTOP)
                sys.exit(0)
sys.exit(1)
EOF
}

release_writer() { kill -CONT "$W1" 2>/dev/null || true; }

sorted_list() { "$PREPO" --root "$ROOT" list dev/skaro | LC_ALL=C sort; }

test_second_writer_times_out_naming_the_holder() {
  local before
  before=$(sorted_list)
  start_frozen_writer include dev/skaro "$IN"/batch/*.deb
  local t0 rc=0 elapsed
  t0=$(now_ms)
  timeout 60 "$PREPO" --root "$ROOT" --lock-timeout 1 include dev/skaro "$OTHER" \
    >"$TESTDIR/w2.out" 2>"$TESTDIR/w2.err" || rc=$?
  elapsed=$(($(now_ms) - t0))
  local err
  err=$(cat "$TESTDIR/w2.err")
  ((rc != 0)) || fail "the second writer succeeded while the first held the lock: $err"
  ((rc != 124)) || fail "the second writer ignored --lock-timeout 1 (still waiting after 60 s): $err"
  ((elapsed >= 900)) || fail "the second writer gave up after ${elapsed} ms, before the 1 s timeout: $err"
  ((elapsed < 10000)) || fail "the second writer took ${elapsed} ms to give up after a 1 s timeout"
  assert_matches "$err" "pid[^0-9]*$W1([^0-9]|$)" "the second writer names the holder's pid"
  msg "second writer, ${elapsed} ms: $err"
  release_writer
  local w1rc=0
  wait "$W1" || w1rc=$?
  ((w1rc == 0)) || fail "the first writer failed after being resumed (exit $w1rc): $(cat "$TESTDIR/w1.out")"
  local after
  after=$(sorted_list)
  assert_not_contains "$after" "other 1.0-1" "the timed-out include left nothing"
  assert_contains "$after" "big-01000 1.0-1 amd64 main"
  assert_eq $(($(wc -l <<<"$before") + 1000)) "$(wc -l <<<"$after")" "list after the first writer"
  run_ok "$PREPO" --root "$ROOT" check
}

test_second_writer_waits_then_succeeds() {
  run_ok "$PREPO" --root "$ROOT" remove dev/skaro $(cd "$IN/batch" && ls | sed 's/_.*//')
  start_frozen_writer include dev/skaro "$IN"/batch/*.deb
  "$PREPO" --root "$ROOT" --lock-timeout 120 include dev/skaro "$OTHER" >"$TESTDIR/w2.out" 2>"$TESTDIR/w2.err" &
  local w2=$!
  register_pid "$w2"
  # The waiting writer says whom it waits for while it waits.
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q "$W1" "$TESTDIR/w2.err" 2>/dev/null && break
    kill -0 "$w2" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$w2" 2>/dev/null || fail "the second writer ended while the first held the lock: $(cat "$TESTDIR/w2.err")"
  assert_matches "$(cat "$TESTDIR/w2.err")" "pid[^0-9]*$W1([^0-9]|$)" "waiting notice names the holder's pid"
  release_writer
  local rc=0
  wait "$W1" || rc=$?
  ((rc == 0)) || fail "first writer exit $rc: $(cat "$TESTDIR/w1.out")"
  rc=0
  wait "$w2" || rc=$?
  ((rc == 0)) || fail "second writer exit $rc after the lock was released: $(cat "$TESTDIR/w2.err")"
  local after
  after=$(sorted_list)
  assert_contains "$after" "other 1.0-1 amd64 main"
  assert_contains "$after" "big-00001 1.0-1 amd64 main"
  run_ok "$PREPO" --root "$ROOT" check
}

# Beyond the brief's writer rules, but a stuck reader would be worse: a
# list while a writer holds the lock answers at once, with the last
# committed state.
test_reader_not_blocked_by_writer() {
  local before
  before=$(sorted_list)
  # A long writer, so that it is caught holding the lock.
  start_frozen_writer remove dev/skaro $(cd "$IN/batch" && ls | sed 's/_.*//')
  local rc=0 out
  out=$(timeout 30 "$PREPO" --root "$ROOT" --lock-timeout 2 list dev/skaro 2>"$TESTDIR/r.err") || rc=$?
  release_writer
  wait "$W1" || true
  ((rc == 0)) || fail "prepo list while a writer holds the lock: exit $rc: $(cat "$TESTDIR/r.err")"
  # The writer may have committed before it was frozen (it holds the lock
  # through its publish), so the last committed state is either one.
  local got without
  got=$(LC_ALL=C sort <<<"$out")
  without=$(grep -v '^big-' <<<"$before")
  [[ $got == "$before" || $got == "$without" ]] ||
    fail "reader saw neither the state before nor after the frozen remove: $(diff <(echo "$before") <(echo "$got") | head)"
}

test_writer_killed_holding_lock_does_not_block() {
  start_frozen_writer include dev/skaro "$IN"/killed/*.deb
  kill -9 "$W1"
  wait "$W1" 2>/dev/null || true
  local t0 elapsed
  t0=$(now_ms)
  run_ok timeout 60 "$PREPO" --root "$ROOT" --lock-timeout 5 include dev/skaro "$OTHER2"
  elapsed=$(($(now_ms) - t0))
  ((elapsed < 5000)) || fail "the next writer waited ${elapsed} ms for a dead holder's lock"
  assert_contains "$(sorted_list)" "other-two 1.0-1 amd64 main"
  run_ok "$PREPO" --root "$ROOT" check
}

test_racing_writers_both_land() {
  local before
  before=$(sorted_list)
  "$PREPO" --root "$ROOT" --lock-timeout 120 include dev/skaro "$IN"/a/*.deb >"$TESTDIR/ra.out" 2>&1 &
  local pa=$!
  "$PREPO" --root "$ROOT" --lock-timeout 120 include dev/skaro "$IN"/b/*.deb >"$TESTDIR/rb.out" 2>&1 &
  local pb=$!
  register_pid "$pa"
  register_pid "$pb"
  local ra=0 rb=0
  wait "$pa" || ra=$?
  wait "$pb" || rb=$?
  ((ra == 0)) || fail "writer A exit $ra: $(cat "$TESTDIR/ra.out")"
  ((rb == 0)) || fail "writer B exit $rb: $(cat "$TESTDIR/rb.out")"
  local after
  after=$(sorted_list)
  assert_eq $(($(wc -l <<<"$before") + 400)) "$(wc -l <<<"$after")" "both batches are listed"
  run_ok "$PREPO" --root "$ROOT" check
  # And the published index has them all.
  run_ok "$PREPO" --root "$ROOT" publish dev
  local names
  names=$(xz -dc "$ROOT/public/dev/dists/skaro/main/binary-amd64/Packages.xz" | grep -c '^Package: race[ab]-')
  assert_eq 400 "$names" "published racing packages"
}

run_suite
