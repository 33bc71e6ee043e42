#!/bin/bash
# Promotion benchmark: prepo vs reprepro vs aptly moving N packages from a
# child distribution ("rc") to a parent ("production"), in one run.
#
#   bench/promote.sh                 N = 10000
#   BENCH_N=200 bench/promote.sh     a quick run
#   PREPO=/path/to/prepo             the prepo binary (default: the first of
#                                    _build*/prepo in the source tree)
#   BENCH_TOOLS="prepo aptly"        only some tools
#   BENCH_CACHE=DIR                  where generated packages are kept (bench/cache)
#
# Scenarios, each timed with /usr/bin/time (wall seconds, peak RSS):
#   a promote all N into an empty parent, and publish it
#   b the same after one package changed (upgraded) in the child
#   c roll the parent back to what (a) published, and publish it
# A scenario of several commands reports the sum of their wall times and the
# largest peak RSS. A "floor" row gives what creating N directories with a
# 1-KiB file each costs on the same file system (bench/floor.sh). The
# Markdown table goes to stdout and to bench/results/<date>-promote.md.
set -euo pipefail

BENCH_NAME=promote
source "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- packages

CHANGED="$CACHE/changed"
generate_debs
# The one changed package: bench-00001 1.1-1.
if [[ ! -f $CHANGED/.complete ]]; then
  rm -rf "$CHANGED"
  python3 "$SRC/tests/integration/gen_debs.py" --out "$CHANGED" --count 1 --prefix bench \
    --version 1.1-1 --payload 512 >/dev/null
  touch "$CHANGED/.complete"
