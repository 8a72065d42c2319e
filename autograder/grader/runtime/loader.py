"""How the child imports a student's package: the way Python imports it.

Runs inside the child (part of the runtime package; no torch import here). The staged folder is
the package ``conv_gemm``: its ``__init__.py`` runs, relative and absolute imports work,
files are read as bytes and compiled the way Python compiles them (UTF-8 with or without a
BOM, CRLF or CR line ends, a declared coding). The folder itself is never on ``sys.path``,
so a helper named ``timeit.py`` or ``random.py`` is ``conv_gemm.timeit`` and cannot shadow
the standard library, NumPy or torch. A flat submission's bare imports (``from conv2d import
conv2d``) still resolve, through a finder that Python asks only after every other finder.

Compiling is done once per submission, by the grader (:func:`compile_package`, which runs none
of the code): each child receives the code objects with its setup message and uses one only
for a file whose bytes are exactly those the grader compiled; anything else (a file that does
not compile, or that compiles with a warning) each child compiles itself, as Python would.

While a function is graded, its declared prerequisites (ASSIGNMENT.md, "Prerequisites") are
replaced by the grader's own implementations: each module's attribute is swapped as soon as
the module has run, before any other module imports it, so ``from .cost import
conv_output_size`` anywhere in the package binds the stand-in.
"""
from __future__ import annotations

import ast
import base64
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import marshal
import os
import signal
import sys
import traceback
import warnings

PACKAGE = "conv_gemm"
PRECOMPILE_BYTES = 2 << 20
"""At most this much source is compiled ahead by the grader; beyond it each child compiles."""


def _compile_quietly(source, path: str):
    """``compile`` as the import system does it (no -O), or None if it fails or warns (a warning
    could be turned into an error by code that ran earlier in the child: that file is left to it)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = compile(source, path, "exec", dont_inherit=True, optimize=0)
        except Exception:  # noqa: BLE001 - SyntaxError, ValueError, RecursionError, MemoryError: the child will say
            return None
    return None if caught else code


def compile_package(package_dir: str) -> dict[str, dict]:
    """The top-level modules of the staged package compiled ahead (by the grader, once per
    submission; compiling runs nothing): ``{path: {"sha256": hex of the bytes compiled,
    "code": base64 marshal}}``, and for ``__init__.py`` its statements one by one
    (``"statements"``), the way :class:`_InitLoader` runs them."""
    found, total = {}, 0
    try:
        names = sorted(n for n in os.listdir(package_dir) if n.endswith(".py"))
    except OSError:
        return found
    for name in names:
        path = os.path.join(package_dir, name)
        try:
            with open(path, "rb") as f:
                data = f.read(PRECOMPILE_BYTES + 1)
        except OSError:
            continue
        total += len(data)
        if total > PRECOMPILE_BYTES:
            break
        entry = {"sha256": hashlib.sha256(data).hexdigest()}
        if name == "__init__.py":
            tree = _compile_quietly_ast(data, path)
            codes = [_compile_quietly(ast.Module([s], type_ignores=[]), path) for s in tree.body] if tree else None
            if not codes or any(c is None for c in codes):
                continue
            entry["statements"] = [base64.b64encode(marshal.dumps(c)).decode("ascii") for c in codes]
        else:
            code = _compile_quietly(data, path)
            if code is None:
                continue
            entry["code"] = base64.b64encode(marshal.dumps(code)).decode("ascii")
        found[path] = entry
    return found


def _compile_quietly_ast(data: bytes, path: str):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            tree = compile(data, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        except Exception:  # noqa: BLE001
            return None
    return None if caught else tree


class ImportTimeout(BaseException):
    """A module's top level ran longer than its budget (a BaseException: ``except Exception`` in
    the student's loop does not swallow it)."""


def error_info(exc: BaseException, package_dir: str) -> dict:
    """An exception as plain data: type, message (bounded) and the frames in the student's files."""
    frames = [
        f"{os.path.relpath(f.filename, package_dir)}, line {f.lineno}, in {f.name}"
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename.startswith(package_dir + os.sep)
    ]
    try:
        message = str(exc)[:500]
    except BaseException:  # noqa: BLE001 - a student exception whose __str__ raises
        message = "(the exception's message could not be read)"
    return {"type": type(exc).__name__[:80], "message": message, "frames": frames[-4:]}


