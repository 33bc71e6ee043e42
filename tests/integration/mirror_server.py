#!/usr/bin/env python3
"""A small HTTP server for the import tests: serves a directory like a
mirror, and misbehaves where told to.

  mirror_server.py --root DIR --port-file FILE --log FILE [--rules FILE]

Binds 127.0.0.1 on a free port and writes the port to FILE once it listens.
GET and HEAD, HTTP/1.1 with keep-alive, `Range: bytes=N-` (and N-M) answered
with 206. Every request is appended to the log as one line:

  METHOD PATH RANGE STATUS        (RANGE is the Range header or "-")

The rules file (JSON, re-read on every request, optional) is a list of
objects, each with "prefix" (a path prefix, e.g. "/trunc/pool/") and an
"action":

  {"prefix": P, "action": "truncate-once"}
      the first full (non-Range) GET of each path under P sends the headers
      with the real Content-Length, then half the body, then closes the
      connection; later requests are served normally (Range included)
  {"prefix": P, "action": "redirect", "location": URL [, "keep_rest": true]}
      302 to URL (with keep_rest: URL followed by the rest of the path after P)
  {"prefix": P, "action": "status", "code": N}
      answers N with an empty body
  {"prefix": P, "action": "hang", "seconds": N}
      reads the request and answers nothing for N seconds (default 10), then
      closes the connection: a server that accepts and never replies
  {"prefix": P, "action": "no-range"}
      ignores Range headers (always 200 with the whole file); "no_range": true
      does the same in any rule

A rule with "times": N applies to the first N requests of each path only;
after that the next matching rule (or none) applies. The first matching
rule wins.
"""

import argparse
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    root = ""
    log = ""
    rules = ""
    truncated = set()
    counts = {}
    lock = threading.Lock()


def load_rules():
    if not State.rules or not os.path.exists(State.rules):
        return []
    try:
        with open(State.rules, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "prepo-test-mirror/1"

    def log_message(self, fmt, *args):  # quiet: our own log instead
        pass

    def note(self, status):
        line = f"{self.command} {self.path} {self.headers.get('Range') or '-'} {status}\n"
        with State.lock, open(State.log, "a", encoding="utf-8") as f:
            f.write(line)

    def empty(self, code, extra=None):
        self.send_response(code)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.note(code)

    def do_HEAD(self):
        self.serve(head=True)

    def do_GET(self):
        self.serve(head=False)

    def serve(self, head):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        rule = None
        for i, r in enumerate(load_rules()):
            if not path.startswith(r.get("prefix", "\0")):
                continue
            if "times" in r:
                with State.lock:
                    n = State.counts.get((i, path), 0)
                    State.counts[(i, path)] = n + 1
                if n >= int(r["times"]):
                    continue
            rule = r
            break
        action = rule.get("action") if rule else None
        if action == "redirect":
            location = rule["location"]
            if rule.get("keep_rest"):
                location += path[len(rule["prefix"]):]
            return self.empty(302, {"Location": location})
        if action == "status":
            return self.empty(int(rule["code"]))
        if action == "hang":
            self.note("hang")
            time.sleep(float(rule.get("seconds", 10)))
            self.close_connection = True
            return

        full = os.path.realpath(os.path.join(State.root, path.lstrip("/")))
        if not (full == State.root or full.startswith(State.root + os.sep)) or not os.path.isfile(full):
            return self.empty(404)
        with open(full, "rb") as f:
            data = f.read()

        rng = self.headers.get("Range")
        if action == "no-range" or (rule and rule.get("no_range")):
            rng = None
        if rng and rng.startswith("bytes="):
            first, _, last = rng[len("bytes="):].partition("-")
            start = int(first or 0)
            end = int(last) if last else len(data) - 1
            if start >= len(data):
                return self.empty(416, {"Content-Range": f"bytes */{len(data)}"})
            body = data[start:end + 1]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{start + len(body) - 1}/{len(data)}")
            status = 206
        else:
            body = data
            self.send_response(200)
            status = 200
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")

        truncate = False
        if action == "truncate-once" and status == 200 and not head:
            with State.lock:
                if path not in State.truncated:
                    State.truncated.add(path)
                    truncate = True
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if head:
            self.note(status)
            return
        if truncate:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.note("200-truncated")
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(body)
        self.note(status)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--rules", default="")
    args = ap.parse_args()
    State.root = os.path.realpath(args.root)
    State.log = args.log
    State.rules = args.rules
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{server.server_address[1]}\n")
    os.rename(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