fi
count=$(find "$DEBS" -name '*.deb' | wc -l)
[[ $count == "$N" ]] || { echo "expected $N packages in $DEBS, found $count" >&2; exit 1; }
CHANGED_DEB=$(echo "$CHANGED"/*.deb)
mapfile -t FILES < <(find "$DEBS" -name '*.deb' | LC_ALL=C sort)

# ---------------------------------------------------------------- measuring


# Untimed setup: a failure stops the run.
setup() {
  local log="$WORK/setup.log"
  "$@" >>"$log" 2>&1 || { echo "# setup failed: $*" >&2; tail -n 20 "$log" >&2; exit 1; }
}

# The plain text of a Packages index (plain, .xz or .gz).
packages_text() {
  local idx=$1
  if [[ -f $idx ]]; then cat "$idx"
  elif [[ -f $idx.xz ]]; then xz -dc "$idx.xz"
  elif [[ -f $idx.gz ]]; then gzip -dc "$idx.gz"
  fi
}

# verify TOOL SCENARIO INDEX VERSION: the published index lists N packages
# and bench-00001 in VERSION.
verify() {
  local tool=$1 scenario=$2 idx=$3 want=$4 got v
  got=$(packages_text "$idx" | grep -c '^Package: ' || true)
  v=$(packages_text "$idx" | awk '/^Package: / { p = $2 } /^Version: / && p == "bench-00001" { print $2 }' | tr '\n' ' ')
  v=${v% }
  if [[ $got != "$N" || $v != "$want" ]]; then
    NOTES+=("$tool after scenario $scenario: published index has $got packages and bench-00001 [$v], expected $N and [$want]")
    STATUS[$tool/$scenario]="${STATUS[$tool/$scenario]:-} wrong index"
  fi
}

SA="a promote $N into empty parent + publish"
SB="b promote 1 changed + publish"
SC="c rollback + publish"

# ---------------------------------------------------------------- prepo

run_prepo() {
  if [[ -z ${PREPO:-} || ! -x $PREPO ]]; then
    NOTES+=("prepo: no binary (set PREPO or build prepo_cli into _build/); skipped")
    return
  fi
  local r="$WORK/prepo" p
  mkdir -p "$r"
  p=("$PREPO" --root "$r")
  setup "${p[@]}" init
  setup "${p[@]}" farm add rc
  setup "${p[@]}" farm add production --from rc
  setup "${p[@]}" dist add rc/skaro --components main --architectures amd64
  setup "${p[@]}" dist add production/skaro --components main --architectures amd64
  setup "${p[@]}" include --no-publish rc/skaro "${FILES[@]}"
  local idx="$r/public/production/dists/skaro/main/binary-amd64/Packages"
  measure prepo "$SA" "${p[@]}" promote rc production --yes
  verify prepo "$SA" "$idx" 1.0-1
  setup "${p[@]}" include --no-publish rc/skaro "$CHANGED_DEB"
  measure prepo "$SB" "${p[@]}" promote rc production --yes
  verify prepo "$SB" "$idx" 1.1-1
  measure prepo "$SC" "${p[@]}" rollback production
  verify prepo "$SC" "$idx" 1.0-1
  VERSIONS+=("prepo $("$PREPO" --version 2>/dev/null | head -n1 || echo '?')")
}

# ---------------------------------------------------------------- reprepro

# Two distributions in one base; production pulls from rc (conf/pulls).
# There is no history to roll back to: a snapshot of production is taken
# (untimed) before (b), and (c) restores every package from it.
run_reprepro() {
  local r="$WORK/reprepro"
  mkdir -p "$r/conf"
  cat >"$r/conf/distributions" <<EOF
Codename: rc
Components: main
Architectures: amd64
DebIndices: Packages Release . .gz .xz

Codename: production
Components: main
Architectures: amd64
DebIndices: Packages Release . .gz .xz
Pull: from-rc
EOF
  printf 'Name: from-rc\nFrom: rc\n' >"$r/conf/pulls"
  local rr=(reprepro -b "$r")
  setup "${rr[@]}" --export=never includedeb rc "${FILES[@]}"
  local idx="$r/dists/production/main/binary-amd64/Packages"
  measure reprepro "$SA" "${rr[@]}" --export=never pull production
  measure reprepro "$SA" "${rr[@]}" export production
  verify reprepro "$SA" "$idx" 1.0-1
  setup "${rr[@]}" gensnapshot production before-b
  setup "${rr[@]}" --export=never includedeb rc "$CHANGED_DEB"
  measure reprepro "$SB" "${rr[@]}" --export=never pull production
  measure reprepro "$SB" "${rr[@]}" export production
  verify reprepro "$SB" "$idx" 1.1-1
  measure reprepro "$SC" "${rr[@]}" --export=never restorematched production before-b '*'
  measure reprepro "$SC" "${rr[@]}" export production
  verify reprepro "$SC" "$idx" 1.0-1
  VERSIONS+=("$(reprepro --version 2>&1 | head -n1)")
}

# ---------------------------------------------------------------- aptly

# A local repo rc; a snapshot of it published (a), a new snapshot after the
# change switched in (b), the first snapshot switched back (c).
run_aptly() {
  local r="$WORK/aptly" conf="$WORK/aptly.conf"
  mkdir -p "$r"
  cat >"$conf" <<EOF
{"rootDir": "$r", "architectures": ["amd64"], "gpgDisableSign": true, "gpgDisableVerify": true,
 "downloadConcurrency": 1, "skipContentsPublishing": true}
EOF
  local a=(aptly -config="$conf")
  local idx="$r/public/dists/skaro/main/binary-amd64/Packages"
  setup "${a[@]}" repo create -distribution=skaro -component=main rc
  setup "${a[@]}" repo add rc "$DEBS"
  measure aptly "$SA" "${a[@]}" snapshot create rc-1 from repo rc
  measure aptly "$SA" "${a[@]}" publish snapshot -skip-signing -skip-contents -architectures=amd64 \
    -distribution=skaro -component=main rc-1
  verify aptly "$SA" "$idx" 1.0-1
  # The child changes: the new version in, the old one out (a repo keeps both).
  setup "${a[@]}" repo add rc "$CHANGED_DEB"
  setup "${a[@]}" repo remove rc 'bench-00001 (= 1.0-1)'
  measure aptly "$SB" "${a[@]}" snapshot create rc-2 from repo rc
  measure aptly "$SB" "${a[@]}" publish switch -skip-signing -skip-contents skaro rc-2
  verify aptly "$SB" "$idx" 1.1-1
  measure aptly "$SC" "${a[@]}" publish switch -skip-signing -skip-contents skaro rc-1
  verify aptly "$SC" "$idx" 1.0-1
  VERSIONS+=("$(aptly version 2>&1 | head -n1)")
}

VERSIONS=()
settle
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for t in $TOOLS; do
  echo "# running $t" >&2
  "run_$t"
done

echo "# measuring the file-system floor" >&2
read -r FLOOR_SECS FLOOR_KB < <(bash "$HERE/floor.sh" "$WORK" "$N")

# ---------------------------------------------------------------- report

report() {
  echo "# Promotion benchmark, $(date -u +%Y-%m-%d)"
  echo
  echo "$N generated .debs ($(du -sh "$DEBS" | cut -f1) in all) in a child distribution rc, promoted to an"
  echo "empty parent production: component main, architecture amd64, Packages plain+gz+xz (aptly:"
  echo "plain+gz+bz2, no Contents), no signing. Setup (including the N packages into rc) is not timed."
  print_tables "$SA" "$SB" "$SC"
  echo "Notes:"
  echo
  echo "- prepo gives every farm and distribution its own pool (hard links to one store), so (a)"
  echo "  lays out $N new pool directories and files: the floor row is what that alone costs here."
  echo "  reprepro's two distributions share one pool (pull only adds references); aptly's"
  echo "  published pool is linked from its package pool when a prefix is first published."
  echo "- reprepro has no history: (c) restores every package from a \`gensnapshot\` taken"
  echo "  (untimed) before (b), then exports; prepo keeps generations, aptly keeps snapshots."
  echo "- aptly's (b) includes creating the snapshot; a repo keeps old versions, so the old"
  echo "  bench-00001 is removed from rc (untimed) before the snapshot."
  if ((${#NOTES[@]})); then
    printf -- '- %s\n' "${NOTES[@]}"
  fi
}

save_report promote
