#!/usr/bin/env python3
"""deb822 helpers for the integration suites.

  deb822_tool.py field FILE FIELD            value of FIELD in the first stanza
  deb822_tool.py values FILE FIELD           FIELD of every stanza, one a line
  deb822_tool.py verify-release DISTDIR [strict|present]
      every file listed under MD5Sum/SHA1/SHA256/SHA512 of DISTDIR/Release
      has that size and hash (strict: and exists)
  deb822_tool.py check-by-hash DISTDIR
      for every Packages*/Sources* index listed in Release: by-hash/SHA256/<h>
      and by-hash/<strongest listed hash>/<h> exist beside it, same bytes
  deb822_tool.py compare EXPECTED ACTUAL[,ACTUAL...] [KEYFIELD...]
      compare index files (plain, .gz or .xz) as complete stanza sets (the
      ACTUAL files taken together, identical repeats counted once),
      keyed by KEYFIELDs (default Package Version Architecture); fields
      compared by name (case-insensitive) and value; prints every difference
  deb822_tool.py subset EXPECTED ACTUAL [KEYFIELD...]
      like compare, but ACTUAL may hold only some of EXPECTED's stanzas;
      each stanza it holds must be equal to EXPECTED's
  deb822_tool.py filter IN OUT FIELD REGEX [-v]
      write to OUT the stanzas of IN whose FIELD matches REGEX (-v: not)
  deb822_tool.py edit-listing FILE NAME (--rename NEW | --size N | --sha256 HEX)
      in FILE's Files/Checksums-* sections, change the entry for NAME:
      rename it (every section), change its size (every section) or its
      SHA256 (Checksums-Sha256 only). FILE is edited in place.
Exit status 0 when all is well, 1 on a difference, 2 on bad usage.
"""

import gzip
import hashlib
import lzma
import os
import sys

HASHES = [("MD5Sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256"), ("SHA512", "sha512")]


