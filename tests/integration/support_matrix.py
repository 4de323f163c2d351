"""Which crash must open which fixture kernel: the pairs the README's
support table promises. Other pairs are still tried by `make matrix`; a
crash that cannot open them is recorded with its error, not failed.

Keys: the fixture directory (vmcore-fixtures/artifacts/NAME); values: the
crash versions (as `crash --version` prints them) that must open it."""
import re

MUST_OPEN = {
    "lockdep": {"8.0.2", "9.0.2"},       # 6.1.192, the main fixture
    "lockstat": {"8.0.2", "9.0.2"},      # 6.1.192, LOCK_STAT + RAW_LOCK_NESTING
    "nolockdep": {"8.0.2", "9.0.2"},     # 6.1.192 without CONFIG_LOCKDEP
    "lockdep-5.10": {"8.0.2", "8.0.6", "9.0.2"},
    "lockdep-6.12": {"8.0.6", "9.0.2"},  # 8.0.2: module_core_size (6.4 moved module memory)
    "lockdep-7.2": {"8.0.6", "9.0.2"},   # both with its crash-args (--no_kmem_cache --no_modules)
    "realsys-6.12": {"8.0.6", "9.0.2"},  # Debian 13's own crash and unstable's (test_realsys.py)
}


def must_open(fixture: str, crash_version_line: str) -> bool:
    m = re.search(r"(\d+\.\d+\.\d+)", crash_version_line or "")
    return bool(m) and m.group(1) in MUST_OPEN.get(fixture, set())
