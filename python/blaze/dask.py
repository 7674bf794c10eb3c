"""blaze on dask and dask.distributed (the ``blaze[dask]`` extra).

``to_dask(expr)`` turns blaze's chunk plan, the one ``blaze graph``
prints, into a dask graph:

- one task per block of rows and pass: it reads its rows **in the worker**
  (from the file, with blaze's own readers: ``.npy``, Zarr, Parquet, Arrow,
  CSV with a known row count, globs of files) or takes the chunk of a dask
  array input, and runs the compiled block kernel there;
- the blocks' partial results combined pairwise as a **tree in block
  order**, so the result does not depend on the number of workers or on
  which finishes first;
- per pass a task that finishes it (means divided by the rows) with the
  small work the next pass takes; passes chain (``A - mean(A, axis=0)``
  streams twice);
- the tail as a task, or, for a rows result, the last pass's blocks as the
  chunks of a dask array.

Tasks carry a small picklable :class:`TaskSpec` (the program text, the
inputs' paths and datashapes, the block size), never compiled code or big
arrays. Each worker process plans the program once per spec and keeps the
plan and its compiled kernels for every later task (:func:`plan_of`).
Partials cross processes as NumPy arrays.

``compute(expr)`` builds the graph and runs it on the current
``distributed`` client (or the one given), else on dask's default
scheduler, and returns NumPy as ``.eval()`` does.

On a cluster of several machines the same works with
``Client("tcp://scheduler:8786")`` when every worker has the blaze package
installed and reaches the input files at the same path.
"""

from __future__ import annotations

import builtins
import threading

try:
    import dask
    import dask.array as da
    from dask.base import tokenize
    from dask.delayed import delayed
    from dask.highlevelgraph import HighLevelGraph
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "blaze.dask needs dask and distributed: install the extra, "
        "pip install 'blaze[dask]'"
    ) from e

import numpy as np

from . import Array, BlazeError, _blaze, _File, _Dask, _DTYPES, _size, _unwrap

__all__ = ["TaskSpec", "compute", "plan_of", "to_dask"]

# In-memory arrays embedded in every task of a graph must be small.
_EMBED_LIMIT = 64 << 20

_NUMPY = {v: k for k, v in _DTYPES.items()}


class TaskSpec:
    """What a worker needs to plan a program: its text, its inputs (files
    by ``PATH[:DATASHAPE]``, chunked inputs by datashape, small arrays by
    value) and the block size. Small and picklable; equal specs share one
    plan per process."""

    __slots__ = ("source", "files", "chunks", "arrays", "memory_limit",
                 "block_rows", "threads", "key")

    def __init__(self, source, files, chunks, arrays, memory_limit, block_rows, threads):
        self.source = source
        self.files = tuple(files)
        self.chunks = tuple(chunks)
        self.arrays = tuple(arrays)
        self.memory_limit = memory_limit
        self.block_rows = block_rows
        self.threads = threads
        self.key = tokenize(source, self.files, self.chunks,
                            [(n, d, a) for n, d, a in self.arrays],
                            memory_limit, block_rows, threads)

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state):
        for k, v in state.items():
            setattr(self, k, v)

    def __dask_tokenize__(self):
        return self.key

    def __repr__(self):
        return f"blaze.dask.TaskSpec({self.source!r}, block_rows={self.block_rows})"


_PLANS: dict = {}
_PLANS_LOCK = threading.Lock()


def plan_of(spec: TaskSpec):
    """The plan of ``spec`` in this process: made (files opened, kernels
    compiled as they first run) once, then kept for every task."""
    with _PLANS_LOCK:
        plan = _PLANS.get(spec.key)
        if plan is None:
            plan = _blaze.TaskPlan(spec.source, list(spec.files), list(spec.chunks),
                                   list(spec.arrays), spec.memory_limit, spec.block_rows,
                                   spec.threads)
            _PLANS[spec.key] = plan
        return plan


# -- the tasks (module functions, so that workers find them by name) -------

def _start(spec):
    return plan_of(spec).start()


def _chunks(names, chunks):
    out = {}
    for n, c in zip(names, chunks):
        out[n] = c if isinstance(c, np.ndarray) else np.asarray(c)
    return out


def _block(spec, k, a, b, known, names, *chunks):
    return plan_of(spec).block(k, a, b, _chunks(names, chunks), known)


def _rows(spec, k, a, b, known, names, *chunks):
    _, values = plan_of(spec).block(k, a, b, _chunks(names, chunks), known)
    return values[-1]


def _combine(spec, k, left, right):
    return plan_of(spec).combine(k, left, right)


def _finish(spec, k, partial, known):
    return plan_of(spec).finish(k, partial, known)


def _tail(spec, known):
    return _unwrap(plan_of(spec).tail(known))


# -- building the graph ------------------------------------------------------

def _dshape_of(x: np.ndarray) -> str:
    name = _DTYPES.get(x.dtype.name)
    if name is None:
        raise BlazeError(f"blaze does not read arrays of {x.dtype} yet")
    return " * ".join([str(n) for n in x.shape] + [name])


def _inputs(expr: Array):
    files, chunks, arrays, dasks = [], [], [], {}
    for name, v in expr._inputs.items():
        if isinstance(v, _File):
            files.append((name, v.spec))
        elif isinstance(v, _Dask):
            chunks.append((name, v.dshape))
            dasks[name] = v.array
        elif isinstance(v, np.ndarray):
            if v.nbytes > _EMBED_LIMIT:
                raise BlazeError(
                    f"an array of {v.nbytes} bytes in memory would be copied into every task; "
                    "save it (np.save) and blaze.open it, or wrap it in a dask array"
                )
            arrays.append((name, _dshape_of(v), np.ascontiguousarray(v)))
        else:
            raise BlazeError(
                f"blaze.dask takes files (blaze.open), dask arrays and small NumPy arrays, "
                f"not {type(v).__name__}"
            )
    return files, chunks, arrays, dasks


