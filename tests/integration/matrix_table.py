#!/usr/bin/python3
"""The kernel x crash support table (markdown) from `make matrix`'s JUnit
files, one per crash: build/matrix/crash-VERSION.xml."""
import collections
import re
import sys
import xml.etree.ElementTree as ET

FIXTURE = re.compile(r"\[([^\]]+)\]$")


def cells(path):
    """{fixture: (passed, failed names, skip reason)} for one crash."""
    res = collections.defaultdict(lambda: [0, [], None])
    for case in ET.parse(path).iter("testcase"):
        m = FIXTURE.search(case.get("name", ""))
        if not m:
            continue
        # test_fixtures.py names its dumps NAME-elf and NAME-d31
        fixture = re.sub(r"-elf$", "", m.group(1))
        fixture = re.sub(r"-d31$", " (makedumpfile -d 31 copy)", fixture)
        skipped = case.find("skipped")
        msg = re.sub(r"^Skipped: ", "", skipped.get("message", "")) if skipped is not None else ""
        if "d31 dump is made for" in msg:
            continue  # no such dump for this kernel: not a crash result
        r = res[fixture]
        if case.find("failure") is not None or case.find("error") is not None:
            r[1].append(case.get("name").split("[")[0])
        elif skipped is not None:
            if "cannot open" in msg or r[2] is None:
                r[2] = msg
        else:
            r[0] += 1
    return res


def main(paths):
    by_crash = {re.search(r"crash-([^/]+)\.xml$", p).group(1): cells(p) for p in paths}
    fixtures = sorted({f for c in by_crash.values() for f in c})
    crashes = sorted(by_crash, key=lambda v: [int(x) for x in v.split(".")])
    print("| fixture | " + " | ".join("crash " + c for c in crashes) + " |")
    print("|---|" + "---|" * len(crashes))
    for f in fixtures:
        row = []
        for c in crashes:
            passed, failed, skip = by_crash[c].get(f, (0, [], None))
            if failed:
                row.append("**FAILED** %s" % ", ".join(sorted(set(failed))))
            elif skip and "cannot open" in skip:
                m = re.search(r"\): (?:crash: )?(.*)$", skip)
                why = re.sub(r"/\S*/([^/\s]+)", r"\1", m.group(1) if m else skip)  # paths -> file names
                row.append("does not open: %s" % why[:110])
            elif passed:
                row.append("tested (%d passed)" % passed)
            else:
                row.append("-")
        print("| %s | %s |" % (f, " | ".join(row)))


if __name__ == "__main__":
    main(sys.argv[1:])
