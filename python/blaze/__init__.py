"""blaze: NumPy generalized.

Lazy, typed array expressions over NumPy arrays, compiled by blaze's JIT::

    import numpy as np
    import blaze

    a = blaze.array(np.array([[1., 2.], [3., 4.]]))
    b = blaze.array(np.eye(2))
    x = a + b                      # nothing runs yet; x.dshape is '2 * 2 * float64'
    values, vectors = blaze.linalg.eig(x).eval()

Arrays are read where they are (no copy on the way in), results come back as
NumPy arrays whose buffers blaze made (no copy on the way out), and kernels
run with the GIL released.
"""

from __future__ import annotations

import builtins
import itertools
import threading

import numpy as np

from . import _blaze
from ._blaze import BlazeError

__all__ = [
    "Array", "BlazeError", "array", "compile", "discover", "expr", "linalg", "open", "where",
    "sum", "prod", "min", "max", "mean", "var", "std", "any", "all", "argmin",
    "argmax", "count", "abs", "sqrt", "exp", "log", "log2", "log10", "sin",
    "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "floor", "ceil", "round", "sign", "isnan", "isna", "minimum", "maximum",
    "arctan2", "power", "dot", "matmul", "transpose",
]

_DTYPES = {
    "bool": "bool", "int8": "int8", "int16": "int16", "int32": "int32",
    "int64": "int64", "uint8": "uint8", "uint16": "uint16", "uint32": "uint32",
    "uint64": "uint64", "float32": "float32", "float64": "float64",
    "complex64": "complex[float32]", "complex128": "complex[float64]",
}

_names = itertools.count()
_names_lock = threading.Lock()


def _fresh_name() -> str:
    with _names_lock:
        return f"x{next(_names)}"


