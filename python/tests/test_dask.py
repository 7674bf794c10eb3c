"""blaze's chunk plan on dask.distributed (``blaze.dask``): programs over a
``.npy`` file, a Parquet file and a CSV file against NumPy, dask arrays as
inputs against dask.array, the graph's tasks, one plan per worker process,
and a worker killed mid-run (dask retries its tasks; the result is right).

All on one ``LocalCluster(n_workers=2, threads_per_worker=1,
processes=True)`` for the module."""

import os
import signal
import sys
import time

import numpy as np
import pytest

dask = pytest.importorskip("dask", reason="blaze.dask needs dask (pip install 'blaze[dask]')")
distributed = pytest.importorskip(
    "distributed", reason="blaze.dask's tests need distributed (pip install 'blaze[dask]')"
)
da = pytest.importorskip("dask.array", reason="blaze.dask needs dask[array]")

import blaze  # noqa: E402
import blaze.dask as bd  # noqa: E402

ROWS, COLS, CHUNK = 1000, 6, 64
BLOCKS = -(-ROWS // CHUNK)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        env={"OPENBLAS_NUM_THREADS": "1"},
    )
    c = distributed.Client(cluster)
    # The slow chunks of the restart test are defined here: they travel by
    # value, since the workers do not import this file.
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(16)
    a = rng.standard_normal((ROWS, COLS)) + 0.25
    path = tmp_path_factory.mktemp("dask") / "a.npy"
    np.save(path, a)
    return a, str(path)


CASES = [
    ("A.T @ A", lambda a: a.T @ a, lambda x: x.T @ x),
    ("sum(sqrt(A*A+1), axis=0)", lambda a: blaze.sum(blaze.sqrt(a * a + 1), axis=0),
     lambda x: np.sqrt(x * x + 1).sum(axis=0)),
    ("mean", lambda a: blaze.mean(a, axis=0), lambda x: x.mean(axis=0)),
    ("mean of all", lambda a: blaze.mean(a), lambda x: x.mean()),
    ("argmax over rows", lambda a: blaze.argmax(a, axis=0), lambda x: x.argmax(axis=0)),
    ("rows result", lambda a: 2 * a + 1, lambda x: 2 * x + 1),
    ("two passes", lambda a: a - blaze.mean(a, axis=0), lambda x: x - x.mean(axis=0)),
    ("two passes, reduced", lambda a: blaze.sum((a - blaze.mean(a, axis=0)) ** 2, axis=0),
     lambda x: ((x - x.mean(axis=0)) ** 2).sum(axis=0)),
    ("centred covariance, one pass",
     lambda a: (a - blaze.mean(a, axis=0)).T @ (a - blaze.mean(a, axis=0)),
     lambda x: (x - x.mean(axis=0)).T @ (x - x.mean(axis=0))),
]


@pytest.mark.parametrize("name, build, numpy", CASES, ids=[c[0] for c in CASES])
def test_programs_over_a_npy_file_match_numpy(client, data, name, build, numpy):
    a, path = data
    got = bd.compute(build(blaze.open(path)), client=client, chunk_rows=CHUNK)
    want = numpy(a)
    assert np.shape(got) == np.shape(want)
    if name.startswith("argmax"):
        assert np.array_equal(got, want)
    else:
        assert np.allclose(got, want, rtol=1e-12, atol=1e-12)


def test_the_result_does_not_depend_on_the_workers(client, data):
    _, path = data
    e = blaze.open(path).T @ blaze.open(path)
    on_cluster = bd.compute(e, client=client, chunk_rows=CHUNK)
    in_process = dask.compute(bd.to_dask(e, chunk_rows=CHUNK), scheduler="sync")[0]
    # The same blocks combined by the same tree: the same bits.
    assert np.array_equal(on_cluster, in_process)


def test_the_graph_has_a_task_per_block_and_a_tree_of_combines(data):
    _, path = data
    a = blaze.open(path)
    g = bd.to_dask(blaze.sum(a, axis=0), chunk_rows=CHUNK)
    keys = [k if isinstance(k, str) else k[0] for k in g.__dask_graph__()]
    blocks = [k for k in keys if k.startswith("blaze-block-")]
    combines = [k for k in keys if k.startswith("blaze-combine-")]
    assert len(blocks) == BLOCKS
    assert len(combines) == BLOCKS - 1  # a binary tree over the blocks
    assert len(keys) == BLOCKS + (BLOCKS - 1) + 3  # start, finish, tail
    # Two passes: the blocks twice, the first pass's tree and finish once.
    g = bd.to_dask(a - blaze.mean(a, axis=0), chunk_rows=CHUNK)
    assert isinstance(g, da.Array)
    assert g.chunks[0] == tuple(min(CHUNK, ROWS - s) for s in range(0, ROWS, CHUNK))
    assert len(g.__dask_graph__()) == 1 + BLOCKS + (BLOCKS - 1) + 1 + BLOCKS
    # Another block size, another number of tasks.
    g = bd.to_dask(blaze.sum(a, axis=0), chunk_rows=500)
    assert len(g.__dask_graph__()) == 2 + 1 + 3


