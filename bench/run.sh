#!/bin/bash
# prepo vs reprepro vs aptly on the same N small .debs, in one run.
#
#   bench/run.sh                 N = 10000
#   BENCH_N=200 bench/run.sh     a quick run
#   PREPO=/path/to/prepo         the prepo binary (default: the first of
#                                _build*/prepo in the source tree)
#   BENCH_TOOLS="reprepro aptly" only some tools
#   BENCH_CACHE=DIR              where generated packages are kept (bench/cache)
#   BENCH_INPUTS=cold            drop the packages from the page cache before each
#                                tool (default warm: read them into it; bench/lib.sh)
#
# Scenarios, each timed with /usr/bin/time (wall seconds, peak RSS):
#   1 include all N packages and publish
#   2 publish again with nothing changed
#   3 include one more package and publish
# A scenario made of several commands (aptly: repo add + publish) reports the
# sum of their wall times and the largest peak RSS. A "floor" row gives what
# creating N directories with a 1-KiB file each costs on the same file system
# (bench/floor.sh). The Markdown table goes to stdout and to
# bench/results/<date>-archive.md.
set -euo pipefail

BENCH_NAME=archive
source "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- packages

EXTRA="$CACHE/extra"
generate_debs
if [[ ! -f $EXTRA/.complete ]]; then
  rm -rf "$EXTRA"
  python3 "$SRC/tests/integration/gen_debs.py" --out "$EXTRA" --count 1 --prefix extra >/dev/null
  touch "$EXTRA/.complete"
fi
count=$(find "$DEBS" -name '*.deb' | wc -l)
[[ $count == "$N" ]] || { echo "expected $N packages in $DEBS, found $count" >&2; exit 1; }
EXTRA_DEB=$(echo "$EXTRA"/*.deb)

# ---------------------------------------------------------------- measuring


# Number of stanzas in a Packages index (plain, .gz or .xz).
count_packages() {
  local idx=$1
  if [[ -f $idx ]]; then grep -c '^Package: ' "$idx"
  elif [[ -f $idx.xz ]]; then xz -dc "$idx.xz" | grep -c '^Package: '
  elif [[ -f $idx.gz ]]; then gzip -dc "$idx.gz" | grep -c '^Package: '
  else echo 0
  fi
}

verify_count() { # TOOL SCENARIO INDEX EXPECTED
  local got
  got=$(count_packages "$3")
  if [[ $got != "$4" ]]; then
    NOTES+=("$1 after scenario $2: published index has $got packages, expected $4")
    STATUS[$1/$2]="${STATUS[$1/$2]:-} wrong index ($got/$4)"
  fi
}

mapfile -t FILES < <(find "$DEBS" -name '*.deb' | LC_ALL=C sort)
S1="1 include $N + publish"
S2="2 publish, nothing changed"
S3="3 include 1 more + publish"

# ---------------------------------------------------------------- prepo

run_prepo() {
  if [[ -z ${PREPO:-} || ! -x $PREPO ]]; then
    NOTES+=("prepo: no binary (set PREPO or build prepo_cli into _build/); skipped")
    return
  fi
  local r="$WORK/prepo"
  mkdir -p "$r"
  "$PREPO" --root "$r" init >/dev/null
  "$PREPO" --root "$r" farm add dev >/dev/null
  "$PREPO" --root "$r" dist add dev/skaro --components main --architectures amd64 >/dev/null
  local idx="$r/public/dev/dists/skaro/main/binary-amd64/Packages"
  measure prepo "$S1" "$PREPO" --root "$r" include dev/skaro "${FILES[@]}"
  verify_count prepo "$S1" "$idx" "$N"
  measure prepo "$S2" "$PREPO" --root "$r" publish dev
  measure prepo "$S3" "$PREPO" --root "$r" include dev/skaro "$EXTRA_DEB"
  verify_count prepo "$S3" "$idx" $((N + 1))
  VERSIONS+=("prepo $("$PREPO" --version 2>/dev/null | head -n1 || echo '?')")
}

# ---------------------------------------------------------------- reprepro

run_reprepro() {
  local r="$WORK/reprepro"
  mkdir -p "$r/conf"
  cat >"$r/conf/distributions" <<EOF
Codename: skaro
Suite: unstable
Components: main
Architectures: amd64
DebIndices: Packages Release . .gz .xz
Description: benchmark
EOF
  local idx="$r/dists/skaro/main/binary-amd64/Packages"
  measure reprepro "$S1" reprepro -b "$r" includedeb skaro "${FILES[@]}"
  verify_count reprepro "$S1" "$idx" "$N"
  measure reprepro "$S2" reprepro -b "$r" export skaro
  measure reprepro "$S3" reprepro -b "$r" includedeb skaro "$EXTRA_DEB"
  verify_count reprepro "$S3" "$idx" $((N + 1))
  VERSIONS+=("$(reprepro --version 2>&1 | head -n1)")
}

# ---------------------------------------------------------------- aptly

run_aptly() {
  local r="$WORK/aptly" conf="$WORK/aptly.conf"
  mkdir -p "$r"
  cat >"$conf" <<EOF
{"rootDir": "$r", "architectures": ["amd64"], "gpgDisableSign": true, "gpgDisableVerify": true,
 "downloadConcurrency": 1, "skipContentsPublishing": true}
EOF
  local a=(aptly -config="$conf")
  local idx="$r/public/dists/skaro/main/binary-amd64/Packages"
  "${a[@]}" repo create -distribution=skaro -component=main bench >/dev/null
  measure aptly "$S1" "${a[@]}" repo add bench "$DEBS"
  measure aptly "$S1" "${a[@]}" publish repo -skip-signing -skip-contents -architectures=amd64 \
    -distribution=skaro -component=main bench
  verify_count aptly "$S1" "$idx" "$N"
  measure aptly "$S2" "${a[@]}" publish update -skip-signing -skip-contents skaro
  measure aptly "$S3" "${a[@]}" repo add bench "$EXTRA_DEB"
  measure aptly "$S3" "${a[@]}" publish update -skip-signing -skip-contents skaro
  verify_count aptly "$S3" "$idx" $((N + 1))
  VERSIONS+=("$(aptly version 2>&1 | head -n1)")
}

VERSIONS=()
settle
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
INPUT_STATE=$(inputs_line)
for t in $TOOLS; do
  echo "# running $t" >&2
  inputs_to_state "${FILES[@]}" "$EXTRA_DEB"
  "run_$t"
done

# The file-system floor: N new directories with a 1-KiB file each, made by a
# tiny python3 script in the same work dir (bench/floor.sh).
echo "# measuring the file-system floor" >&2
read -r FLOOR_SECS FLOOR_KB < <(bash "$HERE/floor.sh" "$WORK" "$N")

# ---------------------------------------------------------------- report

report() {
  echo "# Archive benchmark, $(date -u +%Y-%m-%d)"
  echo
  echo "$N generated .debs ($(du -sh "$DEBS" | cut -f1) in all), one distribution, component main,"
  echo "architecture amd64, Packages plain+gz+xz (aptly: plain+gz+bz2, no Contents), no signing."
  print_tables "$S1" "$S2" "$S3"
  echo "The floor row is what creating N directories with one 1-KiB file each costs on this"
  echo "file system from a tiny python3 script (bench/floor.sh): a tool that lays out a pool of N"
  echo "packages, one directory each, pays at least that."
  if ((${#NOTES[@]})); then
    echo
    echo "Notes:"
    echo
    printf -- '- %s\n' "${NOTES[@]}"
  fi
}

save_report archive
