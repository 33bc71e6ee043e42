#!/bin/bash
# Import benchmark: prepo import-mirror vs aptly mirror update vs reprepro
# update, all three fetching the same signed mirror of N packages over HTTP on
# 127.0.0.1, in one run.
#
#   bench/import.sh                  N = 10000
#   BENCH_N=200 bench/import.sh      a quick run
#   PREPO=/path/to/prepo             the prepo binary (default: the first of
#                                    _build*/prepo in the source tree)
#   BENCH_TOOLS="prepo aptly"        only some tools
#   BENCH_JOBS=4                     parallel transfers (default 4): prepo -j, aptly's
#                                    downloadConcurrency (reprepro has no such knob)
#   BENCH_CACHE=DIR                  where generated packages are kept (bench/cache)
#
# The mirror (untimed, once per run): a prepo root publishing the N cached
# packages into farm "mirror", dist skaro, component main, arch amd64,
# signed with a throwaway key, Packages plain+gz+xz, by-hash; served from
# 127.0.0.1 by nginx (sendfile, keepalive), or python3 -m http.server when
# nginx is missing (the report says so).
#
# Scenarios, each timed with /usr/bin/time (wall seconds, peak RSS), each
# tool into its own fresh directory, every tool verifying the signature:
#   1 full import of the N packages
#   2 the same again with nothing new on the mirror
# Correctness is checked (untimed) after each. A "floor" row gives what
# creating N directories with a 1-KiB file each costs on the same file
# system (bench/floor.sh). The Markdown report goes to stdout and to
# bench/results/<date>-import.md.
set -euo pipefail

BENCH_NAME=import
source "$(dirname "$0")/lib.sh"

JOBS=${BENCH_JOBS:-4}

generate_debs
count=$(find "$DEBS" -name '*.deb' | wc -l)
[[ $count == "$N" ]] || { echo "expected $N packages in $DEBS, found $count" >&2; exit 1; }
mapfile -t FILES < <(find "$DEBS" -name '*.deb' | LC_ALL=C sort)

VERSIONS=()
SERVER_PID=

# Untimed setup: a failure stops the run.
setup() {
  local log="$WORK/setup.log"
  "$@" >>"$log" 2>&1 || { echo "# setup failed: $*" >&2; tail -n 20 "$log" >&2; exit 1; }
}

stop_server() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap 'stop_server; cleanup' EXIT

# ---------------------------------------------------------------- the mirror

if [[ -z ${PREPO:-} || ! -x $PREPO ]]; then
  echo "bench/import.sh: the mirror is made by prepo: set PREPO or build prepo_cli into _build/" >&2
  exit 1
fi

# A throwaway signing key; its public half is what every tool trusts.
export GNUPGHOME="$WORK/gnupg"
mkdir -m 700 "$GNUPGHOME"
setup gpg --batch --passphrase '' --quick-gen-key "prepo bench mirror <bench@example.org>" ed25519 sign never
FPR=$(gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
KEY="$WORK/mirror-key.gpg"
gpg --batch --export "$FPR" >"$KEY"

echo "# making the mirror: $N packages, signed" >&2
MROOT="$WORK/mirror-root"
mkdir -p "$MROOT"
setup "$PREPO" --root "$MROOT" init
setup "$PREPO" --root "$MROOT" farm add mirror
setup "$PREPO" --root "$MROOT" dist add mirror/skaro --components main --architectures amd64 \
  --sign-with "$FPR" --origin bench --label bench --suite unstable
setup "$PREPO" --root "$MROOT" include mirror/skaro "${FILES[@]}"
MIRROR="$MROOT/public/mirror"
[[ -f $MIRROR/dists/skaro/InRelease ]] || { echo "# the mirror has no InRelease" >&2; exit 1; }
grep -q '^Acquire-By-Hash: yes' "$MIRROR/dists/skaro/Release" ||
  NOTES+=("the mirror's Release does not offer by-hash")

# sorted "sha256 path" of every file under a pool (path relative to it)
pool_sums() { (cd "$1" 2>/dev/null && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum); }
# sorted sha256 sums alone (pools laid out differently)
pool_hashes() { pool_sums "$1" | cut -d' ' -f1 | LC_ALL=C sort; }
MIRROR_POOL_SUMS=$(pool_sums "$MIRROR/pool")
MIRROR_POOL_HASHES=$(cut -d' ' -f1 <<<"$MIRROR_POOL_SUMS" | LC_ALL=C sort)

# ---------------------------------------------------------------- the server

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT/"
ACCESS_LOG="$WORK/access.log"
HAVE_NGINX=
: >"$ACCESS_LOG"
if command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; then
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
  NG="$WORK/nginx"
  mkdir -p "$NG/tmp"
  user_line=""
  # As root the workers would run as nobody, who cannot enter $WORK.
  [[ $(id -u) == 0 ]] && user_line="user root root;"
  cat >"$NG/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes 2;
pid $NG/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  default_type application/octet-stream;
  log_format bench '\$request_method \$uri \$status \$body_bytes_sent';
  client_body_temp_path $NG/tmp/client;
  proxy_temp_path $NG/tmp/proxy;
  fastcgi_temp_path $NG/tmp/fastcgi;
  uwsgi_temp_path $NG/tmp/uwsgi;
  scgi_temp_path $NG/tmp/scgi;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$PORT;
    root $MIRROR;
    access_log $ACCESS_LOG bench;
  }
}
EOF
  "$NGINX" -e stderr -p "$NG" -c "$NG/nginx.conf" 2>>"$NG/stderr.log" &
  SERVER_PID=$!
  HAVE_NGINX=1
  SERVER="nginx $("$NGINX" -v 2>&1 | sed 's,.*nginx/,,') (sendfile, keepalive, 2 workers)"