class Array:
    """A lazy array expression with a datashape.

    Operators and the functions of this module build a new expression; each
    is type-checked as it is made (``.dshape`` raises ``BlazeError`` with the
    diagnostic when it does not fit). ``.eval()`` compiles and runs it.
    """

    __slots__ = ("_e", "_inputs")
    __array_priority__ = 1000  # NumPy defers `ndarray + Array` to Array

    def __init__(self, e, inputs):
        self._e = e
        self._inputs = inputs  # input name -> NumPy array

    # -- what it is -----------------------------------------------------
    @property
    def dshape(self) -> str:
        """The datashape (raises ``BlazeError`` for a bad expression)."""
        return self._e.dshape()

    @property
    def source(self) -> str:
        """The expression as blaze DSL text."""
        return self._e.source()

    def explain(self) -> str:
        """The IR blaze runs (after the BLAS/LAPACK rewrites) and its plan."""
        return self._e.explain()

    def __repr__(self) -> str:
        try:
            ds = self.dshape
        except BlazeError as e:
            ds = f"error: {str(e).splitlines()[0]}"
        return f"blaze.Array<{ds}>"

    # -- running ----------------------------------------------------------
    def compile(self):
        """The compiled kernel and the arrays it reads, in order."""
        kernel = self._e.compile()
        return kernel, [self._inputs[n] for n in self._e.inputs()]

    def eval(self, out=None, memory_limit=None):
        """Runs the expression: a NumPy array (a NumPy scalar for a 0-d
        result), a tuple for tuple results (``eig``), a dict for records.

        Over arrays opened from files (``blaze.open``), ``memory_limit``
        (bytes, or a size such as ``"1GiB"``) streams them by blocks of rows
        within it, and ``out`` (a ``.npy``, ``.zarr``, ``.parquet``, … path)
        writes the result there (block by block when streamed) and returns
        ``None``. Over arrays in memory, ``out`` may be a NumPy array of the
        result's shape and type (any strides): the kernel writes into it, and
        it is returned."""
        if builtins.any(isinstance(v, _Dask) for v in self._inputs.values()):
            if out is not None:
                raise BlazeError("out= does not apply to expressions over dask arrays")
            from .dask import compute

            return compute(self, memory_limit=memory_limit)
        files = {n: v for n, v in self._inputs.items() if isinstance(v, _File)}
        if not files:
            if memory_limit is not None or (out is not None and not isinstance(out, np.ndarray)):
                raise BlazeError(
                    "memory_limit= and out= paths apply to arrays opened from files "
                    "(blaze.open); out= of arrays in memory is a NumPy array"
                )
            kernel, args = self.compile()
            if out is not None:
                kernel.call_into(out, *args)
                return out
            return _unwrap(kernel(*args))
        if len(files) != len(self._inputs):
            raise BlazeError(
                "an expression over files cannot also take arrays in memory yet; "
                "save them (np.save) and blaze.open them"
            )
        self.dshape  # the type error of a bad expression, before any read
        specs = [(n, f.spec) for n, f in files.items()]
        limit = None if memory_limit is None else _size(memory_limit)
        return _unwrap(_blaze.eval_files(self.source, specs, out, limit))

    def dump(self, kind: str = "llvm-ir") -> str:
        """What blaze generates for this expression on its arrays: ``"ir"``
        (blaze's typed IR), ``"llvm-ir"``, ``"opt-ir"`` or ``"asm"`` (the
        expression runs once to compile its kernels for these arrays)."""
        if builtins.any(isinstance(v, (_File, _Dask)) for v in self._inputs.values()):
            raise BlazeError("dump() takes arrays in memory; for files use the blaze CLI's --emit")
        kernel, args = self.compile()
        return kernel.dump(kind, *args)

    def __array__(self, dtype=None, copy=None):
        out = np.asarray(self.eval())
        return out if dtype is None else out.astype(dtype)

    # -- building -----------------------------------------------------------
    def _binary(self, op, other, swap=False):
        o = _wrap(other)
        a, b = (o, self) if swap else (self, o)
        return Array(a._e.binary(op, b._e), {**a._inputs, **b._inputs})

    def __add__(self, o): return self._binary("+", o)
    def __radd__(self, o): return self._binary("+", o, True)
    def __sub__(self, o): return self._binary("-", o)
    def __rsub__(self, o): return self._binary("-", o, True)
    def __mul__(self, o): return self._binary("*", o)
    def __rmul__(self, o): return self._binary("*", o, True)
    def __truediv__(self, o): return self._binary("/", o)
    def __rtruediv__(self, o): return self._binary("/", o, True)
    def __floordiv__(self, o): return self._binary("//", o)
    def __rfloordiv__(self, o): return self._binary("//", o, True)
    def __mod__(self, o): return self._binary("%", o)
    def __rmod__(self, o): return self._binary("%", o, True)
    def __pow__(self, o): return self._binary("**", o)
    def __rpow__(self, o): return self._binary("**", o, True)
    def __matmul__(self, o): return self._binary("@", o)
    def __rmatmul__(self, o): return self._binary("@", o, True)
    def __lt__(self, o): return self._binary("<", o)
    def __le__(self, o): return self._binary("<=", o)
    def __gt__(self, o): return self._binary(">", o)
    def __ge__(self, o): return self._binary(">=", o)
    def __eq__(self, o): return self._binary("==", o)  # elementwise, as NumPy
    def __ne__(self, o): return self._binary("!=", o)
    def __and__(self, o): return self._binary("and", o)
    def __or__(self, o): return self._binary("or", o)
    def __neg__(self): return Array(self._e.unary("-"), self._inputs)
    def __pos__(self): return self
    def __invert__(self): return Array(self._e.unary("not"), self._inputs)
    __hash__ = None  # `==` is elementwise

    def __bool__(self):
        raise BlazeError("the truth value of a blaze.Array is ambiguous; use any() or all()")

    @property
    def T(self) -> "Array":
        """The axes reversed."""
        return Array(self._e.attr("T"), self._inputs)

    def astype(self, dtype) -> "Array":
        """Converted to ``dtype`` (a NumPy dtype or a blaze type name)."""
        if isinstance(dtype, str) and dtype not in _DTYPES:
            name = dtype  # a blaze type name: "complex[float64]", "decimal[10, 2]"
        else:
            name = _DTYPES.get(np.dtype(dtype).name)
            if name is None:
                raise BlazeError(f"blaze has no element type for {dtype}")
        return Array(self._e.astype(name), self._inputs)

    def __getitem__(self, key) -> "Array":
        if isinstance(key, str):
            return Array(self._e.attr(key), self._inputs)
        return Array(self._e.index(_subscripts(key)), self._inputs)

    def sum(self, axis=None): return sum(self, axis)
    def mean(self, axis=None): return mean(self, axis)
    def min(self, axis=None): return min(self, axis)
    def max(self, axis=None): return max(self, axis)


def _subscripts(key) -> str:
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if k is Ellipsis:
            out.append("...")
        elif isinstance(k, slice):
            parts = ["" if p is None else str(int(p)) for p in (k.start, k.stop, k.step)]
            out.append(":".join(parts[:2]) + (f":{parts[2]}" if parts[2] else ""))
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            out.append(str(int(k)))
        else:
            raise BlazeError(
                f"blaze.Array indices are ints, slices and ..., not {type(k).__name__}"
            )
    return ", ".join(out)


