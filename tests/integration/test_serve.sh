#!/bin/bash
# prepo serve against the real clients: apt-get over HTTP (public farm) and
# HTTPS with a test CA and auth.conf (private farm), curl and raw sockets
# for traversal and encoding tricks, hostile slow and idle clients, apt
# updating while the farm is published a hundred times, RFC 9110 range and
# conditional answers, pipelining, SIGHUP certificate reload, SIGTERM and
# the access log. Every server binds 127.0.0.1 on a port it picks (port 0)
# and is killed when the suite ends.
source "$(dirname "$0")/lib.sh"

skip_unless_tools dpkg-deb apt-get gpg gpgv openssl curl python3
require_prepo

ROOT="$TESTDIR/root"
IN="$TESTDIR/in"
CLIENT="$INTEGRATION_DIR/serve_client.py"
SECRET_TEXT="PLANTED-SECRET-$RANDOM$RANDOM"
mkdir -p "$IN" "$ROOT"
make_gpg_key >/dev/null

# ---------------------------------------------------------------- fixtures

DEB_HELLO=$(make_deb "$IN" hello 1.0-1 amd64)
DEB_PRIV=$(make_deb "$IN" secret-feature 0.1-1 amd64)
# A larger package for ranges and the graceful stop: 4 MiB of random bytes.
mkdir -p "$IN/big/DEBIAN" "$IN/big/usr/share/big"
head -c 4194304 /dev/urandom >"$IN/big/usr/share/big/blob"
printf 'Package: bigpkg\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: T <t@example.org>\nDescription: big\n' \
  >"$IN/big/DEBIAN/control"
dpkg-deb --root-owner-group -Znone --build "$IN/big" "$IN/bigpkg_1.0-1_amd64.deb" >/dev/null
DEB_BIG="$IN/bigpkg_1.0-1_amd64.deb"

(cd "$ROOT" && "$PREPO" init >/dev/null)
prepo_r "$ROOT" -q farm add dev
prepo_r "$ROOT" -q farm add alice --private
prepo_r "$ROOT" -q farm add bob --private
for f in dev alice bob; do
  prepo_r "$ROOT" -q dist add "$f/skaro" --components main --architectures amd64 --sign-with "$GPG_FPR"
