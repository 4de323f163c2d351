#!/usr/bin/env python3
"""Turn a fixture's serial console log into expected.json.

usage: parse_gt.py CONSOLE_LOG [--variant NAME] > expected.json

Everything comes from the console: the GT ("ground truth") lines printed by
scenarios/lockalias_scenarios.c from the kernel's own structures, the
"Linux version" banner, lockdep's "Invalid wait context" splat and its
"found a different class" warning.  Nothing is hand-written.  Schema: see
vmcore-fixtures/README.md ("expected.json").
"""
import argparse, json, re, sys

SCHEMA = 1
# "[ 12.345678] text", and with CONFIG_PRINTK_CALLER (Debian's config, the
# real system) "[ 12.345678][ T2608] text" on the console, "[ 12.345678]
# [   T2608] text" in dmesg: the caller field is not part of the text.
TS = re.compile(r"^\[\s*(\d+\.\d+)\](?:\s?\[\s*[TC]\d+\])?\s?")
TOKEN = re.compile(r'([a-z_]+)=("[^"]*"|.*?)(?= [a-z_]+=|$)')
ADDR_FIELDS = {"map", "lock", "map_key", "class", "class_key", "owner", "task",
               "would_class", "object"}
INT_FIELDS = {"slot", "class_subclass", "pid", "objects", "cached",
              "same_class", "clean", "num_tx_queues", "debug_locks", "notrack"}
WAIT_FIELDS = {"map_wait", "class_wait", "would_wait"}
# "ffff888002c1a898 (&dev->mutex){....}-{3:3}, at: netif_freeze_queues+0x3f/0x6e"
SPLAT_LOCK = re.compile(
    r"^(?:#(?P<index>\d+): )?(?P<map>[0-9a-f]{8,16}) \((?P<name>.*)\)"
    r"\{(?P<usage>[^}]*)\}-\{(?P<outer>\d+):(?P<inner>\d+)\}"
    r"(?:, at: (?P<at>\S+))?")


def addr(v):
    if v in ("-", ""):
        return None
    return "0x" + v.lower()


def value(key, raw):
    if raw.startswith('"') and raw.endswith('"'):
        return raw[1:-1]
    if key in ADDR_FIELDS:
        return addr(raw)
    if key in WAIT_FIELDS:
        o, i = raw.split(":")
        return {"outer": int(o), "inner": int(i)}
    if key in INT_FIELDS:
        return None if raw == "-" else int(raw)
    return raw


def tokens(text):
    return {k: value(k, v) for k, v in TOKEN.findall(text)}


def read_lines(path):
    out = []
    with open(path, "r", errors="replace") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\r\n").replace("\r", "")
            m = TS.match(line)
            t = float(m.group(1)) if m else None
            out.append((n, t, line[m.end():] if m else line))
    return out


def splat_lock(text):
    m = SPLAT_LOCK.match(text.strip())
    if not m:
        return None
    d = {"map": addr(m.group("map")), "class_name": m.group("name"),
         "usage": m.group("usage"),
         "wait": {"outer": int(m.group("outer")), "inner": int(m.group("inner"))},
         "at": m.group("at")}
    if m.group("index") is not None:
        d = {"index": int(m.group("index")), **d}
    return d


def parse_splat(lines, title="BUG: Invalid wait context"):
    """The first lockdep report with TITLE: its lines (timestamps stripped)
    from the ==== rule above the title to </TASK>, and its parsed parts."""
    idx = next((i for i, (_, _, s) in enumerate(lines) if title in s), None)
    if idx is None:
        return None
    start = idx - 1 if idx > 0 and set(lines[idx - 1][2].strip()) == {"="} else idx
    end = idx
    while end + 1 < len(lines):
        end += 1
        s = lines[end][2]
        if s.strip() == "</TASK>" or s.startswith("lockalias-"):
            if s.startswith("lockalias-"):
                end -= 1
            break
    block = [s for (_, _, s) in lines[start:end + 1]]
    sp = {"title": title, "console_line": lines[idx][0], "time": lines[idx][1],
          "lines": block, "task": None, "trying_to_lock": None,
          "context": None, "held_locks": []}
    for i, s in enumerate(block):
        m = re.match(r"^(\S+/\d+) is trying to lock:", s)
        if m and i + 1 < len(block):
            sp["task"] = m.group(1)
            sp["trying_to_lock"] = splat_lock(block[i + 1])
        m = re.match(r"^context-\{(\d+):(\d+)\}", s)
        if m:
            sp["context"] = {"outer": int(m.group(1)), "inner": int(m.group(2))}
        if re.match(r"^\s+#\d+: ", s):
            h = splat_lock(s)
            if h:
                sp["held_locks"].append(h)
    return sp


