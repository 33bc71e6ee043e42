#!/bin/bash
# prepo serve vs nginx on the same published tree, side by side in one run:
# wrk on 127.0.0.1 against a small index file (keep-alive requests/s) and a
# 50 MB .deb (throughput), each with 1 and 64 connections, p99 latency for
# all; then prepo serve's RSS with 1,000 open connections.
#
#   bench/serve.sh                     # 8 s per wrk run, best of 3 rounds
#   BENCH_SECONDS=3 BENCH_REPEAT=1 bench/serve.sh   # quick
set -euo pipefail
BENCH_NAME=serve
source "$(dirname "$0")/lib.sh"
SECONDS_PER_RUN=${BENCH_SECONDS:-8}
REPEAT=${BENCH_REPEAT:-3}
[[ -n ${PREPO:-} ]] || { echo "no prepo binary: build first (bench/README.md)" >&2; exit 1; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- the tree
ROOT="$WORK/root"
chmod 755 "$WORK" # nginx's workers run as www-data
mkdir -p "$ROOT" "$WORK/pkg/small/DEBIAN" "$WORK/pkg/big/DEBIAN" "$WORK/pkg/big/usr/share/big"
(cd "$ROOT" && "$PREPO" -q init)
"$PREPO" --root "$ROOT" -q farm add dev
"$PREPO" --root "$ROOT" -q dist add dev/skaro --components main --architectures amd64 2>/dev/null
printf 'Package: small\nVersion: 1\nArchitecture: amd64\nMaintainer: b <b@example.org>\nDescription: s\n' \
  >"$WORK/pkg/small/DEBIAN/control"
printf 'Package: big\nVersion: 1\nArchitecture: amd64\nMaintainer: b <b@example.org>\nDescription: b\n' \
  >"$WORK/pkg/big/DEBIAN/control"
head -c 52428800 /dev/urandom >"$WORK/pkg/big/usr/share/big/blob"
dpkg-deb --root-owner-group -Znone -b "$WORK/pkg/small" "$WORK/small_1_amd64.deb" >/dev/null
dpkg-deb --root-owner-group -Znone -b "$WORK/pkg/big" "$WORK/big_1_amd64.deb" >/dev/null
"$PREPO" --root "$ROOT" -q include dev/skaro "$WORK/small_1_amd64.deb" "$WORK/big_1_amd64.deb" 2>/dev/null
SMALL=/dev/dists/skaro/Release
BIG=/dev/pool/skaro/main/b/big/big_1_amd64.deb
SMALL_BYTES=$(stat -L -c %s "$ROOT/public$SMALL")
BIG_BYTES=$(stat -c %s "$ROOT/public$BIG")

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---------------------------------------------------------------- the servers
PREPO_PORT=$(free_port)
"$PREPO" --root "$ROOT" serve --listen "127.0.0.1:$PREPO_PORT" >"$WORK/prepo-serve.out" 2>&1 &
PREPO_PID=$!
NGINX_PORT=$(free_port)
cat >"$WORK/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  keepalive_timeout 30s;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $ROOT/public;
  }
}
NGINX
/usr/sbin/nginx -c "$WORK/nginx.conf" -p "$WORK" &
NGINX_PID=$!
stop_servers() {
  kill "$PREPO_PID" "$NGINX_PID" 2>/dev/null || true
  wait "$PREPO_PID" "$NGINX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap stop_servers EXIT
for port in "$PREPO_PORT" "$NGINX_PORT"; do
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port$SMALL" && break; sleep 0.05; done
done
cmp <(curl -s "http://127.0.0.1:$PREPO_PORT$BIG") <(curl -s "http://127.0.0.1:$NGINX_PORT$BIG") ||
  { echo "the two servers answer different bytes" >&2; exit 1; }

# ---------------------------------------------------------------- wrk
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# wrk_run PORT PATH CONNECTIONS -> "requests/s MB/s p99_ms"
wrk_run() {
  local threads=1
  (($3 > 1)) && threads=2
  # 64 clients of a 50 MB file each wait seconds for a response: no 2 s timeout.
  wrk -t"$threads" -c"$3" -d"${SECONDS_PER_RUN}s" --timeout 60s --latency "http://127.0.0.1:$1$2" | python3 -c '
import re, sys
text = sys.stdin.read()
units = {"B": 1 / 2**20, "KB": 1 / 1024, "MB": 1, "GB": 1024}
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", text)
mbs = float(m.group(1)) * units[m.group(2)]
m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", text)
print(f"{rps:.0f} {mbs:.1f} {p99:.2f}" + (" errors" if errors else ""))'
}

# Each row: $REPEAT rounds, each running both servers one after the other
# (which goes first alternates), keeping each server's best run by requests/s
# and every run's p99: one round's p99 says little on a shared 2-core
# machine, so the table gives their median.
declare -A RESULT P99S
RUNS=()
for file in small big; do
  path=$SMALL
  [[ $file == big ]] && path=$BIG
  for c in 1 64; do
    for ((r = 0; r < REPEAT; r++)); do
      order="prepo nginx"
      ((r % 2)) && order="nginx prepo"
      for server in $order; do
        port=$PREPO_PORT
        [[ $server == nginx ]] && port=$NGINX_PORT
        line=$(wrk_run "$port" "$path" "$c")
        echo "# $server $file c=$c: $line" >&2
        RUNS+=("| $server | $file | $c | ${line// / | } |")
        read -r _ _ p99 _ <<<"$line"
        P99S[$server/$file/$c]+="$p99 "
        best=${RESULT[$server/$file/$c]:-}
        if [[ -z $best || ${line%% *} -gt ${best%% *} ]]; then RESULT[$server/$file/$c]=$line; fi
      done
    done
  done
done

# ---------------------------------------------------------------- memory at 1,000 connections
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
nginx_rss_kb() { local sum=0 p; for p in $(pgrep -P "$NGINX_PID") "$NGINX_PID"; do sum=$((sum + $(rss_kb "$p"))); done; echo "$sum"; }
PREPO_RSS_IDLE=$(rss_kb "$PREPO_PID")
NGINX_RSS_IDLE=$(nginx_rss_kb)
python3 "$SRC/tests/integration/serve_client.py" idle "$PREPO_PORT" 1000 6 >"$WORK/idle-prepo.out" &
idle1=$!
python3 "$SRC/tests/integration/serve_client.py" idle "$NGINX_PORT" 1000 6 >"$WORK/idle-nginx.out" &
idle2=$!
sleep 4
# One request on each so the idle connections are not the only thing measured.
curl -s -o /dev/null "http://127.0.0.1:$PREPO_PORT$SMALL"
PREPO_RSS_1000=$(rss_kb "$PREPO_PID")
NGINX_RSS_1000=$(nginx_rss_kb)
OPENED="$(cat "$WORK/idle-prepo.out") / $(cat "$WORK/idle-nginx.out")"
wait "$idle1" "$idle2"

# ---------------------------------------------------------------- report
ratio() { python3 -c "print(f'{$1 / $2:.2f}' if $2 else '-')"; }
report() {
  echo "Machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(. /etc/os-release && echo "$PRETTY_NAME");"
  echo "load average before the run: $LOAD_BEFORE. $(nginx -v 2>&1 | sed 's|nginx version: ||'), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), prepo serve with $(nproc) threads and no access log; nginx with worker_processes auto, sendfile, tcp_nopush, access_log off."
  echo "wrk on the same machine (1 thread for 1 connection, 2 for 64), ${SECONDS_PER_RUN} s per run; $REPEAT rounds alternating which server goes first, each server's best run (by requests/s) shown, with the median p99 of its rounds. Small file: \`$SMALL\` ($SMALL_BYTES bytes, through the dists/ symlink); big file: a .deb of $BIG_BYTES bytes."
  echo
  echo "| file | connections | prepo req/s | nginx req/s | ratio | prepo MB/s | nginx MB/s | ratio | prepo p99 ms (median) | nginx p99 ms (median) | ratio (nginx/prepo) |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  local file c p n
  for file in small big; do
    for c in 1 64; do
      read -r p_rps p_mbs _ p_err <<<"${RESULT[prepo/$file/$c]}"
      read -r n_rps n_mbs _ n_err <<<"${RESULT[nginx/$file/$c]}"
      p_p99=$(median ${P99S[prepo/$file/$c]})
      n_p99=$(median ${P99S[nginx/$file/$c]})
      echo "| $file | $c | $p_rps${p_err:+ ($p_err)} | $n_rps${n_err:+ ($n_err)} | $(ratio "$p_rps" "$n_rps") | $p_mbs | $n_mbs | $(ratio "$p_mbs" "$n_mbs") | $p_p99 | $n_p99 | $(ratio "$n_p99" "$p_p99") |"
    done
  done
  echo
  echo "| memory (RSS) | prepo serve | nginx (master + workers) |"
  echo "| --- | ---: | ---: |"
  echo "| after the runs, idle | $((PREPO_RSS_IDLE / 1024)) MB | $((NGINX_RSS_IDLE / 1024)) MB |"
  echo "| with 1,000 open connections (opened: $OPENED) | $((PREPO_RSS_1000 / 1024)) MB | $((NGINX_RSS_1000 / 1024)) MB |"
  echo
  echo "Every run, in the order run (p99 varies a lot from run to run on this shared machine):"
  echo
  echo "| server | file | connections | req/s | MB/s | p99 ms |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${RUNS[@]}"
}
save_report serve
