"""Pagefind's index files made canonical, so two builds of the same pages are byte-identical.

Pagefind writes its metadata and filter files as gzip'd CBOR behind a signature; this module reads and
writes the small part of CBOR they use and renames the files by their new content, as Pagefind names them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any

from kb import KBError


def canonicalize(files: dict[str, bytes]) -> dict[str, bytes]:
    """Pagefind's files with the filter files and language metadata in sorted order, named by their content.

    Pagefind lists filters and their values in the order of a hash map seeded anew in every process, so
    two builds of the same pages differ in those bytes (and names). Sorted, they are equal, and the search
    reads them the same: a filter is looked up by name and its values are a map.
    """
    files = dict(files)
    entry = json.loads(files["pagefind-entry.json"])
    for language, facts in sorted(entry["languages"].items()):
        meta = _read(files, f"pagefind.{facts['hash']}.pf_meta")
        filters = []
        for name, old in sorted(meta[3]):
            filter_name, values = _read(files, f"filter/{old}.pf_filter")
            content = _cbor([filter_name, sorted(values)])
            new = f"{language}_{_pagefind_hash(content)}"[: len(language) + 8]
            files[f"filter/{new}.pf_filter"] = _packed(content)
            filters.append([name, new])
        meta[3] = filters
        content = _cbor(meta)
        facts["hash"] = f"{language}_{_pagefind_hash(content)[: len(language) + 8]}"
        files[f"pagefind.{facts['hash']}.pf_meta"] = _packed(content)
    entry["languages"] = dict(sorted(entry["languages"].items()))
    files["pagefind-entry.json"] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return dict(sorted(files.items()))


_SIGNATURE = b"pagefind_dcd"


def _read(files: dict[str, bytes], name: str) -> Any:
    data = gzip.decompress(files.pop(name))
    if not data.startswith(_SIGNATURE):
        raise KBError(f"Pagefind wrote {name} in a format this kb does not know")
    value, _ = _uncbor(data, len(_SIGNATURE))
    return value


def _packed(content: bytes) -> bytes:
    return gzip.compress(_SIGNATURE + content, compresslevel=9, mtime=0)


def _pagefind_hash(content: bytes) -> str:
    """Pagefind's own content hash: SHA-1, each byte in hex without its leading zero."""
    return "".join(f"{byte:x}" for byte in hashlib.sha1(content, usedforsecurity=False).digest())


# The CBOR that Pagefind's metadata and filter files use: unsigned integers, text and arrays, shortest heads.
_UNSIGNED, _TEXT, _ARRAY = 0, 3, 4


def _uncbor(data: bytes, at: int) -> tuple[Any, int]:
    major, info = data[at] >> 5, data[at] & 31
    at += 1
    if info < 24:
        argument = info
    elif info <= 27:
        size = 1 << (info - 24)
        argument, at = int.from_bytes(data[at : at + size], "big"), at + size
    else:
        raise KBError(f"unexpected CBOR item {data[at - 1]:#x} in a Pagefind file")
    if major == _UNSIGNED:
        return argument, at
    if major == _TEXT:
        return data[at : at + argument].decode("utf-8"), at + argument
    if major == _ARRAY:
        items = []
        for _ in range(argument):
            item, at = _uncbor(data, at)
            items.append(item)
        return items, at
    raise KBError(f"unexpected CBOR type {major} in a Pagefind file")


def _cbor(value: Any) -> bytes:
    if isinstance(value, int):
        return _head(_UNSIGNED, value)
    if isinstance(value, str):
        text = value.encode("utf-8")
        return _head(_TEXT, len(text)) + text
    return _head(_ARRAY, len(value)) + b"".join(_cbor(item) for item in value)


def _head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    size = next(size for size in (1, 2, 4, 8) if argument < 1 << (8 * size))
    return bytes([major << 5 | (24 + size.bit_length() - 1)]) + argument.to_bytes(size, "big")
