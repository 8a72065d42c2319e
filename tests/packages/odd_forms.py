"""Copy a correct package while rewriting it into forms Python accepts but plain code never shows.

:func:`write_odd_forms` keeps every function's behaviour; only the files' form changes:

| file               | form                                                                  |
|--------------------|-----------------------------------------------------------------------|
| cost.py            | UTF-8 byte-order mark, a non-ASCII (UTF-8) comment                    |
| layout.py          | UTF-8 byte-order mark, a non-ASCII identifier that strides_nchw calls |
| im2col.py          | CRLF line ends                                                        |
| benchmark.py       | CRLF line ends                                                        |
| conv2d_torch.py    | ``# -*- coding: latin-1 -*-`` and a comment encoded in latin-1        |
| conv2d.py          | absolute import ``from conv_gemm.im2col import ...``                  |
| variants.py        | ``from conv_gemm import conv2d`` (the package ``__init__`` re-exports) |
| timeit.py          | an unused helper named like a stdlib module; raises if imported       |
| random.py          | the same, for ``random``                                              |

A grader that loads the package the way Python does grades the result exactly like the
source package. The source must be a package folder shaped like the starter (cost.py, ...,
``__init__.py``) whose conv2d.py imports ``from .im2col import`` and whose variants.py imports
``from .conv2d import conv2d``; anything else raises ValueError naming what is missing.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

BOM = b"\xef\xbb\xbf"
SHADOW_MODULES = ("timeit", "random")


def write_odd_forms(src_dir: Path, dest_dir: Path) -> Path:
    """Copy the package folder ``src_dir`` into ``dest_dir`` (created) in the forms above; return ``dest_dir``."""
    src_dir, dest_dir = Path(src_dir), Path(dest_dir)
    if not (src_dir / "__init__.py").is_file():
        raise ValueError(f"{src_dir} is not a package folder (no __init__.py)")
    dest_dir.mkdir(parents=True, exist_ok=True)
    for src in sorted(src_dir.glob("*.py")):
        shutil.copyfile(src, dest_dir / src.name)

    def text(name: str) -> str:
        path = dest_dir / name
        if not path.is_file():
            raise ValueError(f"{src_dir} has no {name}")
        return path.read_text(encoding="utf-8")

    def rewrite(name: str, pattern: str, replacement: str) -> str:
        source, count = re.subn(pattern, replacement, text(name), count=1, flags=re.M)
        if count != 1:
            raise ValueError(f"{name}: no line matches {pattern!r}")
        return source

    # BOM + a UTF-8 comment
    (dest_dir / "cost.py").write_bytes(BOM + ("# Ausgabegröße: la taille de sortie, ½ de l'entrée à stride 2\n" + text("cost.py")).encode("utf-8"))
    # BOM + a non-ASCII identifier on the path of a graded call
    layout = text("layout.py") + (
        "\n\n_schrittweiten_für_nchw = strides_nchw  # a non-ASCII identifier (PEP 3131)\n\n\n"
        "def strides_nchw(shape) -> tuple:\n"
        '    """Element strides of a contiguous NCHW tensor of ``shape = (N, C, H, W)``."""\n'
        "    return _schrittweiten_für_nchw(shape)\n"
    )
    (dest_dir / "layout.py").write_bytes(BOM + layout.encode("utf-8"))
    # Windows line ends
    for name in ("im2col.py", "benchmark.py"):
        (dest_dir / name).write_bytes(text(name).replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))
    # a declared legacy coding, with a byte that is not valid UTF-8
    torch_source = "# -*- coding: latin-1 -*-\n# Faltung über F.unfold, Ergebnis geprüft (é, ß, °)\n" + text("conv2d_torch.py")
    (dest_dir / "conv2d_torch.py").write_bytes(torch_source.encode("latin-1"))
    # absolute imports of the package's own modules
    (dest_dir / "conv2d.py").write_text(rewrite("conv2d.py", r"^from \.im2col import ", "from conv_gemm.im2col import "), encoding="utf-8")
    (dest_dir / "variants.py").write_text(rewrite("variants.py", r"^from \.conv2d import conv2d$", "from conv_gemm import conv2d"), encoding="utf-8")
    # helpers named like stdlib modules, never imported by the package
    for name in SHADOW_MODULES:
        (dest_dir / f"{name}.py").write_text(
            f'"""A student\'s scratch helper that happens to be called {name}.py; the package never imports it."""\n'
            f"raise ImportError('conv_gemm/{name}.py was imported: it shadows the standard library module {name}')\n",
            encoding="utf-8",
        )
    return dest_dir
