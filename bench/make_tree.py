#!/usr/bin/env python3
"""make_tree.py DIR N: N new directories in DIR, one new 1-KiB file in each.

What any tool that lays out a pool of N packages (one directory per
package, as Debian pools do) must do at least: bench/floor.sh times it, and
the settle step of every benchmark runs it once untimed (bench/lib.sh).
"""
import os
import sys

root, n = sys.argv[1], int(sys.argv[2])
data = b"x" * 1024
for i in range(n):
    d = os.path.join(root, f"d{i:06d}")
    os.mkdir(d)
    with open(os.path.join(d, "f"), "wb") as f:
        f.write(data)