def _unwrap(v):
    if isinstance(v, np.ndarray) and v.ndim == 0:
        return v[()]
    if isinstance(v, tuple):
        return tuple(_unwrap(x) for x in v)
    return v


def array(x) -> Array:
    """A lazy array over ``x``: a NumPy array (read in place, never copied),
    a pyarrow array (strings, decimals, dates, lists, structs, nulls: its
    buffers shared through the Arrow C Data Interface), a dask array (blaze's
    block kernels then run over its row chunks as dask tasks: see
    ``blaze.dask``), anything with ``__dlpack__`` or ``__array__``, or a
    Python number or list (converted by NumPy). Results in Arrow's layout
    come back as pyarrow arrays."""
    if isinstance(x, Array):
        return x
    if _is_dask(x):
        d = _Dask(x)
        e = _blaze.Expr.param(_fresh_name(), d.dshape)
        return Array(e, {e.inputs()[0]: d})
    if _is_arrow(x):
        v = _import_arrow(x)
        e = _blaze.Expr.param(_fresh_name(), v.dshape)
        return Array(e, {e.inputs()[0]: v})
    if not isinstance(x, np.ndarray):
        if hasattr(x, "__dlpack__"):
            x = np.from_dlpack(x)
        else:
            x = np.asarray(x)
    name = _DTYPES.get(x.dtype.name)
    if name is None:
        raise BlazeError(f"blaze does not read arrays of {x.dtype} yet")
    dims = [str(n) for n in x.shape]
    ds = " * ".join(dims + [name])
    e = _blaze.Expr.param(_fresh_name(), ds)
    return Array(e, {e.inputs()[0]: x})


def _is_dask(x) -> bool:
    return (
        type(x).__module__.startswith("dask.array")
        and hasattr(x, "chunks")
        and hasattr(x, "__dask_graph__")
    )


class _Dask:
    """A dask array input: the array and its datashape (its rows reach blaze
    chunk by chunk, in dask tasks)."""

    __slots__ = ("array", "dshape")

    def __init__(self, array):
        name = _DTYPES.get(np.dtype(array.dtype).name)
        if name is None:
            raise BlazeError(f"blaze does not read arrays of {array.dtype} yet")
        if array.ndim == 0 or builtins.any(np.isnan(n) for n in array.shape):
            raise BlazeError(
                f"a dask array input needs rows and a known shape, not {array.shape} "
                "(compute_chunk_sizes() first)"
            )
        self.array = array
        self.dshape = " * ".join([str(int(n)) for n in array.shape] + [name])


class _File:
    """A file input: its ``PATH[:DATASHAPE]``."""

    __slots__ = ("spec",)

    def __init__(self, spec):
        self.spec = spec


def open(path: str, dshape: str | None = None) -> Array:
    """A lazy array over the data at ``path``: a ``.npy``, Zarr, Parquet,
    Arrow, CSV, JSON lines or PNG file, a pattern (``"parts/*.npy"``) or a
    directory, typed by its header or ``dshape``. Nothing is read until
    ``.eval()``, which may stream it (``memory_limit=``)."""
    ds = _blaze.open_datashape(path, dshape)
    name = _fresh_name()
    e = _blaze.Expr.param(name, ds)
    spec = path if dshape is None else f"{path}:{dshape}"
    return Array(e, {name: _File(spec)})


_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def _size(v) -> int:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0:
        return int(v)
    if isinstance(v, str):
        t = v.strip().lower()
        digits = t.rstrip("abcdefghijklmnopqrstuvwxyz").strip()
        unit = t[len(t.rstrip("abcdefghijklmnopqrstuvwxyz")):] or "b"
        if digits.isdigit() and unit in _UNITS and int(digits) > 0:
            return int(digits) * _UNITS[unit]
    raise BlazeError(f"{v!r} is not a memory size: give bytes or a size such as '64MiB'")


def _is_arrow(x) -> bool:
    t = type(x)
    return t.__module__.startswith("pyarrow") and hasattr(x, "_export_to_c") or (
        t.__module__.startswith("pyarrow") and t.__name__ == "ChunkedArray"
    )


def _import_arrow(x):
    """A pyarrow array through the Arrow C Data Interface: its buffers are
    shared with blaze, not copied (a chunked array is combined first)."""
    import ctypes

    if type(x).__name__ == "ChunkedArray":
        x = x.combine_chunks()
    array = ctypes.create_string_buffer(80)  # struct ArrowArray
    schema = ctypes.create_string_buffer(72)  # struct ArrowSchema
    x._export_to_c(ctypes.addressof(array), ctypes.addressof(schema))
    return _blaze.ArrowValue.import_(ctypes.addressof(array), ctypes.addressof(schema))


