"""The release's version, said once in debian/changelog: `make install`
writes it into _version.py beside this file; in the source tree it is read
from the changelog itself."""
import os
import re


def version() -> str:
    try:
        from ._version import VERSION  # an installed copy
        return VERSION
    except ImportError:
        pass
    changelog = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "debian", "changelog")
    try:
        with open(changelog) as f:
            m = re.match(r"\S+ \(([^)]+)\)", f.readline())
    except OSError:
        m = None
    return m.group(1) if m else "unknown"