else
  python3 -m http.server --bind 127.0.0.1 --directory "$MIRROR" "$PORT" >>"$ACCESS_LOG" 2>&1 &
  SERVER_PID=$!
  SERVER="python3 -m http.server (nginx is not installed: slower, one request per connection)"
  NOTES+=("nginx was not available: the mirror was served by python3 -m http.server, which is slower and closes each connection; figures are not comparable with an nginx run")
  echo "# nginx not found: serving with python3 -m http.server" >&2
fi
for ((i = 0; i < 100; i++)); do
  curl -fsS -o /dev/null "${URL}dists/skaro/InRelease" 2>/dev/null && break
  sleep 0.1
done
curl -fsS -o /dev/null "${URL}dists/skaro/InRelease" ||
  { echo "# the server did not come up" >&2; cat "$WORK/nginx/stderr.log" 2>/dev/null >&2; exit 1; }
echo "# mirror served at $URL by $SERVER" >&2

# requests_since LINE: "R requests, M MiB" in the access log after line LINE
# (nginx only; python's log has no sizes we parse).
log_lines() { wc -l <"$ACCESS_LOG"; }
requests_since() {
  [[ -n $HAVE_NGINX ]] || { echo "not counted (python3 server)"; return; }
  tail -n +"$(($1 + 1))" "$ACCESS_LOG" |
    awk '{ n++; b += $4 } END { printf "%d requests, %.1f MiB", n, b / 1048576 }'
}
REQUESTS=()

# ---------------------------------------------------------------- checks

# The plain text of a Packages index (plain, .xz or .gz).
packages_text() {
  local idx=$1
  if [[ -f $idx ]]; then cat "$idx"
  elif [[ -f $idx.xz ]]; then xz -dc "$idx.xz"
  elif [[ -f $idx.gz ]]; then gzip -dc "$idx.gz"
  fi
}
count_packages() { packages_text "$1" | grep -c '^Package: ' || true; }

# fail_check TOOL SCENARIO MESSAGE
fail_check() {
  NOTES+=("$1 after scenario $2: $3")
  STATUS[$1/$2]="${STATUS[$1/$2]:-} check failed"
}

# check_count TOOL SCENARIO INDEX
check_count() {
  local got
  got=$(count_packages "$3")
  [[ $got == "$N" ]] || fail_check "$1" "$2" "published index has $got packages, expected $N"
}

# check_pool_hashes TOOL SCENARIO POOL: the same multiset of file contents
# as the mirror's pool (the layout may differ).
check_pool_hashes() {
  [[ $(pool_hashes "$3") == "$MIRROR_POOL_HASHES" ]] ||
    fail_check "$1" "$2" "pool files differ from the mirror's"
}

S1="1 full import of $N"
S2="2 rerun, nothing new"
SP="1 + snapshot + publish"

# ---------------------------------------------------------------- prepo