def test_each_worker_plans_and_compiles_once(client, data):
    _, path = data
    e = blaze.sum(blaze.exp(blaze.open(path) / 7), axis=0)
    for _ in range(3):
        bd.compute(e, client=client, chunk_rows=CHUNK)
    spec_keys = client.run(lambda: sorted(bd._PLANS))
    # Every worker that ran tasks of the three runs holds one plan for them.
    mine = bd.TaskSpec(e.source, [(n, v.spec) for n, v in e._inputs.items()], [], [], None,
                       CHUNK, None).key
    holders = [w for w, keys in spec_keys.items() if mine in keys]
    assert holders, spec_keys
    assert all(keys.count(mine) == 1 for keys in spec_keys.values())


def test_parquet_and_csv_inputs_are_read_in_the_workers(client, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(ROWS), rng.standard_normal(ROWS)
    pq.write_table(pa.table({"a": x, "b": y}), tmp_path / "t.parquet", row_group_size=300)
    t = blaze.open(str(tmp_path / "t.parquet"))
    got = bd.compute(blaze.sum(t["a"] * t["b"]), client=client, chunk_rows=CHUNK)
    assert np.isclose(got, (x * y).sum(), rtol=1e-12)
    with open(tmp_path / "t.csv", "w") as f:
        f.write("a,b\n")
        f.writelines(f"{float(p)!r},{float(q)!r}\n" for p, q in zip(x, y))
    c = blaze.open(str(tmp_path / "t.csv"), f"{ROWS} * {{a: float64, b: float64}}")
    got = bd.compute(blaze.mean(c["a"]) + blaze.max(c["b"]), client=client, chunk_rows=CHUNK)
    assert np.isclose(got, x.mean() + y.max(), rtol=1e-12)


def test_dask_array_inputs_match_dask_array(client):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((ROWS, COLS))
    d = da.from_array(x, chunks=(150, 4))  # other axes are rechunked to one
    b = blaze.array(d)
    assert b.dshape == f"{ROWS} * {COLS} * float64"
    got = bd.compute(b.T @ b, client=client)
    assert np.allclose(got, (d.T @ d).compute(), rtol=1e-12)
    got = bd.compute(blaze.sum(blaze.sqrt(b * b + 1), axis=0), client=client)
    assert np.allclose(got, da.sqrt(d * d + 1).sum(axis=0).compute(), rtol=1e-12)
    # Blocks over the dask array's own row chunks.
    g = bd.to_dask(2 * b + 1)
    assert g.chunks[0] == d.chunks[0]
    assert np.allclose(client.compute(g).result(), (2 * d + 1).compute())
    # .eval() of an expression over a dask array runs the graph.
    assert np.allclose((b - blaze.mean(b, axis=0)).eval(), (d - d.mean(axis=0)).compute())


def test_files_and_dask_arrays_together(client, data):
    a, path = data
    y = np.arange(ROWS * 2, dtype=np.float64).reshape(ROWS, 2) / ROWS
    e = blaze.open(path).T @ blaze.array(da.from_array(y, chunks=(333, 1)))
    assert np.allclose(bd.compute(e, client=client, chunk_rows=CHUNK), a.T @ y, rtol=1e-12)


def test_errors_say_what(data, tmp_path):
    _, path = data
    with pytest.raises(blaze.BlazeError, match="chunk_rows"):
        bd.to_dask(blaze.sum(blaze.open(path)), chunk_rows=0)
    with pytest.raises(blaze.BlazeError, match="no input streams"):
        bd.to_dask(blaze.sum(blaze.array(np.ones(3))))
    s = tmp_path / "s.csv"
    s.write_text("a\n1\n2\n")
    with pytest.raises(blaze.BlazeError, match="row count"):
        bd.to_dask(blaze.sum(blaze.open(str(s), "var * {a: float64}")["a"]))


def _slow_chunk(i, rows, cols):
    time.sleep(0.25)
    return np.random.default_rng(i).standard_normal((rows, cols))


def test_a_worker_killed_mid_run_is_retried_and_the_result_is_right(client):
    n, rows = 16, 50
    chunks = [
        da.from_delayed(dask.delayed(_slow_chunk, pure=True)(i, rows, COLS),
                        shape=(rows, COLS), dtype=np.float64)
        for i in range(n)
    ]
    d = da.concatenate(chunks, axis=0)
    x = np.concatenate([np.random.default_rng(i).standard_normal((rows, COLS)) for i in range(n)])
    b = blaze.array(d)
    future = client.compute(bd.to_dask(b.T @ b - blaze.mean(b, axis=0)))
    before = client.run(os.getpid)
    time.sleep(1.0)
    assert not future.done(), "the run ended before a worker could be killed"
    victim = sorted(before)[0]
    os.kill(before[victim], signal.SIGKILL)
    got = future.result(timeout=120)
    want = x.T @ x - x.mean(axis=0)
    assert np.allclose(got, want, rtol=1e-12)
    # The nanny started a new worker process.
    client.wait_for_workers(2, timeout=60)
    after = client.run(os.getpid)
    assert set(after.values()) != set(before.values())