class StudentPackage:
    """The staged package in ``package_dir``: loads it, records its import errors, swaps prerequisites.

    ``module_functions``: assignment module -> its public functions; ``substitutes``: function
    name -> the grader's stand-in (only the declared prerequisites of the function under test).
    """

    def __init__(self, package_dir: str, module_functions: dict[str, list[str]], substitutes: dict,
                 import_seconds: float = 10.0, known_broken: dict[str, dict] | None = None,
                 delays: dict[str, float] | None = None, make_delayed=None, precompiled: dict | None = None):
        self.package_dir = package_dir
        self.precompiled = dict(precompiled or {})  # path -> what compile_package made of it
        self.module_functions = module_functions
        self.substitutes = substitutes
        self.delays, self.make_delayed = dict(delays or {}), make_delayed  # function -> seconds each call first sleeps
        self.import_seconds = import_seconds
        self.known_broken = dict(known_broken or {})  # module -> error seen by an earlier child
        self.run_init = True
        self._owner: str | None = None  # whose import budget the timer is counting
        self.own: dict[tuple[str, str], object] = {}  # (module, function) -> the student's function
        self.import_errors: dict[str, dict] = {}  # module name ("__init__" for the package) -> error
        self._finder = _PackageFinder(self)
        self._aliases = _FlatAliasFinder(self)

    def install(self) -> None:
        sys.meta_path.insert(0, self._finder)
        sys.meta_path.append(self._aliases)

    def file_of(self, name: str) -> str:
        return os.path.join(self.package_dir, *name.split(".")) + ".py"

    def has_module(self, name: str) -> bool:
        return os.path.isfile(self.file_of(name))

    def import_package(self, run_init: bool = True) -> None:
        """Import the package, running ``__init__.py`` unless told not to (a failure is recorded,
        the package stays importable)."""
        import importlib

        self.run_init = run_init
        importlib.import_module(PACKAGE)

    def import_module(self, name: str):
        """``conv_gemm.<name>``, or raise ImportError that says what went wrong (once per module)."""
        import importlib

        if name in self.import_errors or name in self.known_broken:
            err = self.import_errors.get(name) or self.known_broken[name]
            raise ImportError(f"importing {name}.py failed: {err['type']}: {err['message']}")
        if not self.has_module(name):
            raise ImportError(f"{name}.py is missing from the submission")
        try:
            return importlib.import_module(f"{PACKAGE}.{name}")
        except BaseException as exc:  # noqa: BLE001 - a SystemExit at import is a broken module
            self.import_errors[name] = error_info(exc, self.package_dir)
            raise ImportError(f"importing {name}.py failed: {type(exc).__name__}: {self.import_errors[name]['message']}") from None

    def student_function(self, module: str, function: str):
        """The student's own ``module.function`` (never a stand-in)."""
        self.import_module(module)
        if (module, function) not in self.own:
            raise AttributeError(f"{module}.py defines no function {function}()")
        return self.own[(module, function)]

    # -- called by the loaders
    def precompiled_code(self, path: str, data: bytes, key: str = "code"):
        """The grader's compilation of ``path`` if it compiled exactly ``data`` (else None: compile here)."""
        entry = self.precompiled.pop(path, None)
        if type(entry) is not dict or key not in entry or sys.flags.optimize:
            return None
        if entry.get("sha256") != hashlib.sha256(data).hexdigest():
            return None
        if key == "statements":
            return [marshal.loads(base64.b64decode(c)) for c in entry[key]]
        return marshal.loads(base64.b64decode(entry[key]))

    def run_timed(self, name: str, body) -> None:
        """Run a module's top level (or one statement of ``__init__.py``) under the import budget.

        Nested imports share the budget of the module importing them, except that a module
        imported from ``__init__.py`` gets its own: a hang is then blamed on that module.
        """
        if name in self.known_broken:
            err = self.known_broken[name]
            raise ImportError(f"{err.get('type')}: {err.get('message')}")
        outer = self._owner
        if outer is not None and outer != "__init__":
            return body()

        def expire(signum, frame):
            raise ImportTimeout(f"importing {self._owner}.py timed out after {self.import_seconds:g} s")

        previous = signal.signal(signal.SIGALRM, expire) if outer is None else None
        self._owner = name
        signal.setitimer(signal.ITIMER_REAL, self.import_seconds)
        try:
            return body()
        finally:
            self._owner = outer
            if outer is None:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
            else:
                signal.setitimer(signal.ITIMER_REAL, self.import_seconds)

    def after_exec(self, name: str, module) -> None:
        for fn in self.module_functions.get(name, []):
            value = module.__dict__.get(fn)
            if callable(value):
                self.own[(name, fn)] = value
            replacement = self.substitutes.get(fn, value if callable(value) else None)
            if replacement is not None and fn in self.delays:
                replacement = self.make_delayed(replacement, self.delays[fn])
            if fn in self.substitutes or fn in self.delays and replacement is not None:
                setattr(module, fn, replacement)


