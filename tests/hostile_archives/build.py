"""Hostile archives a student may hand in, built in code; each must be stopped by the one
unpacking budget of the submission (grader.unpack) while it is written, never after.

Each builder writes its archive(s) into ``dest`` (a student's folder) and returns the number of
bytes it would write if unpacked without limit, so a test can show the budget cut it short.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

MIB = 1 << 20


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def zip_bomb(dest: Path, mib: int = 200) -> int:
    """One entry of ``mib`` MiB of zeros (a few hundred KB compressed)."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "bomb.zip").write_bytes(_zip_bytes({"conv_gemm/cost.py": b"\0" * (mib * MIB)}))
    return mib * MIB


def many_small_bombs(dest: Path, entries: int = 16, mib: int = 8) -> int:
    """Entries each under the budget, together over it."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "parts.zip").write_bytes(_zip_bytes({f"part{i}.bin": b"\0" * (mib * MIB) for i in range(entries)}))
    return entries * mib * MIB


def zip_of_zips(dest: Path, fan: int = 8, mib: int = 4) -> int:
    """A zip of ``fan`` zips of ``fan`` zips of ``mib`` MiB each (the 7.6 KB zip that wrote 60 MB)."""
    dest.mkdir(parents=True, exist_ok=True)
    leaf = _zip_bytes({"zeros.bin": b"\0" * (mib * MIB)})
    middle = _zip_bytes({f"leaf{i}.zip": leaf for i in range(fan)})
    (dest / "outer.zip").write_bytes(_zip_bytes({f"middle{i}.zip": middle for i in range(fan)}))
    return fan * fan * mib * MIB


def nested_chain(dest: Path, depth: int = 1000) -> int:
    """A zip inside a zip ... ``depth`` times, 1 MiB of zeros at the bottom (each level would be
    written on its way down)."""
    dest.mkdir(parents=True, exist_ok=True)
    data = _zip_bytes({"zeros.bin": b"\0" * MIB})
    for _ in range(depth - 1):
        data = _zip_bytes({"inner.zip": data})
    (dest / "chain.zip").write_bytes(data)
    return depth * MIB


def zips_side_by_side(dest: Path, count: int = 3, mib: int = 30) -> int:
    """Several zips in the student's folder, each under the budget, together over it (a budget
    per zip let this through)."""
    dest.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (dest / f"part{i}.zip").write_bytes(_zip_bytes({f"zeros{i}.bin": b"\0" * (mib * MIB)}))
    return count * mib * MIB


def many_files(dest: Path, zips: int = 3, files: int = 1500) -> int:
    """Zips of many tiny files, each zip under the file limit, together over it."""
    dest.mkdir(parents=True, exist_ok=True)
    for z in range(zips):
        (dest / f"files{z}.zip").write_bytes(_zip_bytes({f"f{z}/{i}.txt": b"x" for i in range(files)}))
    return zips * files


CASES = {"zip_bomb": zip_bomb, "many_small_bombs": many_small_bombs, "zip_of_zips": zip_of_zips,
         "nested_chain": nested_chain, "zips_side_by_side": zips_side_by_side}
"""Byte attacks; many_files is a file-count attack (its return value counts files)."""