# "WARNING: CPU: 0 PID: 42 at kernel/locking/lockdep.c:936 look_up_lock_class+0xf5/0x109"
# (7.2: "WARNING: kernel/locking/lockdep.c:939 at look_up_lock_class+0xde/0xf5, CPU#0: insmod/42")
WARN_AT = re.compile(r"WARNING: (?:CPU: \d+ PID: \d+ at (?P<at>\S+:\d+) "
                     r"(?P<function>look_up_lock_class\+[^\s,]+)"
                     r"|(?P<at2>\S+:\d+) at (?P<function2>look_up_lock_class\+[^\s,]+))")
LOOKING = re.compile(r'Looking for class "(.*)" with key (\S+)(?: \[(\S+)\])?, '
                     r'but found a different class "(.*)" with the same key')


def parse_class_warning(lines):
    """Lockdep's one-time "same key, different name" WARN in
    look_up_lock_class().  Two forms: "looking-for-class" (5.12+ WARN_ONCE
    with text, then the WARNING line) and "bare-warn" (5.10: WARN_ON_ONCE,
    only the WARNING line; which lock it was is not printed)."""
    for i, (n, t, s) in enumerate(lines):
        m = LOOKING.search(s)
        if m:
            d = {"form": "looking-for-class", "console_line": n, "text": s,
                 "lock_name": m.group(1), "key_symbol": m.group(2),
                 "key_module": m.group(3), "class_name": m.group(4),
                 "at": None, "function": None}
            for n2, _, s2 in lines[i + 1:i + 4]:
                w = WARN_AT.search(s2)
                if w:
                    d.update(at=w.group("at") or w.group("at2"),
                             function=w.group("function") or w.group("function2"))
                    break
            return d
        w = WARN_AT.search(s)
        if w:
            return {"form": "bare-warn", "console_line": n, "text": s[w.start():],
                    "lock_name": None, "key_symbol": None, "key_module": None,
                    "class_name": None, "at": w.group("at") or w.group("at2"),
                    "function": w.group("function") or w.group("function2")}
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("console")
    ap.add_argument("--variant")
    a = ap.parse_args()
    lines = read_lines(a.console)

    variant, release, cmdline = a.variant, None, None
    locks, counts_lines, info, errors, freed = [], {}, {}, [], []
    start = done = init_done = False
    for n, t, s in lines:
        if release is None:
            m = re.search(r"Linux version (\S+)", s)
            if m:
                release = m.group(1)
        if cmdline is None and s.startswith("Command line: "):
            cmdline = s[len("Command line: "):]
            m = re.search(r"\blockalias_variant=(\S+)", cmdline)
            if m and variant is None:
                variant = m.group(1)
        if s.startswith("lockalias-init: done"):
            init_done = True
        if not s.startswith("lockalias-gt: "):
            continue
        body = s[len("lockalias-gt: "):]
        kind = body.split(" ", 1)[0]
        if kind == "start":
            start = True
            info["start"] = tokens(body)
        elif kind == "done":
            done = True
        elif kind == "count":
            d = tokens(body)
            counts_lines[d.pop("scenario")] = d
        elif kind == "info":
            d = tokens(body)
            info[d.pop("scenario")] = d
        elif kind == "error":
            errors.append(body)
        elif kind == "freed":
            freed.append(tokens(body[len("freed "):]))
        elif kind.startswith("scenario="):
            d = tokens(body)
            if d.get("verdict") == "uncached":
                for k in ("class", "class_name", "class_key",
                          "class_subclass", "class_wait"):
                    d[k] = None
                # latent=none: no class would be used (would_class=-)
                if "would_class" in d and d["would_class"] is None:
                    d["would_name"] = d["would_wait"] = None
            d["console_line"], d["time"] = n, t
            locks.append(d)
        else:
            errors.append("unparsed: " + body)

    by_verdict, by_scenario, by_latent = {}, {}, {}
    for d in locks:
        by_verdict[d["verdict"]] = by_verdict.get(d["verdict"], 0) + 1
        by_scenario[d["scenario"]] = by_scenario.get(d["scenario"], 0) + 1
        if "latent" in d:
            by_latent[d["latent"]] = by_latent.get(d["latent"], 0) + 1
    counts = {"gt_lines": len(locks),
              "maps": len({d["map"] for d in locks}),
              "by_verdict": by_verdict, "by_scenario": by_scenario}
    if by_latent:  # consoles from before the latent scenario have none
        counts["by_latent"] = by_latent
    counts.update(counts_lines)

    out = {"schema": SCHEMA, "variant": variant, "release": release,
           "cmdline": cmdline, "module_loaded": start, "gt_done": done,
           "init_done": init_done, "locks": locks, "counts": counts,
           "info": info, "errors": errors, "freed": freed,
           "splat": parse_splat(lines), "class_warning": parse_class_warning(lines)}
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