def _rows_meta(dshape: str):
    """The row shape and NumPy dtype of a rows result's datashape."""
    parts = [p.strip() for p in dshape.split("*")]
    dtype = _NUMPY.get(parts[-1])
    dims = parts[1:-1]
    if dtype is None or not builtins.all(d.isdigit() for d in dims):
        raise BlazeError(
            f"a rows result of {dshape} is not a dask array of numbers; "
            "blaze.dask returns rows of plain numeric elements"
        )
    return tuple(int(d) for d in dims), np.dtype(dtype)


def _tree(spec, k, parts, token):
    """The partials of pass ``k`` combined pairwise in block order."""
    level = 0
    while len(parts) > 1:
        nxt = []
        for j in range(0, len(parts) - 1, 2):
            nxt.append(delayed(_combine, pure=True)(
                spec, k, parts[j], parts[j + 1],
                dask_key_name=f"blaze-combine-{k}-{level}-{j // 2}-{token}"))
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
        level += 1
    return parts[0]


def to_dask(expr, chunk_rows=None, memory_limit=None, threads=None):
    """The dask graph of ``expr`` (a ``blaze.Array`` over files opened with
    ``blaze.open``, dask arrays wrapped with ``blaze.array``, and small
    NumPy arrays): a ``dask.delayed.Delayed`` whose ``.compute()`` is the
    result, or, when the result is rows (``2*A + 1``), a ``dask.array.Array``
    whose chunks are the blocks.

    Blocks have ``chunk_rows`` rows, else as many as ``memory_limit``
    (bytes or a size such as ``"1GiB"``; default: half of this machine's
    memory) allows a task; over dask arrays alone, their own row chunks.
    Dask array inputs are rechunked to the blocks' rows (their other axes
    to one chunk). ``threads`` bounds the threads of each task's kernels.
    """
    if not isinstance(expr, Array):
        raise BlazeError(f"to_dask takes a blaze.Array, not {type(expr).__name__}")
    dshape = expr.dshape  # a bad expression's diagnostic, before anything runs
    files, chunks, arrays, dasks = _inputs(expr)
    limit = None if memory_limit is None else _size(memory_limit)
    if chunk_rows is not None and (not isinstance(chunk_rows, int) or chunk_rows < 1):
        raise BlazeError(f"chunk_rows is a positive number of rows, not {chunk_rows!r}")
    plan = _blaze.TaskPlan(expr.source, files, chunks, arrays, limit, chunk_rows, threads)
    if dasks and not files and chunk_rows is None:
        first = next(iter(dasks.values()))
        bounds = np.cumsum((0,) + tuple(first.chunks[0]))
        ranges = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])] or [(0, 0)]
    else:
        ranges = [tuple(r) for r in plan.ranges()]
    spec = TaskSpec(expr.source, files, chunks, arrays, limit,
                    chunk_rows or plan.block_rows, threads)
    sizes = tuple(b - a for a, b in ranges)
    names = tuple(dasks)
    blocks_of = {}
    for name, d in dasks.items():
        rechunked = d.rechunk({0: sizes, **{i: -1 for i in range(1, d.ndim)}})
        blocks_of[name] = list(rechunked.to_delayed().ravel())
    token = tokenize(spec, ranges, [d.name for d in dasks.values()])
    known = delayed(_start, pure=True)(spec, dask_key_name=f"blaze-start-{token}")
    passes = plan.passes
    for k in range(passes):
        last = k + 1 == passes
        if last and plan.streams_result:
            return _rows_array(spec, k, ranges, known, names, blocks_of, dshape, token)
        parts = [
            delayed(_block, pure=True)(
                spec, k, a, b, known, names, *[blocks_of[n][i] for n in names],
                dask_key_name=f"blaze-block-{k}-{i}-{token}")
            for i, (a, b) in enumerate(ranges)
        ]
        whole = _tree(spec, k, parts, token)
        known = delayed(_finish, pure=True)(spec, k, whole, known,
                                            dask_key_name=f"blaze-finish-{k}-{token}")
    return delayed(_tail, pure=True)(spec, known, dask_key_name=f"blaze-tail-{token}")


def _rows_array(spec, k, ranges, known, names, blocks_of, dshape, token):
    """The last pass's blocks as the chunks of a dask array."""
    row, dtype = _rows_meta(dshape)
    name = f"blaze-rows-{token}"
    zeros = (0,) * len(row)
    tasks = [
        delayed(_rows, pure=True)(
            spec, k, a, b, known, names, *[blocks_of[n][i] for n in names],
            dask_key_name=(name, i) + zeros)
        for i, (a, b) in enumerate(ranges)
    ]
    graph = HighLevelGraph.merge(*[t.__dask_graph__() for t in tasks])
    chunks = (tuple(b - a for a, b in ranges),) + tuple((n,) for n in row)
    return da.Array(graph, name, chunks, dtype=dtype)


def compute(expr, client=None, **kw):
    """Runs ``expr`` as a dask graph (:func:`to_dask`, which takes the
    keyword arguments) on ``client`` (default: the current
    ``distributed`` client, else dask's default scheduler) and returns
    NumPy, as ``.eval()`` does."""
    graph = to_dask(expr, **kw)
    if client is None:
        try:
            from distributed import get_client

            client = get_client()
        except (ImportError, ValueError):
            client = None
    if client is None:
        (out,) = dask.compute(graph)
    else:
        out = client.compute(graph).result()
    return _unwrap(out)