done
prepo_r "$ROOT" -q include dev/skaro "$DEB_HELLO" "$DEB_BIG"
prepo_r "$ROOT" -q include alice/skaro "$DEB_PRIV"
prepo_r "$ROOT" -q include bob/skaro "$DEB_HELLO"
TOKEN=$(prepo_r "$ROOT" -q token add al --farm alice)
[[ ${#TOKEN} -ge 43 ]] || fail "token add printed no secret: [$TOKEN]"
BIG_URLPATH=/dev/pool/skaro/main/b/bigpkg/bigpkg_1.0-1_amd64.deb
BIG_FILE="$ROOT/public$BIG_URLPATH"

# Secrets outside the published trees, and links that try to reach them.
echo "$SECRET_TEXT" >"$ROOT/conf/planted"
echo "$SECRET_TEXT" >"$ROOT/db/planted"
echo "$SECRET_TEXT" >"$ROOT/public/planted"
echo "$SECRET_TEXT" >"$ROOT/public/dev/.hidden"
ln -s ../../conf/planted "$ROOT/public/dev/link-relative"
ln -s "$ROOT/conf/planted" "$ROOT/public/dev/link-absolute"
ln -s ../../../../conf "$ROOT/public/dev/dists/skaro/link-dir"
ln -s /proc/self/root/etc/passwd "$ROOT/public/dev/link-magic"
ln -s ../alice/pool "$ROOT/public/dev/link-other-farm"

# A test CA and a server certificate for 127.0.0.1 (and a second one for the reload test).
make_cert() { # NAME CN
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TESTDIR/$1.key" -out "$TESTDIR/$1.pem" -days 2 \
    -subj "/CN=$2" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -CA "$TESTDIR/ca.pem" -CAkey "$TESTDIR/ca.key" >/dev/null 2>&1 || fail "openssl: cannot make certificate $1"
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TESTDIR/ca.key" -out "$TESTDIR/ca.pem" -days 2 \
  -subj "/CN=prepo test CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1 || fail "openssl: cannot make the test CA"
make_cert server "prepo test server one"
make_cert server2 "prepo test server two"

# ---------------------------------------------------------------- helpers

# http_code URL [curl options...]: the status code; the body in $TESTDIR/body, headers in $TESTDIR/headers.
http_code() {
  local url=$1
  shift
  : >"$TESTDIR/body" # curl creates its output only when a body arrives
  curl -s --path-as-is -o "$TESTDIR/body" -D "$TESTDIR/headers" -w '%{http_code}' "$@" "$url" || true
}

slice() { # FILE OFFSET LENGTH: those bytes of FILE on stdout
  python3 -c 'import sys; f = open(sys.argv[1], "rb"); f.seek(int(sys.argv[2])); sys.stdout.buffer.write(f.read(int(sys.argv[3])))' "$@"
}

header() { # NAME: a field of $TESTDIR/headers
  grep -i "^$1:" "$TESTDIR/headers" | head -1 | cut -d: -f2- | sed 's/^ *//; s/\r$//'
}

apt_sources() { # URL: the sources list of the private apt root
  echo "deb [signed-by=$GPG_KEYFILE] $1 skaro main" >"$APT_ROOT/etc/apt/sources.list.d/prepo.list"
}

# ---------------------------------------------------------------- tests

test_apt_over_http_public_farm() {
  start_serve http
  setup_apt_root "$TESTDIR/apt-http" amd64
  apt_sources "http://127.0.0.1:$PORT/dev"
  apt_update_clean
  assert_contains "$APT_UPDATE_OUT" "http://127.0.0.1:$PORT/dev skaro InRelease"
  mkdir -p "$TESTDIR/dl-http" && cd "$TESTDIR/dl-http"
  run_ok apt_get download hello bigpkg
  assert_files_equal "$DEB_HELLO" "$TESTDIR/dl-http/hello_1.0-1_amd64.deb"
  assert_files_equal "$DEB_BIG" "$TESTDIR/dl-http/bigpkg_1.0-1_amd64.deb"
  # The root page lists the public farm with a ready apt line, not the private ones.
  assert_eq 200 "$(http_code "http://127.0.0.1:$PORT/")"
  local page
  page=$(cat "$TESTDIR/body")
  assert_contains "$page" "deb [signed-by=/etc/apt/keyrings/dev.gpg] http://127.0.0.1:$PORT/dev skaro main"
  assert_not_contains "$page" alice
  assert_not_contains "$page" bob
  stop_serve
}

test_apt_over_https_private_farm_with_auth_conf() {
  start_serve https --tls-cert "$TESTDIR/server.pem" --tls-key "$TESTDIR/server.key"
  setup_apt_root "$TESTDIR/apt-https" amd64
  echo "Acquire::https::CaInfo \"$TESTDIR/ca.pem\";" >>"$APT_ROOT/apt.conf"
  mkdir -p "$APT_ROOT/etc/apt/auth.conf.d"
  echo "machine 127.0.0.1:$PORT/alice login al password $TOKEN" >"$APT_ROOT/etc/apt/auth.conf.d/prepo.conf"
  chmod 600 "$APT_ROOT/etc/apt/auth.conf.d/prepo.conf"
  apt_sources "https://127.0.0.1:$PORT/alice"
  apt_update_clean
  mkdir -p "$TESTDIR/dl-https" && cd "$TESTDIR/dl-https"
  run_ok apt_get download secret-feature
  assert_files_equal "$DEB_PRIV" "$TESTDIR/dl-https/secret-feature_0.1-1_amd64.deb"

  # The same token does not open bob: apt is told 404, not that bob exists.
  echo "machine 127.0.0.1:$PORT/bob login al password $TOKEN" >"$APT_ROOT/etc/apt/auth.conf.d/prepo.conf"
  apt_sources "https://127.0.0.1:$PORT/bob"
  local out rc=0
  out=$(apt_get update 2>&1) || rc=$?
  assert_matches "$out" "404" "apt sees a 404 for a farm the token does not open"
  stop_serve
}

test_private_farm_without_credentials_reveals_nothing() {
  start_serve https-anon --tls-cert "$TESTDIR/server.pem" --tls-key "$TESTDIR/server.key"
  setup_apt_root "$TESTDIR/apt-anon" amd64
  echo "Acquire::https::CaInfo \"$TESTDIR/ca.pem\";" >>"$APT_ROOT/apt.conf"
  apt_sources "https://127.0.0.1:$PORT/alice"
  local out rc=0
  out=$(apt_get update 2>&1) || rc=$?
  assert_matches "$out" "401" "apt reports the 401"
  assert_matches "$out" "(^|\n)(E|W|Err):" "apt fails"
  [[ -z $(ls "$APT_ROOT/var/lib/apt/lists/" | grep -v -e partial -e lock -e auxfiles) ]] ||
    fail "apt stored lists without credentials: $(ls "$APT_ROOT/var/lib/apt/lists/")"
  local code
  code=$(http_code "https://127.0.0.1:$PORT/alice/dists/skaro/InRelease" --cacert "$TESTDIR/ca.pem")
  assert_eq 401 "$code"
  assert_eq 'Basic realm="prepo", charset="UTF-8"' "$(header WWW-Authenticate)"
  local all
  all="$(cat "$TESTDIR/headers" "$TESTDIR/body")"
  for word in alice skaro secret-feature InRelease "$GPG_FPR"; do
    assert_not_contains "$all" "$word" "the 401 answer names nothing of the farm"
  done
  # Wrong secret, unknown user: the same 401.
  assert_eq 401 "$(http_code "https://127.0.0.1:$PORT/alice/dists/skaro/InRelease" --cacert "$TESTDIR/ca.pem" -u al:wrong)"
  assert_eq 401 "$(http_code "https://127.0.0.1:$PORT/alice/dists/skaro/InRelease" --cacert "$TESTDIR/ca.pem" -u zed:"$TOKEN")"
  # Unknown farm: 404, with or without credentials.
  assert_eq 404 "$(http_code "https://127.0.0.1:$PORT/nosuch/dists/skaro/InRelease" --cacert "$TESTDIR/ca.pem")"
  assert_eq 404 "$(http_code "https://127.0.0.1:$PORT/nosuch/dists/skaro/InRelease" --cacert "$TESTDIR/ca.pem" -u al:"$TOKEN")"
  assert_eq 200 "$(http_code "https://127.0.0.1:$PORT/alice/dists/skaro/InRelease" --cacert "$TESTDIR/ca.pem" -u al:"$TOKEN")"
  stop_serve
}

test_plain_http_refuses_credentials_and_hides_private_farms() {
  start_serve plain
  assert_eq 404 "$(http_code "http://127.0.0.1:$PORT/alice/dists/skaro/InRelease")"
  assert_eq 403 "$(http_code "http://127.0.0.1:$PORT/alice/dists/skaro/InRelease" -u al:"$TOKEN")"
  assert_contains "$(cat "$TESTDIR/body")" "credentials are refused over plain HTTP"
  assert_eq 403 "$(http_code "http://127.0.0.1:$PORT/dev/dists/skaro/InRelease" -u al:"$TOKEN")"
  stop_serve
  start_serve plain-allowed --allow-plain-auth
  assert_eq 401 "$(http_code "http://127.0.0.1:$PORT/alice/dists/skaro/InRelease")"
  assert_eq 200 "$(http_code "http://127.0.0.1:$PORT/alice/dists/skaro/InRelease" -u al:"$TOKEN")"
  stop_serve
}

test_token_cli_and_revoke_on_a_running_server() {
  local list
  list=$(prepo_r "$ROOT" token list)
  assert_matches "$list" '^al alice [0-9T:-]+Z$'
  assert_not_contains "$list" "$TOKEN"
  assert_not_contains "$(cat "$ROOT/conf/tokens")" "$TOKEN"
  assert_eq 600 "$(stat -c %a "$ROOT/conf/tokens")"
  assert_fails_with "unknown farm 'nosuch'" prepo_r "$ROOT" token add x --farm nosuch
  assert_fails_with "token 'al' already exists" prepo_r "$ROOT" token add al --farm alice
  local tmp_secret
  tmp_secret=$(prepo_r "$ROOT" -q token add temp --farm alice --farm bob)
  start_serve revoke --allow-plain-auth
  assert_eq 200 "$(http_code "http://127.0.0.1:$PORT/bob/dists/skaro/InRelease" -u temp:"$tmp_secret")"
  run_ok prepo_r "$ROOT" token revoke temp
  assert_eq 401 "$(http_code "http://127.0.0.1:$PORT/bob/dists/skaro/InRelease" -u temp:"$tmp_secret")"
  assert_fails_with "no token named 'temp'" prepo_r "$ROOT" token revoke temp
  stop_serve
}

test_traversal_and_encoding_variants() {
  start_serve traversal --allow-plain-auth
  local base="http://127.0.0.1:$PORT" n=0 code p
  local paths=(
    /dev/../conf/planted /dev/../../conf/planted /../conf/planted /dev/%2e%2e/conf/planted
    /dev/%2E%2E/conf/planted /dev/.%2e/conf/planted /dev/%2e./conf/planted /dev/%2e%2e%2fconf%2fplanted
    /dev/..%2fconf/planted /dev/%252e%252e/conf/planted /dev/%252e%252e%252fconf%252fplanted
    /dev/%25252e%25252e/conf/planted /dev/..%5cconf%5cplanted '/dev/..\conf\planted' /dev/%5c..%5cconf
    /dev/%c0%ae%c0%ae/conf/planted /dev/%c0%ae%c0%ae%c0%afconf /dev/%e0%80%ae%e0%80%ae/conf/planted
    /dev/%f0%80%80%ae%f0%80%80%ae/conf /dev/%c1%9c/conf /dev/%ed%a0%80 /dev/%ff%fe /dev/%00 /dev/a%00b
    /dev/%0a /dev/%0d%0aX-Injected:%20yes /dev/%7f /dev/%2e /dev/. /dev/./pool /dev/.hidden /dev/%2ehidden
    /dev/dists/.tmp-skaro /dev/link-relative /dev/link-absolute /dev/dists/skaro/link-dir/planted
    /dev/link-magic /dev/link-other-farm/skaro /planted /conf/planted /db/planted /store /tmp /lock
    /conf/tokens /dev//conf/planted //dev/pool /dev/pool//skaro /%2e%2e/conf/planted /dev/%2fetc%2fpasswd
    /dev/%/x /dev/%zz /dev/%2 '/dev/x#y' /.. /dev/dists/skaro/../../../conf/planted
    /dev/dists/skaro/%2e%2e/%2e%2e/%2e%2e/conf/planted /DEV/pool /dev/pool/ /dev/dists/skaro/
    /alice/../conf/planted /alice/%2e%2e/conf/planted
  )
  for p in "${paths[@]}"; do
    code=$(http_code "$base$p")
    [[ $code == 400 || $code == 404 || $code == 301 ]] || fail "$p answered $code"
    [[ $code != 301 ]] || assert_eq "/dev/" "$(header Location)" "$p redirects only to the farm page"
    ! grep -q "$SECRET_TEXT" "$TESTDIR/body" || fail "$p returned the planted secret"
    grep -q "root:" "$TESTDIR/body" && fail "$p returned /etc/passwd"
    n=$((n + 1))
  done
  # Raw requests curl will not send: NUL, raw overlong UTF-8, raw control
  # bytes and backslashes, absolute and asterisk forms, bad versions.
  local raw=(
    "GET /dev/\x00/../conf/planted HTTP/1.1"
    "GET /dev/\xc0\xae\xc0\xae/conf/planted HTTP/1.1"
    "GET /dev/\xe0\x80\xae\xe0\x80\xae/conf/planted HTTP/1.1"
    "GET /dev/..\\\\conf\\\\planted HTTP/1.1"
    "GET /dev/\\\\..\\\\..\\\\conf HTTP/1.1"
    "GET /dev/\x01 HTTP/1.1"
    "GET /dev/\x7f HTTP/1.1"
    "GET /dev/\xff HTTP/1.1"
    "GET http://127.0.0.1/conf/planted HTTP/1.1"
    "GET * HTTP/1.1"
    "GET ../conf/planted HTTP/1.1"
    "GET /dev/../conf/planted HTTP/1.0"
    "GET /dev/pool HTTP/9.9"
    "GET /dev/%c0%2e%c0%2e/conf HTTP/1.1"
  )
  local r hex
  for r in "${raw[@]}"; do
    hex=$(printf "$r\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" | od -An -tx1 | tr -d ' \n')
    code=$(python3 "$CLIENT" raw "$PORT" "$hex" 2>"$TESTDIR/body")
    [[ $code == 400 || $code == 404 || $code == closed ]] || fail "raw [$r] answered $code"
    ! grep -q "$SECRET_TEXT" "$TESTDIR/body" || fail "raw [$r] returned the planted secret"
    n=$((n + 1))
  done
  msg "$n traversal and encoding variants refused"
  ((n >= 50)) || fail "only $n variants"
  # The same farm's files are still served.
  assert_eq 200 "$(http_code "$base/dev/dists/skaro/InRelease")"
  stop_serve
}

test_range_if_range_and_conditional_requests() {
  start_serve range
  local url="http://127.0.0.1:$PORT$BIG_URLPATH" size etag lm
  size=$(stat -c %s "$BIG_FILE")
  assert_eq 200 "$(http_code "$url")"
  assert_eq "$size" "$(header Content-Length)"
  assert_eq "application/vnd.debian.binary-package" "$(header Content-Type)"
  assert_eq bytes "$(header Accept-Ranges)"
  cmp -s "$TESTDIR/body" "$BIG_FILE" || fail "full body differs"
  etag=$(header ETag)
  lm=$(header Last-Modified)
  assert_matches "$lm" '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$'
  assert_matches "$etag" '^"[0-9a-f-]+"$' "a strong ETag"

  # bytes=0-0, a suffix, an open end, a middle slice: 206, Content-Range and the exact bytes.
  local spec first last
  for spec in "0-0:0:0" "-500:$((size - 500)):$((size - 1))" "$((size - 10))-:$((size - 10)):$((size - 1))" \
    "1000-1999:1000:1999" "100-$((size * 2)):100:$((size - 1))"; do
    IFS=: read -r spec first last <<<"$spec"
    assert_eq 206 "$(http_code "$url" -H "Range: bytes=$spec")" "Range bytes=$spec"
    assert_eq "bytes $first-$last/$size" "$(header Content-Range)"
    assert_eq $((last - first + 1)) "$(header Content-Length)"
    slice "$BIG_FILE" "$first" $((last - first + 1)) >"$TESTDIR/expected"
    cmp -s "$TESTDIR/expected" "$TESTDIR/body" || fail "bytes=$spec: body differs"
  done
  # Two ranges: multipart/byteranges with both parts.
  assert_eq 206 "$(http_code "$url" -H "Range: bytes=0-9,100-109")"
  assert_matches "$(header Content-Type)" '^multipart/byteranges; boundary=.+'
  assert_eq "$(stat -c %s "$TESTDIR/body")" "$(header Content-Length)"
  assert_contains "$(tr -d '\r' <"$TESTDIR/body" | grep -a Content-Range)" "bytes 0-9/$size"
  assert_contains "$(tr -d '\r' <"$TESTDIR/body" | grep -a Content-Range)" "bytes 100-109/$size"
  # Unsatisfiable: 416 with bytes */size.
  assert_eq 416 "$(http_code "$url" -H "Range: bytes=$size-")"
  assert_eq "bytes */$size" "$(header Content-Range)"
  # Invalid or too many ranges: the whole file (RFC 9110 14.2 lets a server ignore Range).
  assert_eq 200 "$(http_code "$url" -H "Range: bytes=5-1")"
  assert_eq 200 "$(http_code "$url" -H "Range: bytes=0-0,2-2,4-4,6-6,8-8")"
  assert_eq 200 "$(http_code "$url" -H "Range: lines=1-2")"
  # If-Range: a matching ETag or date keeps the range; anything else gets the whole file.
  assert_eq 206 "$(http_code "$url" -H "Range: bytes=0-9" -H "If-Range: $etag")"
  assert_eq 206 "$(http_code "$url" -H "Range: bytes=0-9" -H "If-Range: $lm")"
  assert_eq 200 "$(http_code "$url" -H "Range: bytes=0-9" -H 'If-Range: "stale"')"
  assert_eq "$size" "$(header Content-Length)"
  assert_eq 200 "$(http_code "$url" -H "Range: bytes=0-9" -H "If-Range: W/$etag")"
  assert_eq 200 "$(http_code "$url" -H "Range: bytes=0-9" -H "If-Range: Mon, 01 Jan 2001 00:00:00 GMT")"
  # Conditional GET: 304 without a body, with the validators.
  assert_eq 304 "$(http_code "$url" -H "If-None-Match: $etag")"
  assert_eq "$etag" "$(header ETag)"
  [[ ! -s $TESTDIR/body ]] || fail "304 with a body"
  assert_eq 304 "$(http_code "$url" -H "If-Modified-Since: $lm")"
  assert_eq 200 "$(http_code "$url" -H "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT")"
  assert_eq 200 "$(http_code "$url" -H 'If-None-Match: "other"' -H "If-Modified-Since: $lm")"
  assert_eq 412 "$(http_code "$url" -H 'If-Match: "other"')"
  # HEAD: the GET's fields, no body; other methods: 405 with Allow.
  assert_eq 200 "$(http_code "$url" -I)"
  assert_eq "$size" "$(header Content-Length)"
  assert_eq 405 "$(http_code "$url" -X POST)"
  assert_eq "GET, HEAD" "$(header Allow)"
  # Content types apt's neighbours care about.
  http_code "http://127.0.0.1:$PORT/dev/dists/skaro/InRelease" >/dev/null
  assert_eq "text/plain; charset=utf-8" "$(header Content-Type)"
  http_code "http://127.0.0.1:$PORT/dev/dists/skaro/main/binary-amd64/Packages.xz" >/dev/null
  assert_eq "application/x-xz" "$(header Content-Type)"
  stop_serve
}

test_pipelined_requests_are_answered_in_order() {
  start_serve pipeline
  local out expect_small expect_big
  out=$(python3 "$CLIENT" pipeline "$PORT" /dev/dists/skaro/Release /nosuch/x "$BIG_URLPATH" /dev/dists/skaro/InRelease)
  expect_small=$(stat -L -c %s "$ROOT/public/dev/dists/skaro/Release")
  expect_big=$(stat -c %s "$BIG_FILE")
  local lines
  mapfile -t lines <<<"$out"
  assert_eq 4 "${#lines[@]}" "four responses"
  assert_matches "${lines[0]}" "^200 $expect_small "
  assert_matches "${lines[1]}" "^404 "
  assert_matches "${lines[2]}" "^200 $expect_big "
  assert_matches "${lines[3]}" "^200 $(stat -L -c %s "$ROOT/public/dev/dists/skaro/InRelease") "
  stop_serve
}

test_hostile_clients_do_not_stop_apt() {
  start_serve hostile --header-timeout 3 --access-log "$TESTDIR/hostile.log"
  # Limits: a huge head, too many fields, a body.
  local big fields i
  big=$(head -c 20000 /dev/zero | tr '\0' a)
  assert_eq 431 "$(http_code "http://127.0.0.1:$PORT/dev/" -H "X-Big: $big")"
  fields=()
  for ((i = 0; i < 120; i++)); do fields+=(-H "X-F$i: v"); done
  assert_eq 431 "$(http_code "http://127.0.0.1:$PORT/dev/" "${fields[@]}")"
  assert_eq 400 "$(http_code "http://127.0.0.1:$PORT/dev/" --data-binary hello -X GET)"

  python3 "$CLIENT" slow "$PORT" >"$TESTDIR/slow.out" &
  local slow=$!
  python3 "$CLIENT" idle "$PORT" 1000 25 >"$TESTDIR/idle.out" &
  local idle=$!
  for ((i = 0; i < 100; i++)); do [[ -s $TESTDIR/idle.out ]] && break; sleep 0.1; done
  assert_eq 1000 "$(cat "$TESTDIR/idle.out")" "idle connections opened"
  setup_apt_root "$TESTDIR/apt-hostile" amd64
  apt_sources "http://127.0.0.1:$PORT/dev"
  local start=$SECONDS
  apt_update_clean
  mkdir -p "$TESTDIR/dl-hostile" && cd "$TESTDIR/dl-hostile"
  run_ok apt_get download hello
  ((SECONDS - start <= 10)) || fail "apt took $((SECONDS - start)) s next to 1,000 idle connections and a slow client"
  wait "$slow"
  local dropped
  dropped=$(cat "$TESTDIR/slow.out")
  msg "slow client dropped after $dropped s (header timeout 3 s)"
  python3 -c "import sys; sys.exit(0 if 2.5 <= float('$dropped') <= 6 else 1)" ||
    fail "the slow client was dropped after $dropped s, not about 3"
  kill "$idle" 2>/dev/null || true
  stop_serve
}

test_apt_update_while_publishing_100_times() {
  start_serve publish
  setup_apt_root "$TESTDIR/apt-publish" amd64
  apt_sources "http://127.0.0.1:$PORT/dev"
  apt_update_clean
  local extra
  extra=$(make_deb "$IN" churn 1.0-1 amd64)
  # apt updates in a loop (by-hash, keep-alive, pipelining) while publishes run.
  (
    set +e
    local n=0
    while [[ ! -f $TESTDIR/publish.done ]]; do
      apt_get update >"$TESTDIR/update.$n.out" 2>&1 || echo "exit $?" >>"$TESTDIR/update.$n.out"
      n=$((n + 1))
    done
    echo "$n" >"$TESTDIR/updates.count"
  ) &
  local loop=$!
  local i
  for ((i = 0; i < 50; i++)); do
    prepo_r "$ROOT" -q include dev/skaro "$extra" || fail "include $i failed"
    prepo_r "$ROOT" -q remove dev/skaro churn || fail "remove $i failed"
  done
  touch "$TESTDIR/publish.done"
  wait "$loop"
  local count bad
  count=$(cat "$TESTDIR/updates.count")
  msg "$count apt-get updates during 100 publishes"
  ((count >= 5)) || fail "only $count updates ran during the publishes"
  bad=$(cat "$TESTDIR"/update.*.out | grep -E -i 'mismatch|unexpected size|^E:|^W:|^Err:|^exit ' | sort | uniq -c | head -20 || true)
  [[ -z $bad ]] || fail "apt-get update failed during publishes: $bad"
  stop_serve
}

test_sighup_reloads_the_certificate() {
  local cert="$TESTDIR/live.pem" key="$TESTDIR/live.key"
  cp "$TESTDIR/server.pem" "$cert"
  cp "$TESTDIR/server.key" "$key"
  start_serve sighup --tls-cert "$cert" --tls-key "$key"
  subject() { openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$TESTDIR/ca.pem" </dev/null 2>/dev/null | openssl x509 -noout -subject; }
  assert_contains "$(subject)" "prepo test server one"
  cp "$TESTDIR/server2.pem" "$cert"
  cp "$TESTDIR/server2.key" "$key"
  kill -HUP "$SERVE_PID"
  local i
  for ((i = 0; i < 50; i++)); do [[ $(subject) == *"server two"* ]] && break; sleep 0.1; done
  assert_contains "$(subject)" "prepo test server two"
  # A broken certificate is reported and the working one kept.
  echo "not a certificate" >"$cert"
  kill -HUP "$SERVE_PID"
  for ((i = 0; i < 50; i++)); do grep -q "keeping the previous certificate" "$TESTDIR/sighup.out" && break; sleep 0.1; done
  assert_contains "$(cat "$TESTDIR/sighup.out")" "SIGHUP: keeping the previous certificate: $cert:"
  assert_contains "$(subject)" "prepo test server two"
  assert_eq 200 "$(http_code "https://127.0.0.1:$PORT/dev/dists/skaro/InRelease" --cacert "$TESTDIR/ca.pem")"
  stop_serve
}

test_sigterm_lets_a_download_finish() {
  start_serve sigterm
  # A download slowed to about 2 s, then SIGTERM in the middle of it.
  curl -s --limit-rate 2M -o "$TESTDIR/slow.deb" "http://127.0.0.1:$PORT$BIG_URLPATH" &
  local dl=$!
  sleep 0.7
  kill -TERM "$SERVE_PID"
  sleep 0.2
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/dev/" || true)
  assert_eq 000 "$code" "no new connections once stopping"
  wait "$dl" || fail "the download in flight failed"
  assert_files_equal "$BIG_FILE" "$TESTDIR/slow.deb"
  local rc=0
  wait "$SERVE_PID" || rc=$?
  assert_eq 0 "$rc" "prepo serve exit status after SIGTERM"
  assert_contains "$(cat "$TESTDIR/sigterm.out")" "stopped"
}

test_access_log_lines() {
  start_serve log --tls-cert "$TESTDIR/server.pem" --tls-key "$TESTDIR/server.key" --access-log "$TESTDIR/access.log"
  http_code "https://127.0.0.1:$PORT/alice/dists/skaro/InRelease" --cacert "$TESTDIR/ca.pem" -u al:"$TOKEN" -A 'agent "quoted"' -e 'http://ref/' >/dev/null
  http_code "https://127.0.0.1:$PORT/alice/dists/skaro/InRelease" --cacert "$TESTDIR/ca.pem" >/dev/null
  http_code "https://127.0.0.1:$PORT/dev/nosuch%0a" --cacert "$TESTDIR/ca.pem" >/dev/null
  stop_serve
  local log
  log=$(cat "$TESTDIR/access.log")
  assert_eq 3 "$(wc -l <"$TESTDIR/access.log")" "one line per response"
  local line1 line2 size
  line1=$(sed -n 1p "$TESTDIR/access.log")
  line2=$(sed -n 2p "$TESTDIR/access.log")
  size=$(stat -L -c %s "$ROOT/public/alice/dists/skaro/InRelease")
  assert_matches "$line1" "^127\.0\.0\.1 - al \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} \+0000\] \"GET /alice/dists/skaro/InRelease HTTP/1\.1\" 200 $size \"http://ref/\" \"agent \\\\\"quoted\\\\\"\"$"
  assert_matches "$line2" '^127\.0\.0\.1 - - \[.*\] "GET /alice/dists/skaro/InRelease HTTP/1\.1" 401 [0-9]+ "-" "curl/'
  assert_contains "$(sed -n 3p "$TESTDIR/access.log")" '"GET /dev/nosuch%0a HTTP/1.1" 400'
  assert_not_contains "$log" "$TOKEN" "the secret is never logged"
  assert_not_contains "$log" "Basic " "credentials are never logged"
}

run_suite