run_prepo() {
  local r="$WORK/prepo" p n0
  mkdir -p "$r"
  p=("$PREPO" --root "$r")
  setup "${p[@]}" init
  setup "${p[@]}" farm add rec
  local cmd=("${p[@]}" -v import-mirror rec "$URL" --dist skaro --keyring "$KEY" -j "$JOBS")
  local idx="$r/public/rec/dists/skaro/main/binary-amd64/Packages"
  n0=$(log_lines)
  measure prepo "$S1" "${cmd[@]}"
  REQUESTS+=("| prepo | $S1 | $(requests_since "$n0") |")
  check_count prepo "$S1" "$idx"
  # The imported pool is the mirror's, path for path and byte for byte.
  [[ $(pool_sums "$r/public/rec/pool") == "$MIRROR_POOL_SUMS" ]] ||
    fail_check prepo "$S1" "pool files are not byte-identical to the mirror's"
  "${p[@]}" check >"$WORK/prepo-check.log" 2>&1 ||
    fail_check prepo "$S1" "prepo check failed: $(tail -n 3 "$WORK/prepo-check.log" | tr '\n' ' ')"
  PHASES=$(grep -E ' done in [0-9.]+ s, RSS|^rec: ' "$WORK/prepo-${S1// /_}.log" || true)
  n0=$(log_lines)
  measure prepo "$S2" "${cmd[@]}"
  REQUESTS+=("| prepo | $S2 | $(requests_since "$n0") |")
  PHASES2=$(grep -E ' done in [0-9.]+ s, RSS|^rec: ' "$WORK/prepo-${S2// /_}.log" || true)
  grep -q ' 0 imported' "$WORK/prepo-${S2// /_}.log" ||
    fail_check prepo "$S2" "the rerun imported something: $(grep imported "$WORK/prepo-${S2// /_}.log")"
  check_count prepo "$S2" "$idx"
  VERSIONS+=("prepo $("$PREPO" --version 2>/dev/null | head -n1 || echo '?')")
}

# ---------------------------------------------------------------- reprepro

# update downloads into its pool and exports its own indexes (plain, gz,
# xz, unsigned): the same work as prepo's import + publish.
run_reprepro() {
  local r="$WORK/reprepro" gh="$WORK/gnupg-reprepro" n0
  mkdir -p "$r/conf"
  mkdir -m 700 "$gh"
  setup gpg --homedir "$gh" --batch --import "$KEY"
  cat >"$r/conf/distributions" <<EOF
Codename: skaro
Components: main
Architectures: amd64
DebIndices: Packages Release . .gz .xz
Update: mirror
Description: benchmark
EOF
  cat >"$r/conf/updates" <<EOF
Name: mirror
Method: $URL
Suite: skaro
Components: main
Architectures: amd64
VerifyRelease: ${FPR: -16}
EOF
  local rr=(reprepro --gnupghome "$gh" -b "$r")
  local idx="$r/dists/skaro/main/binary-amd64/Packages"
  n0=$(log_lines)
  measure reprepro "$S1" "${rr[@]}" update skaro
  REQUESTS+=("| reprepro | $S1 | $(requests_since "$n0") |")
  check_count reprepro "$S1" "$idx"
  check_pool_hashes reprepro "$S1" "$r/pool"
  n0=$(log_lines)
  measure reprepro "$S2" "${rr[@]}" update skaro
  REQUESTS+=("| reprepro | $S2 | $(requests_since "$n0") |")
  check_count reprepro "$S2" "$idx"
  VERSIONS+=("$(reprepro --version 2>&1 | head -n1 | sed 's/This is //')")
}

# ---------------------------------------------------------------- aptly

# mirror update downloads into aptly's pool and database; it publishes
# nothing. The extra row adds a snapshot and its publication (plain, gz,
# bz2, unsigned, no Contents), aptly's equivalent of the others' indexes.
run_aptly() {
  local r="$WORK/aptly" conf="$WORK/aptly.conf" n0 got
  mkdir -p "$r"
  cat >"$conf" <<EOF
{"rootDir": "$r", "architectures": ["amd64"], "downloadConcurrency": $JOBS,
 "gpgDisableSign": true, "gpgDisableVerify": false, "gpgProvider": "gpg",
 "skipContentsPublishing": true}
EOF
  local a=(aptly -config="$conf")
  setup "${a[@]}" mirror create -keyring="$KEY" -architectures=amd64 m "$URL" skaro main
  n0=$(log_lines)
  measure aptly "$S1" "${a[@]}" mirror update -keyring="$KEY" m
  REQUESTS+=("| aptly | $S1 | $(requests_since "$n0") |")
  got=$("${a[@]}" mirror show m | awk -F': ' '/^Number of packages/ { print $2 }')
  [[ $got == "$N" ]] || fail_check aptly "$S1" "the mirror holds $got packages, expected $N"
  check_pool_hashes aptly "$S1" "$r/pool"
  # Its own row: the update's time plus a snapshot and its publication.
  measure aptly "$SP" "${a[@]}" snapshot create s1 from mirror m
  measure aptly "$SP" "${a[@]}" publish snapshot -skip-signing -skip-contents -architectures=amd64 \
    -distribution=skaro s1
  check_count aptly "$SP" "$r/public/dists/skaro/main/binary-amd64/Packages"
  SECS[aptly/$SP]=$(python3 -c "print(f'{${SECS[aptly/$S1]} + ${SECS[aptly/$SP]}:.2f}')")
  ((${RSS[aptly/$S1]} > ${RSS[aptly/$SP]})) && RSS[aptly/$SP]=${RSS[aptly/$S1]}
  n0=$(log_lines)
  measure aptly "$S2" "${a[@]}" mirror update -keyring="$KEY" m
  REQUESTS+=("| aptly | $S2 | $(requests_since "$n0") |")
  got=$("${a[@]}" mirror show m | awk -F': ' '/^Number of packages/ { print $2 }')
  [[ $got == "$N" ]] || fail_check aptly "$S2" "the mirror holds $got packages, expected $N"
  VERSIONS+=("$(aptly version 2>&1 | head -n1)")
}

PHASES="" PHASES2=""
settle
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for t in $TOOLS; do
  echo "# running $t" >&2
  "run_$t"
done
stop_server

echo "# measuring the file-system floor" >&2
read -r FLOOR_SECS FLOOR_KB < <(bash "$HERE/floor.sh" "$WORK" "$N")

# ---------------------------------------------------------------- report

# ratios SCENARIO: prepo against the faster of reprepro and aptly (mirror update).
ratio_row() {
  local s=$1 best="" bt="" t
  for t in reprepro aptly; do
    [[ -n ${SECS[$t/$s]:-} ]] || continue
    if [[ -z $best ]] || python3 -c "import sys; sys.exit(0 if ${SECS[$t/$s]} < $bt else 1)"; then
      best=$t bt=${SECS[$t/$s]}
    fi
  done
  [[ -n $best && -n ${SECS[prepo/$s]:-} ]] || return 0
  local minrss
  minrss=$(for t in reprepro aptly; do [[ -n ${RSS[$t/$s]:-} ]] && echo "${RSS[$t/$s]}"; done | sort -n | head -n1)
  python3 - "$s" "$best" "${SECS[prepo/$s]}" "$bt" "${RSS[prepo/$s]}" "$minrss" <<'EOF'
import sys
s, best, ps, bs, pr, mr = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
ratio = ps / bs if bs > 0 else float("inf")
print(f"| {s} | {ps:.2f} s | {best} {bs:.2f} s | {ratio:.2f} | {(pr + 512) // 1024} MB vs {(mr + 512) // 1024} MB |")
EOF
}

report() {
  echo "# Import benchmark, $(date -u +%Y-%m-%d)"
  echo
  echo "A signed mirror made by prepo of $N generated .debs ($(du -sh "$DEBS" | cut -f1) in all): dist skaro,"
  echo "component main, architecture amd64, Packages plain+gz+xz, by-hash, InRelease + Release.gpg"
  echo "(ed25519), served on 127.0.0.1 by $SERVER."
  echo "Each tool fetches it into a fresh directory and verifies the signature; $JOBS parallel"
  echo "transfers for prepo (-j $JOBS) and aptly (downloadConcurrency $JOBS); reprepro uses apt's http"
  echo "method (one connection, pipelined)."
  print_tables "$S1" "$SP" "$S2"
  echo "prepo against the faster peer (reprepro update, aptly mirror update):"
  echo
  echo "| scenario | prepo | faster peer | ratio | peak RSS prepo vs the smaller peer |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  ratio_row "$S1"
  ratio_row "$S2"
  echo
  if ((${#REQUESTS[@]})); then
    echo "HTTP requests served (nginx access log):"
    echo
    echo "| tool | scenario | requests |"
    echo "| --- | --- | --- |"
    printf '%s\n' "${REQUESTS[@]}"
    echo
  fi
  if [[ -n $PHASES ]]; then
    echo "prepo's phases in the full import (\`prepo -v\`):"
    echo
    echo '```'
    echo "$PHASES"
    echo '```'
    echo
    echo "and in the rerun:"
    echo
    echo '```'
    echo "$PHASES2"
    echo '```'
    echo
  fi
  echo "Notes:"
  echo
  echo "- The work is comparable for prepo and reprepro: both fetch and verify every file, record"
  echo "  it and write their own indexes (prepo publishes farm rec: plain+gz+xz and by-hash;"
  echo "  reprepro exports plain+gz+xz). Neither signs its output."
  echo "- \`aptly mirror update\` only downloads and records: it publishes nothing. The row"
  echo "  \"$SP\" adds \`aptly snapshot create\` + \`aptly publish snapshot\` (plain+gz+bz2,"
  echo "  no Contents, unsigned) to its time, for the same work as the others."
  echo "- Checks (untimed): prepo's pool is byte-identical to the mirror's (SHA256 of every file,"
  echo "  same paths) and \`prepo check\` passes; reprepro's and aptly's pools hold the same file"
  echo "  contents as the mirror's; every published index (aptly: the mirror) lists $N packages."
  if ((${#NOTES[@]})); then
    printf -- '- %s\n' "${NOTES[@]}"
  fi
}

save_report import
