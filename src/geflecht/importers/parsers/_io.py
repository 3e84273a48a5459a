"""Shared plumbing for the parsers: opening inputs, sniffing encodings, decoding text.

Real exports mix UTF-8, UTF-8 with BOM, UTF-16 with or without BOM and Windows-1252,
sometimes within one file. The rule everywhere: honour a declared charset, else try
UTF-8, else fall back to Windows-1252 (a superset of Latin-1 for printable text), and
repair the classic "UTF-8 read as Latin-1" mojibake (``KÃ¶ln`` -> ``Köln``).
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

PathOrFile = str | os.PathLike[str] | IO[bytes]

SNIFF_BYTES = 64 * 1024

_MOJIBAKE = re.compile("[\u00c2-\u00df][\u0080-\u00bf\u0152-\u0178\u2013-\u2122]")


@contextmanager
def open_binary(source: PathOrFile) -> Iterator[tuple[IO[bytes], str, int | None]]:
    """Yield ``(binary_file, display_name, size_or_None)``; close only what we opened."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        with path.open("rb") as fh:
            yield fh, str(path), path.stat().st_size
        return
    name = str(getattr(source, "name", "") or "<stream>")
    size: int | None = None
    try:
        pos = source.tell()
        source.seek(0, io.SEEK_END)
        size = source.tell() - pos
        source.seek(pos)
    except (AttributeError, OSError, ValueError):
        size = None
    yield source, name, size


class Prefixed(io.RawIOBase):
    """A raw stream that first returns ``head`` (already sniffed) and then the rest of ``fh``.

    ``bytes_read`` counts what was handed on, for progress reports.
    """

    def __init__(self, head: bytes, fh: IO[bytes]) -> None:
        super().__init__()
        self._head = head
        self._fh = fh
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
        else:
            data = self._fh.read(len(buffer))
            n = len(data)
            buffer[:n] = data
        self.bytes_read += n
        return n

    def close(self) -> None:
        # The caller owns fh; closing a wrapper must not close it.
        self._head = b""
        super().close()


def sniff_utf16(head: bytes) -> str | None:
    """Return "utf-16-le"/"utf-16-be" (BOM stripped by the codec choice) or None."""
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even_zero = sample[0::2].count(0)
    odd_zero = sample[1::2].count(0)
    half = len(sample) / 2
    # ASCII-heavy text in UTF-16 has a zero in every other byte.
    if even_zero > 0.4 * half and odd_zero < 0.05 * half:
        return "utf-16-be"
    if odd_zero > 0.4 * half and even_zero < 0.05 * half:
        return "utf-16-le"
    return None


class Utf16ToUtf8(io.RawIOBase):
    """Re-encode a UTF-16 byte stream to UTF-8 on the fly, so byte parsers can read it."""

    def __init__(self, raw: IO[bytes], encoding: str) -> None:
        super().__init__()
        self._text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            chunk = self._text.read(16384)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def detach_text(self) -> None:
        # The underlying file belongs to the caller; do not let TextIOWrapper close it.
        self._text.detach()


def lookup_codec(name: str) -> str | None:
    name = name.strip().strip('"').lower()
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode one value: declared charset, else UTF-8, else Windows-1252, never raising."""
    if charset:
        codec = lookup_codec(charset)
        if codec and codec not in ("utf-8", "ascii", "us-ascii"):
            try:
                return fix_mojibake(data.decode(codec))
            except (UnicodeDecodeError, LookupError):
                pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return fix_mojibake(text)


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 bytes that were once decoded as Latin-1/Windows-1252 (``KÃ¶ln``)."""
    if not _MOJIBAKE.search(text):
        return text
    for codec in ("latin-1", "cp1252"):
        try:
            repaired = text.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        return repaired
    return text


def decode_text_file(head: bytes) -> str:
    """Pick an encoding for a whole text file (CSV) from its first bytes."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    utf16 = sniff_utf16(head)
    if utf16:
        return utf16
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        if exc.start >= len(head) - 3 and len(head) >= SNIFF_BYTES - 3:
            return "utf-8"
    # Not UTF-8: Windows-1252, what German (and all Western) Excel and Outlook write.
    # Statistical detectors were tried and named shift_jis for German text in small
    # files; a predictable rule plus the caller's ``encoding=`` is better.
    return "cp1252"
