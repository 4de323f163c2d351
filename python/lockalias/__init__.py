"""lockalias for drgn: which locks does lockdep check under another lock's
identity?

The same C++ core as the crash extension (`extend lockalias.so`), on a
drgn.Program: a vmcore, or the running kernel (/proc/kcore).

    >>> import lockalias
    >>> doc = lockalias.scan(prog)              # schemas/lockalias-scan.v2.json
    >>> [m["address"] for c in doc["classes"] for m in c["aliases"]]
    >>> lockalias.explain(prog, 0xffff888002c2a898)   # or a symbol: "rtnl_mutex"
    >>> lockalias.held_locks(prog), lockalias.log_reports(prog), lockalias.classes(prog)
    >>> print(lockalias.run(prog, "-v").output)   # crash's text, word for word

Each view returns the object lockalias -j prints (schemas/*.json); a view
that fails raises LockaliasError with the error lines. A dump that lacks
what every command needs first (the direct map's base: a truncated or
damaged dump) raises Unreadable; pages it lacks otherwise are counted in
the answer.
"""

# The API lives in api.py and is loaded on first use: the checker
# (lockalias.check) and the dump-header readers need the standard library
# only, so they run where drgn and the compiled core are not installed
# (lockalias-check --engine crash).
from .version import version as _version

__version__ = _version()

_API = ("run", "scan", "explain", "held_locks", "log_reports", "classes",
        "DrgnTarget", "LockaliasError", "Result", "Unreadable")
__all__ = list(_API)


def __getattr__(name):
    if name in _API:
        from . import api
        return getattr(api, name)
    raise AttributeError("module 'lockalias' has no attribute %r" % name)


def __dir__():
    return sorted(list(globals()) + list(_API))
