#!/usr/bin/env python3
"""Damage a bcms store at many offsets and check that bcms never crashes on it.

Usage: store_damage.py BCMS STORE WORKDIR NFLIPS SEED -- COMMAND... [-- COMMAND...]
Each COMMAND is a bcms sub-command line where the word STORE stands for the damaged store and
OUT for its output file. For every damage (a byte changed at NFLIPS offsets drawn with SEED over the
whole data.mdb, and every 4 KiB page zeroed), each command must end in one of:
  - an error exit (1) with a message, no signal, no sanitizer report, and no output file left; or
  - success with output identical to the undamaged store's.
A success with a different output ("silent") is a failure, except where the damaged page belongs to
a record that carries no checksum yet (LMDB's own pages, tables meta/samples/sample_ids/datasets):
those are counted and listed, and fail only with BCMS_DAMAGE_STRICT=1. The owner of each page comes
from walking the undamaged file's B-trees (LMDB 0.9 layout: 16-byte page header, nodes).
"""
import os, random, shutil, struct, subprocess, sys

PAGE = 4096
UNCHECKED = {"lmdb-meta", "main", "free", "meta", "samples", "sample_ids", "datasets"}


def page_owners(data):
    """Map page number -> table name for the newest LMDB snapshot in data."""
    owners = {}
    metas = []
    for m in (0, 1):
        off = m * PAGE + 16
        magic, = struct.unpack_from("<I", data, off)
        db = [struct.unpack_from("<IHHQQQQQ", data, off + 24 + 48 * i) for i in (0, 1)]
        last_pg, txnid = struct.unpack_from("<QQ", data, off + 24 + 96)
        metas.append((txnid, db))
        owners[m] = "lmdb-meta"
    txnid, (free_db, main_db) = max(metas)

    def walk(root, name, subdbs=None):
        stack = [root]
        while stack:
            pg = stack.pop()
            if pg == 0xFFFFFFFFFFFFFFFF or pg * PAGE >= len(data) or pg in owners:
                continue
            base = pg * PAGE
            _, _, flags, lower, upper = struct.unpack_from("<QHHHH", data, base)
            owners[pg] = name
            nkeys = (lower - 16) // 2
            for k in range(nkeys):
                ptr, = struct.unpack_from("<H", data, base + 16 + 2 * k)
                lo, hi, nflags, ksize = struct.unpack_from("<HHHH", data, base + ptr)
                if flags & 1:  # branch: child page number
                    stack.append(lo | hi << 16 | nflags << 32)
                elif flags & 2:  # leaf
                    dpos = base + ptr + 8 + ksize
                    if nflags & 1:  # F_BIGDATA: overflow pages
                        opg, = struct.unpack_from("<Q", data, dpos)
                        npages, = struct.unpack_from("<I", data, opg * PAGE + 12)
                        for q in range(opg, opg + npages):
                            owners[q] = name
                    elif nflags & 2 and subdbs is not None:  # F_SUBDATA: a named table
                        key = data[base + ptr + 8: base + ptr + 8 + ksize].decode()
                        subdbs[key] = struct.unpack_from("<IHHQQQQQ", data, dpos)[7]
    subdbs = {}
    walk(main_db[7], "main", subdbs)
    for name, root in subdbs.items():
        walk(root, name)
    walk(free_db[7], "free")
    return owners


def run(cmds, bcms, store, work):
    res = []
    for i, c in enumerate(cmds):
        out = os.path.join(work, "out%d" % i)
        argv = [bcms] + [store if w == "STORE" else out if w == "OUT" else w for w in c]
        for f in (out, out + ".log"):
            if os.path.exists(f):
                os.unlink(f)
        p = subprocess.run(argv, capture_output=True, timeout=120)
        body = open(out, "rb").read() if os.path.exists(out) else None
        res.append((p.returncode, p.stderr.decode(errors="replace"), body, os.path.exists(out)))
    return res


def normalise(body):
    # view writes its own command line (with the output path) into the header
    return None if body is None else b"\n".join(l for l in body.split(b"\n") if not l.startswith(b"##bcms_viewCommand"))


def main():
    bcms, store, work, nflips, seed = sys.argv[1:6]
    rest = sys.argv[6:]
    cmds, cur = [], None
    for w in rest:
        if w == "--":
            cur = []
            cmds.append(cur)
        else:
            cur.append(w)
    orig = open(os.path.join(store, "data.mdb"), "rb").read()
    owners = page_owners(orig)
    dmg = os.path.join(work, "damaged.bcms")
    os.makedirs(dmg, exist_ok=True)

    def install(data):
        with open(os.path.join(dmg, "data.mdb"), "wb") as f:
            f.write(data)
        if os.path.exists(os.path.join(dmg, "lock.mdb")):
            os.unlink(os.path.join(dmg, "lock.mdb"))

    install(orig)
    ref = run(cmds, bcms, dmg, work)
    for (rc, err, body, _), c in zip(ref, cmds):
        if rc != 0:
            print("FAIL the undamaged store: %s exits %d: %s" % (" ".join(c), rc, err.strip()))
            return 1
    ref = [normalise(r[2]) for r in ref]
    rng = random.Random(int(seed))
    damages = []
    for off in sorted(rng.sample(range(len(orig)), min(int(nflips), len(orig)))):
        damages.append(("flip", off, rng.choice([0x01, 0x80, 0xff, rng.randrange(1, 256)])))
    for pg in range(len(orig) // PAGE):
        damages.append(("zero-page", pg * PAGE, 0))
    counts = {"same": 0, "error": 0, "silent-known": 0}
    failures = []
    strict = os.environ.get("BCMS_DAMAGE_STRICT") == "1"
    for kind, off, x in damages:
        d = bytearray(orig)
        if kind == "flip":
            d[off] ^= x
        else:
            d[off:off + PAGE] = bytes(len(d[off:off + PAGE]))
        install(bytes(d))
        owner = owners.get(off // PAGE, "unused")
        for (rc, err, body, exists), c, r in zip(run(cmds, bcms, dmg, work), cmds, ref):
            what = "%s at %d (page %d, %s) xor 0x%02x: bcms %s" % (kind, off, off // PAGE, owner, x, " ".join(c))
            if rc < 0 or rc > 1 or "Sanitizer" in err or "runtime error" in err:
                failures.append("%s: crash (exit %d): %s" % (what, rc, err.strip()[-300:]))
            elif rc == 1:
                if not err.strip():
                    failures.append("%s: error exit without a message" % what)
                elif exists:
                    failures.append("%s: error exit left its output file" % what)
                else:
                    counts["error"] += 1
            elif normalise(body) == r:
                counts["same"] += 1
            elif owner in UNCHECKED and not strict:
                counts["silent-known"] += 1
                print("known: %s: output differs, exit 0 (the record has no checksum yet)" % what)
            else:
                failures.append("%s: exit 0 with an output that differs from the undamaged store's" % what)
    print("damages: %d x %d commands: %d identical, %d clear errors, %d silent in unchecksummed records, %d failures"
          % (len(damages), len(cmds), counts["same"], counts["error"], counts["silent-known"], len(failures)))
    for f in failures[:40]:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