def _wrap(x) -> Array:
    if isinstance(x, Array):
        return x
    if isinstance(x, (bool, int, float)) and not isinstance(x, np.ndarray):
        return Array(_blaze.Expr.constant(x), {})
    if isinstance(x, (np.bool_, np.integer, np.floating)):
        return Array(_blaze.Expr.constant(x.item()), {})
    return array(x)


def _call(name, *args, axis=None):
    xs = [_wrap(a) for a in args]
    if axis is not None and not isinstance(axis, (tuple, list)):
        axis = [axis]
    inputs = {}
    for a in xs:
        inputs.update(a._inputs)
    return Array(_blaze.Expr.call(name, [a._e for a in xs], None if axis is None else [int(i) for i in axis]), inputs)


def _elementwise(name):
    def f(x):
        return _call(name, x)
    f.__name__ = name
    f.__doc__ = f"``{name}(x)``, elementwise (NumPy's ``{name}``)."
    return f


def _reduction(name):
    def f(x, axis=None):
        return _call(name, x, axis=axis)
    f.__name__ = name
    f.__doc__ = f"``{name}(x, axis=None)``: over every axis, an axis, or a tuple of axes."
    return f


def _two(name, dsl=None):
    def f(a, b):
        return _call(dsl or name, a, b)
    f.__name__ = name
    f.__doc__ = f"``{name}(a, b)``, with broadcasting."
    return f


abs = _elementwise("abs")
sqrt = _elementwise("sqrt")
exp = _elementwise("exp")
log = _elementwise("log")
log2 = _elementwise("log2")
log10 = _elementwise("log10")
sin = _elementwise("sin")
cos = _elementwise("cos")
tan = _elementwise("tan")
arcsin = _elementwise("arcsin")
arccos = _elementwise("arccos")
arctan = _elementwise("arctan")
sinh = _elementwise("sinh")
cosh = _elementwise("cosh")
tanh = _elementwise("tanh")
floor = _elementwise("floor")
ceil = _elementwise("ceil")
round = _elementwise("round")
sign = _elementwise("sign")
isnan = _elementwise("isnan")
isna = _elementwise("isna")
transpose = _elementwise("transpose")

sum = _reduction("sum")
prod = _reduction("prod")
min = _reduction("min")
max = _reduction("max")
mean = _reduction("mean")
var = _reduction("var")
std = _reduction("std")
any = _reduction("any")
all = _reduction("all")
argmin = _reduction("argmin")
argmax = _reduction("argmax")
count = _reduction("count")

minimum = _two("minimum")
maximum = _two("maximum")
arctan2 = _two("arctan2")
power = _two("power", "pow")
dot = _two("dot")
matmul = _two("matmul", "dot")


def expr(text: str, **inputs) -> Array:
    """A lazy array from blaze DSL text over named inputs (NumPy arrays,
    numbers or ``blaze.Array``s): ``blaze.expr("2*a + sin(b)", a=x, b=y)``."""
    xs = {n: _wrap(v) for n, v in inputs.items()}
    merged = {}
    for a in xs.values():
        merged.update(a._inputs)
    return Array(_blaze.Expr.parse(text, [(n, a._e) for n, a in xs.items()]), merged)


def where(cond, x, y) -> Array:
    """``x`` where ``cond`` holds, else ``y``."""
    return _call("where", cond, x, y)


class Module:
    """A compiled module: each definition is a function of NumPy arrays."""

    def __init__(self, kernels):
        self._kernels = dict(kernels)
        for name, k in self._kernels.items():
            setattr(self, name, _definition(name, k))

    def __dir__(self):
        return list(self._kernels)

    def __repr__(self):
        return f"blaze.Module({', '.join(self._kernels)})"


def _definition(name, kernel):
    def f(*args):
        arrays = [a if isinstance(a, np.ndarray) else np.asarray(a) for a in args]
        return _unwrap(kernel(*arrays))
    f.__name__ = name
    f.__doc__ = "(" + ", ".join(f"{n}: {t}" for n, t in kernel.params) + f") -> {kernel.result_type}"
    return f


def compile(src: str) -> Module:
    """Compiles a module of ``def`` definitions; its functions take NumPy
    arrays (read in place) and run with the GIL released."""
    return Module(_blaze.compile_module(src))


def discover(path: str, sample: int = 1000) -> str:
    """The datashape of the data at ``path`` (a file, pattern or directory)."""
    return _blaze.discover(path, sample)


from . import linalg  # noqa: E402  (needs Array and _call)
