#!/usr/bin/env python3
"""Raw-socket HTTP clients for test_serve.sh: what curl and apt cannot send
or do (NUL bytes, overlong UTF-8, pipelining, one byte a second, a thousand
idle connections).

  serve_client.py raw PORT HEX_REQUEST  -> the status code (or 'closed'); the body on stderr
  serve_client.py pipeline PORT PATH... -> sends all GETs at once, prints "status length etag" per response
  serve_client.py idle PORT N SECONDS   -> holds N idle connections, prints how many it opened
  serve_client.py slow PORT             -> sends a head one byte a second, prints seconds until dropped
"""
import socket
import sys
import time


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=20)


def read_response(f):
    """One response from a file object: (status, headers, body), or None at EOF."""
    line = f.readline()
    if not line:
        return None
    status = int(line.split()[1])
    headers = {}
    while True:
        h = f.readline()
        if h in (b"\r\n", b""):
            break
        name, _, value = h.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = f.read(length) if length else b""
    return status, headers, body


def cmd_raw(port, hexreq):
    s = connect(port)
    s.sendall(bytes.fromhex(hexreq))
    try:
        r = read_response(s.makefile("rb"))
    except (ConnectionResetError, ValueError, IndexError):
        r = None
    if r is None:
        print("closed")
        return
    status, _, body = r
    print(status, flush=True)
    sys.stderr.buffer.write(body)


def cmd_pipeline(port, paths):
    s = connect(port)
    s.sendall(b"".join(f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() for p in paths))
    f = s.makefile("rb")
    for _ in paths:
        status, headers, body = read_response(f)
        print(status, len(body), headers.get("etag", "-"))


def cmd_idle(port, n, seconds):
    conns = []
    for _ in range(n):
        try:
            conns.append(connect(port))
        except OSError:
            break
    print(len(conns), flush=True)
    time.sleep(seconds)


def cmd_slow(port):
    s = connect(port)
    head = b"GET /dev/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
    start = time.monotonic()
    try:
        for b in head:
            s.send(bytes([b]))
            time.sleep(1)
            s.settimeout(0.001)
            try:
                if s.recv(1) == b"":
                    break  # the server closed the connection
            except socket.timeout:
                pass
            finally:
                s.settimeout(20)
    except (BrokenPipeError, ConnectionResetError):
        pass
    print(f"{time.monotonic() - start:.1f}")


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "raw":
        cmd_raw(port, sys.argv[3])
    elif cmd == "pipeline":
        cmd_pipeline(port, sys.argv[3:])
    elif cmd == "idle":
        cmd_idle(port, int(sys.argv[3]), float(sys.argv[4]))
    elif cmd == "slow":
        cmd_slow(port)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
