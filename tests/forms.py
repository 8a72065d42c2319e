"""Honest submissions in the forms students really hand in, built from a correct package.

Each builder writes one submission (a folder or a .zip) under ``dest`` from the correct package
``src`` and returns its path. Every form here is one that Python itself imports, so each must
grade exactly like the plain package (GRADING.md: "Honest code in any form grades the same").
"""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

BOM = b"\xef\xbb\xbf"


def copy_package(src: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for p in src.glob("*.py"):
        shutil.copyfile(p, dest / p.name)
    return dest


def _rewrite(folder: Path, fn, names=None) -> None:
    for p in sorted(folder.glob("*.py")):
        if names is None or p.name in names:
            p.write_bytes(fn(p.read_bytes()))


def bom(src, dest):
    """UTF-8 with a byte-order mark, as Windows editors write it."""
    folder = copy_package(src, dest / "conv_gemm")
    _rewrite(folder, lambda b: BOM + b)
    return dest


def crlf(src, dest):
    folder = copy_package(src, dest / "conv_gemm")
    _rewrite(folder, lambda b: b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return dest


def cr(src, dest):
    """Old Mac line ends: CR alone."""
    folder = copy_package(src, dest / "conv_gemm")
    _rewrite(folder, lambda b: b.replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    return dest


def declared_coding(src, dest):
    """``# -*- coding: latin-1 -*-`` and a latin-1 comment in every file."""
    folder = copy_package(src, dest / "conv_gemm")
    _rewrite(folder, lambda b: "# -*- coding: latin-1 -*-\n# Übung: Faltung als Matrixprodukt (é, ß)\n".encode("latin-1") + b)
    return dest


def non_ascii_identifiers(src, dest):
    """A helper with a non-ASCII name used by conv_output_size."""
    folder = copy_package(src, dest / "conv_gemm")
    cost = folder / "cost.py"
    text = cost.read_text()
    text += "\n\ndef größe(n):\n    return n\n\n\n_conv_output_size_orig = conv_output_size\n\n\n" \
            "def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):\n" \
            "    return größe(_conv_output_size_orig(size, kernel_size, stride, padding, dilation))\n"
    cost.write_text(text, encoding="utf-8")
    return dest


def absolute_imports(src, dest):
    """``from conv_gemm.im2col import ...`` everywhere instead of relative imports."""
    folder = copy_package(src, dest / "conv_gemm")
    _rewrite(folder, lambda b: re.sub(rb"from \.(\w+) import", rb"from conv_gemm.\1 import", b))
    return dest


def package_level_import(src, dest):
    """variants.py takes conv2d from the package (``from conv_gemm import conv2d``), which
    works only when ``__init__.py`` has run and re-exported it."""
    folder = copy_package(src, dest / "conv_gemm")
    variants = folder / "variants.py"
    variants.write_text(variants.read_text().replace("from .conv2d import conv2d", "from conv_gemm import conv2d"))
    assert "from conv_gemm import conv2d" in variants.read_text()
    return dest


def stdlib_named_helpers(src, dest):
    """Unused helpers named like standard modules; importing them fails loudly, so a grader that
    lets them shadow the real ``timeit``/``random`` (torch imports both) breaks."""
    folder = copy_package(src, dest / "conv_gemm")
    for name in ("timeit", "random", "statistics", "numbers"):
        (folder / f"{name}.py").write_text(f"raise ImportError('the student helper {name}.py was imported instead of the standard module')\n")
    return dest


def numpy_integers(src, dest):
    """``-> int`` functions return NumPy integers of the right value."""
    folder = copy_package(src, dest / "conv_gemm")
    for module, fns in (("cost", ("conv_output_size", "conv2d_macs")), ("variants", ("conv2d_params", "separable_params"))):
        path = folder / f"{module}.py"
        text = path.read_text()
        for fn in fns:
            text += f"\n\n_{fn}_int = {fn}\n\n\ndef {fn}(*args, **kwargs):\n    return np.int64(_{fn}_int(*args, **kwargs))\n"
        path.write_text(text)
    return dest


def flat_bare_imports(src, dest):
    """Flat files, no __init__.py, modules importing each other by bare name (``from cost import ...``)."""
    dest.mkdir(parents=True, exist_ok=True)
    copy_package(src, dest)
    (dest / "__init__.py").unlink()
    _rewrite(dest, lambda b: re.sub(rb"from \.(\w+) import", rb"from \1 import", b))
    return dest


def zipped(src, dest):
    """A zip of conv_gemm/ with macOS junk beside it."""
    folder = copy_package(src, dest.parent / f"{dest.name}-src" / "conv_gemm")
    target = dest.with_suffix(".zip")
    with zipfile.ZipFile(target, "w") as zf:
        for p in sorted(folder.glob("*.py")):
            zf.write(p, f"conv_gemm/{p.name}")
            zf.writestr(f"__MACOSX/conv_gemm/._{p.name}", b"\x00\x05\x16\x07junk")
        zf.writestr("conv_gemm/.DS_Store", b"\x00\x00\x00\x01Bud1")
    return target


def nested_zip(src, dest):
    """A zip whose only entry is the zip the student meant to hand in."""
    inner = zipped(src, dest.parent / f"{dest.name}-inner")
    target = dest.with_suffix(".zip")
    with zipfile.ZipFile(target, "w") as zf:
        zf.write(inner, "submission.zip")
    return target


def deep_tree(src, dest, depth=1100):
    """The package beside a folder of notes nested ``depth`` levels deep."""
    copy_package(src, dest / "conv_gemm")
    path = dest / "notes"  # one level at a time: nothing here recurses on the depth
    path.mkdir()
    for _ in range(depth):
        path = path / "n"
        path.mkdir()
    (path / "deepest.txt").write_text("notes\n")
    return dest


def deep_zip(src, dest, depth=1100):
    """The same deep tree, zipped."""
    folder = copy_package(src, dest.parent / f"{dest.name}-src" / "conv_gemm")
    target = dest.with_suffix(".zip")
    with zipfile.ZipFile(target, "w") as zf:
        for p in sorted(folder.glob("*.py")):
            zf.write(p, f"conv_gemm/{p.name}")
        zf.writestr("notes/" + "n/" * depth + "deepest.txt", "notes\n")
    return target


def invalid_utf8_in_a_comment(src, dest):
    """A byte that is not UTF-8 inside a comment: Python itself imports such a file."""
    folder = copy_package(src, dest / "conv_gemm")
    (folder / "winograd.py").write_bytes((folder / "winograd.py").read_bytes() + b"\n# caf\xe9 (latin-1, not UTF-8)\n")
    return dest


def failing_init_tail(src, dest):
    """``__init__.py`` re-exports everything, then raises: only what depends on the failing line breaks."""
    folder = copy_package(src, dest / "conv_gemm")
    init = folder / "__init__.py"
    init.write_text(init.read_text() + "\n\nraise RuntimeError('left over from debugging')\n")
    return dest


FORMS = {f.__name__: f for f in (bom, crlf, cr, declared_coding, non_ascii_identifiers, absolute_imports, package_level_import,
                                 stdlib_named_helpers, numpy_integers, flat_bare_imports, zipped, nested_zip, deep_tree, deep_zip,
                                 invalid_utf8_in_a_comment, failing_init_tail)}
"""Every honest form: each must grade exactly like the plain package."""


def grade_forms(subs: Path, out: Path) -> dict:
    """The plain reference and every form of FORMS, two colliding folder names and a file Python
    refuses, graded into the gradebook ``out`` as `make grade` would (two workers):
    ``{"by_name": {student: GradeReport}, "out": out}`` (tests/conftest.py, ``forms_graded``)."""
    from corpus import SOLUTIONS
    from grader.instructor.gradebook import grade_folder
    from grader.sandbox import Limits, remove_tree

    copy_package(SOLUTIONS, subs / "plain" / "conv_gemm")
    for name, build in FORMS.items():
        build(SOLUTIONS, subs / name)
    copy_package(SOLUTIONS, subs / "dup x" / "conv_gemm")  # sanitises to dup_x ...
    copy_package(SOLUTIONS, subs / "dup_x" / "conv_gemm")  # ... like this one
    broken = copy_package(SOLUTIONS, subs / "undecodable" / "conv_gemm")
    # in a string literal, unlike in a comment, Python refuses a byte that is not UTF-8
    (broken / "winograd.py").write_bytes((broken / "winograd.py").read_bytes() + b'\nNOTE = "caf\xe9"\n')
    try:
        results = grade_folder(subs, out, seed=11, workers=2, progress=False, limits=Limits(call_seconds=5, start_seconds=20))
    finally:
        remove_tree(subs / "deep_tree")  # 1100 deep: shutil.rmtree recurses (tests/conftest.py)
    return {"by_name": {r.student: r for r in results}, "out": out}
