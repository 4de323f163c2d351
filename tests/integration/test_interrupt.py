"""Ctrl-C in an interactive crash session (a pseudo-terminal, as a user at
a terminal). crash's own SIGINT handler longjmps to its prompt; lockalias
blocks SIGINT while it runs and polls for it, so an interrupted scan prints
its partial result marked INTERRUPTED and the session goes on. The last,
uninterrupted scan must still give the full answer."""
import os
import pty
import re
import select
import time

from conftest import CRASH, EXT


class Terminal:
    def __init__(self, argv, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvpe(argv[0], argv, env)
        self.out = b""

    def read_for(self, seconds):
        end = time.time() + seconds
        while time.time() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.02)
            if ready:
                try:
                    self.out += os.read(self.fd, 65536)
                except OSError:
                    return

    def read_until(self, marker, seconds):
        end = time.time() + seconds
        while marker not in self.out and time.time() < end:
            self.read_for(0.1)
        return marker in self.out

    def send(self, text):
        os.write(self.fd, text.encode())


def test_ctrl_c_stops_a_scan_with_a_partial_answer_and_crash_goes_on(dump_lockdep):
    # Every page through crash: a scan long enough (0.1-0.2 s) to interrupt.
    env = dict(os.environ, LOCKALIAS_READ_ALL="1", TERM="dumb")
    term = Terminal([CRASH, "-s", str(dump_lockdep.vmlinux), str(dump_lockdep.vmcore)], env)
    assert term.read_until(b"crash> ", 120), term.out[-2000:]
    term.send("extend %s\n" % EXT)
    assert term.read_until(b"shared object loaded", 30), term.out[-2000:]
    for i in range(20):
        term.send("lockalias\n")
        time.sleep(0.01 + 0.01 * (i % 10))
        term.send("\x03")
        term.read_for(0.4)
    interrupted_part = term.out.decode(errors="replace")
    term.out = b""
    term.send("lockalias\n")
    assert term.read_until(b"lockalias: scanned", 120), term.out[-2000:]
    term.read_for(1)
    final = term.out.decode(errors="replace")
    term.send("quit\n")
    term.read_for(2)
    _, status = os.waitpid(term.pid, 0)

    # Some Ctrl-Cs land inside a scan: each such scan says so, twice.
    assert "segmentation violation" not in interrupted_part and "internal error" not in interrupted_part
    interrupted = interrupted_part.count("(INTERRUPTED: partial)")
    assert interrupted >= 1, interrupted_part[-3000:]
    assert interrupted_part.count("interrupted: the scan stopped early, results are partial") == interrupted
    # The session went on: a full scan with the ground truth's aliases, and a clean exit.
    assert status == 0, status
    summary = re.search(r"lockalias: scanned .*", final).group(0)
    assert "INTERRUPTED" not in summary
    gt = dump_lockdep.expected["locks"]
    waits = sum(1 for l in gt if l["verdict"] == "alias-wait")
    names = sum(1 for l in gt if l["verdict"] == "alias-name")
    assert "aliases: %d wait, %d name" % (waits, names) in summary, summary