def read_text(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    elif path.endswith(".xz"):
        data = lzma.decompress(data)
    return data.decode("utf-8")


def parse(text):
    """List of stanzas; a stanza is a list of (name, value) in order."""
    stanzas, cur, last = [], [], None
    for line in text.split("\n"):
        if line.strip() == "":
            if cur:
                stanzas.append(cur)
            cur, last = [], None
            continue
        if line[0] in " \t":
            if last is None:
                raise ValueError(f"continuation line without a field: {line!r}")
            name, value = cur[-1]
            cur[-1] = (name, value + "\n" + line)
            continue
        if line.startswith("#"):
            continue
        if ":" not in line:
            raise ValueError(f"line without a colon: {line!r}")
        name, value = line.split(":", 1)
        cur.append((name, value))
        last = name
    if cur:
        stanzas.append(cur)
    # Normalise: strip the first line of each value, keep continuation lines.
    out = []
    for st in stanzas:
        norm = []
        for name, value in st:
            first, *rest = value.split("\n")
            norm.append((name, "\n".join([first.strip()] + [r.rstrip() for r in rest])))
        out.append(norm)
    return out


def as_dict(stanza):
    return {name.lower(): (name, value) for name, value in stanza}


def release_entries(distdir):
    rel = parse(read_text(os.path.join(distdir, "Release")))[0]
    d = as_dict(rel)
    entries = {}
    for field, algo in HASHES:
        if field.lower() not in d:
            continue
        for line in d[field.lower()][1].split("\n"):
            line = line.strip()
            if not line:
                continue
            h, size, path = line.split()
            entries.setdefault(path, {})[algo] = (h, int(size))
    return d, entries


def file_hash(path, algo):
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_release(distdir, mode):
    _, entries = release_entries(distdir)
    problems = []
    if not entries:
        problems.append("Release lists no files")
    for path, hashes in sorted(entries.items()):
        full = os.path.join(distdir, path)
        if not os.path.isfile(full):
            if mode == "strict":
                problems.append(f"{path}: listed in Release but missing")
            continue
        size = os.path.getsize(full)
        for algo, (h, sz) in hashes.items():
            if sz != size:
                problems.append(f"{path}: Release says size {sz} ({algo}), file has {size}")
            actual = file_hash(full, algo)
            if actual != h:
                problems.append(f"{path}: Release says {algo} {h}, file has {actual}")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


def check_by_hash(distdir):
    d, entries = release_entries(distdir)
    problems = []
    listed = [a for f, a in HASHES if f.lower() in d]
    strongest = listed[-1] if listed else None
    names = {"md5": "MD5Sum", "sha1": "SHA1", "sha256": "SHA256", "sha512": "SHA512"}
    checked = 0
    for path, hashes in sorted(entries.items()):
        base = os.path.basename(path)
        if not (base.startswith("Packages") or base.startswith("Sources")):
            continue
        full = os.path.join(distdir, path)
        if not os.path.isfile(full):
            continue
        for algo in sorted({"sha256", strongest} & set(hashes)):
            h = hashes[algo][0]
            bh = os.path.join(distdir, os.path.dirname(path), "by-hash", names[algo], h)
            checked += 1
            if not os.path.isfile(bh):
                problems.append(f"{path}: no by-hash/{names[algo]}/{h}")
            elif file_hash(bh, algo) != h:
                problems.append(f"{bh}: content does not match its name")
    if checked == 0:
        problems.append("no Packages/Sources index listed in Release")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


def keyed(stanzas, keys, label):
    out = {}
    for st in stanzas:
        d = as_dict(st)
        k = tuple(d.get(key.lower(), ("", ""))[1] for key in keys)
        if k in out:
            print(f"{label}: duplicate stanza for {k}", file=sys.stderr)
        out[k] = d
    return out


def compare(expected_path, actual_paths, keys, subset=False):
    """actual_paths: comma-separated files whose stanzas are taken together;
    a stanza repeated identically in several of them counts once."""
    exp = keyed(parse(read_text(expected_path)), keys, expected_path)
    act = {}
    actual_path = actual_paths
    for path in actual_paths.split(","):
        for k, d in keyed(parse(read_text(path)), keys, path).items():
            if k in act and act[k] != d:
                print(f"{path}: stanza {k} differs from the one in another index", file=sys.stderr)
                return 1
            act[k] = d
    problems = []
    if not subset:
        for k in sorted(set(exp) - set(act)):
            problems.append(f"missing stanza {k} (in {expected_path}, not in {actual_path})")
    for k in sorted(set(act) - set(exp)):
        problems.append(f"extra stanza {k} (in {actual_path}, not in {expected_path})")
    for k in sorted(set(exp) & set(act)):
        e, a = exp[k], act[k]
        for f in sorted(set(e) | set(a)):
            if f not in a:
                problems.append(f"{k}: field {e[f][0]} missing (expected {e[f][1]!r})")
            elif f not in e:
                problems.append(f"{k}: extra field {a[f][0]}: {a[f][1]!r}")
            elif e[f][1] != a[f][1]:
                problems.append(f"{k}: field {e[f][0]}: expected {e[f][1]!r}, got {a[f][1]!r}")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "field" and len(args) == 2:
        d = as_dict(parse(read_text(args[0]))[0])
        if args[1].lower() not in d:
            return 1
        print(d[args[1].lower()][1])
        return 0
    if cmd == "values" and len(args) == 2:
        for st in parse(read_text(args[0])):
            d = as_dict(st)
            if args[1].lower() in d:
                print(d[args[1].lower()][1])
        return 0
    if cmd == "verify-release" and len(args) in (1, 2):
        return verify_release(args[0], args[1] if len(args) == 2 else "strict")
    if cmd == "check-by-hash" and len(args) == 1:
        return check_by_hash(args[0])
    if cmd == "edit-listing" and len(args) == 4:
        path, name, what, new = args
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8").split("\n")
        section, changed = None, 0
        for i, line in enumerate(lines):
            if line and line[0] not in " \t":
                section = line.split(":", 1)[0].lower()
                continue
            parts = line.split()
            if section not in ("files", "checksums-sha1", "checksums-sha256", "checksums-sha512"):
                continue
            if not parts or parts[-1] != name:
                continue
            if what == "--rename":
                parts[-1] = new
            elif what == "--size":
                parts[1] = new
            elif what == "--sha256":
                if section != "checksums-sha256":
                    continue
                parts[0] = new
            else:
                print(__doc__, file=sys.stderr)
                return 2
            lines[i] = " " + " ".join(parts)
            changed += 1
        if not changed:
            print(f"{path}: no entry for {name}", file=sys.stderr)
            return 1
        with open(path, "wb") as f:
            f.write("\n".join(lines).encode("utf-8"))
        return 0
    if cmd == "filter" and len(args) in (4, 5):
        import re
        rx = re.compile(args[3])
        invert = len(args) == 5 and args[4] == "-v"
        out = []
        for st in parse(read_text(args[0])):
            value = as_dict(st).get(args[2].lower(), ("", ""))[1]
            if bool(rx.search(value)) != invert:
                out.append("\n".join(f"{n}: {v}" for n, v in st) + "\n")
        with open(args[1], "w") as f:
            f.write("\n".join(out))
        return 0
    if cmd in ("compare", "subset") and len(args) >= 2:
        keys = args[2:] or ["Package", "Version", "Architecture"]
        return compare(args[0], args[1], keys, subset=(cmd == "subset"))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
