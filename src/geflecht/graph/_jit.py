"""Optional numba acceleration.

The kernels are written in the subset of Python that numba compiles. With numba
installed they run as machine code (and are cached on disk, ``cache=True``, so a fresh
process pays the compile cost only once per machine); without it they run as plain
Python, slowly but with identical results. That keeps the engine importable on a laptop
where numba has no wheel yet.
"""

from __future__ import annotations

__all__ = ["HAVE_NUMBA", "njit"]

try:
    import numba as _numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only where numba is missing
    _numba = None  # type: ignore[assignment]
    HAVE_NUMBA = False


def njit(*args, **kwargs):
    """``numba.njit(cache=True)`` when numba is available, else the identity decorator."""
    if _numba is not None:
        kwargs.setdefault("cache", True)
        kwargs.setdefault("nogil", True)
        return _numba.njit(*args, **kwargs)
    if args and callable(args[0]):
        return args[0]
    return lambda func: func