class _StudentModuleLoader(importlib.machinery.SourceFileLoader):
    """Python's own source loader (bytes in, compile as Python does), then the stand-ins."""

    def __init__(self, fullname, path, package: StudentPackage):
        super().__init__(fullname, path)
        self.package = package

    def source_to_code(self, data, path, *, _optimize=-1):
        code = self.package.precompiled_code(path, data)
        return code if code is not None else super().source_to_code(data, path, _optimize=_optimize)

    def exec_module(self, module):
        name = module.__name__[len(PACKAGE) + 1:]
        try:
            self.package.run_timed(name, lambda: super(_StudentModuleLoader, self).exec_module(module))
        except BaseException as exc:  # noqa: BLE001 - remembered: the module is not run twice
            self.package.import_errors.setdefault(name, error_info(exc, self.package.package_dir))
            raise
        self.package.after_exec(name, module)


class _InitLoader(importlib.machinery.SourceFileLoader):
    """``conv_gemm/__init__.py``: run it; if it fails, keep what it defined and say why."""

    def __init__(self, fullname, path, package: StudentPackage):
        super().__init__(fullname, path)
        self.package = package

    def exec_module(self, module):
        """Statement by statement: a failing line (``from .winograd import ...`` of a broken
        module) costs that line, and the re-exports after it still happen."""
        if not os.path.isfile(self.path) or not self.package.run_init:
            return  # a flat submission without __init__.py (or one whose __init__.py stopped a child): an empty package
        try:
            data = self.get_data(self.path)
            statements = self.package.precompiled_code(self.path, data, "statements")
            if statements is None:
                statements = compile(data, self.path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True).body
        except BaseException as exc:  # noqa: BLE001 - a SyntaxError in __init__.py
            self.package.import_errors["__init__"] = error_info(exc, self.package.package_dir)
            return
        for statement in statements:
            known = set(self.package.import_errors)
            try:
                code = statement if type(statement) is _CODE else \
                    compile(ast.Module([statement], type_ignores=[]), self.path, "exec", dont_inherit=True)
                self.package.run_timed("__init__", lambda: exec(code, module.__dict__))
            except BaseException as exc:  # noqa: BLE001 - costs only what it breaks
                missing = isinstance(exc, ModuleNotFoundError) and str(exc.name or "").startswith(PACKAGE + ".")
                if missing or set(self.package.import_errors) - known:
                    continue  # a missing or broken module: its own questions say so, not every question
                self.package.import_errors.setdefault("__init__", error_info(exc, self.package.package_dir))


_CODE = type(compile("", "", "exec"))


class _PackageFinder(importlib.abc.MetaPathFinder):
    def __init__(self, package: StudentPackage):
        self.package = package

    def find_spec(self, fullname, path=None, target=None):
        pkg = self.package
        if fullname == PACKAGE:
            init = os.path.join(pkg.package_dir, "__init__.py")
            return importlib.util.spec_from_file_location(
                PACKAGE, init, loader=_InitLoader(PACKAGE, init, pkg), submodule_search_locations=[pkg.package_dir])
        if fullname.startswith(PACKAGE + ".") and "." not in fullname[len(PACKAGE) + 1:]:
            name = fullname[len(PACKAGE) + 1:]
            if pkg.has_module(name):
                path = pkg.file_of(name)
                return importlib.util.spec_from_file_location(fullname, path, loader=_StudentModuleLoader(fullname, path, pkg))
        return None  # subpackages of conv_gemm: Python's PathFinder, through the package's __path__


class _FlatAliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Bare ``import conv2d`` (a flat submission) -> the module ``conv_gemm.conv2d``.

    Appended last to ``sys.meta_path``: a name that the standard library or an installed
    package provides is found there first, so nothing of the student's shadows it.
    """

    def __init__(self, package: StudentPackage):
        self.package = package

    def find_spec(self, fullname, path=None, target=None):
        if path is None and "." not in fullname and fullname != PACKAGE and self.package.has_module(fullname):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        import importlib

        # the import system returns whatever sys.modules holds under the name after this call
        sys.modules[module.__name__] = importlib.import_module(f"{PACKAGE}.{module.__name__}")
