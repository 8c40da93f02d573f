"""Uploaded files, read safely: size-capped, binary refused, UTF-8 else Latin-1 (which loses nothing)."""
from __future__ import annotations

MAX_BYTES = 50 * 1024 * 1024


def decode_upload(data: bytes) -> tuple[str, list[str]]:
    """The upload as text, and a note when it was not UTF-8 (it is then read as Latin-1, losing nothing)."""
    if not data.strip():
        raise ValueError("the file is empty: upload a CSV file with a header row")
    if len(data) > MAX_BYTES:
        raise ValueError(f"the file has {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES // (1024 * 1024)} MB")
    if b"\x00" in data:
        raise ValueError("this is not a text CSV file (it holds binary data)")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return data.decode("latin-1"), ["The file is not UTF-8: it was read as Latin-1."]
