"""The Python package against NumPy: lazy expressions, results, errors,
inputs read in place, and the GIL released while kernels run."""

import threading

import numpy as np
import pytest

import blaze


def test_the_talks_example_gives_numpys_eigenvalues_and_vectors():
    a = blaze.array(np.array([[1., 2.], [3., 4.]]))
    b = blaze.array(np.eye(2))
    x = a + b
    e = blaze.linalg.eig(x)
    assert e.dshape == "(2 * complex[float64], 2 * 2 * complex[float64])"
    w, v = e.eval()
    m = np.array([[1., 2.], [3., 4.]]) + np.eye(2)
    ww, _ = np.linalg.eig(m)
    assert w.dtype == np.complex128 and v.dtype == np.complex128
    assert np.allclose(np.sort(w.real), np.sort(ww.real))
    # Each column is an eigenvector.
    assert np.allclose(m @ v, v * w)


@pytest.mark.parametrize(
    "build, numpy",
    [
        (lambda a, b: 2 * a + blaze.sin(b), lambda a, b: 2 * a + np.sin(b)),
        (lambda a, b: (a - b) ** 2 / 3.0, lambda a, b: (a - b) ** 2 / 3.0),
        (lambda a, b: blaze.sum(a * b, axis=1), lambda a, b: np.sum(a * b, axis=1)),
        (lambda a, b: blaze.mean(a, axis=(0, 1)), lambda a, b: np.mean(a)),
        (lambda a, b: a.T @ b, lambda a, b: a.T @ b),
        (lambda a, b: blaze.where(a > b, a, -b), lambda a, b: np.where(a > b, a, -b)),
        (lambda a, b: a[::-1, 1:] + 1, lambda a, b: a[::-1, 1:] + 1),
        (lambda a, b: blaze.std(a, axis=0), lambda a, b: np.std(a, axis=0)),
        (lambda a, b: blaze.linalg.inv(a.T @ a), lambda a, b: np.linalg.inv(a.T @ a)),
        (lambda a, b: blaze.max(a) - blaze.min(b), lambda a, b: np.max(a) - np.min(b)),
    ],
)
def test_lazy_expressions_equal_numpy(build, numpy):
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    got = build(blaze.array(a), blaze.array(b)).eval()
    assert np.allclose(got, numpy(a, b), rtol=1e-12, atol=1e-12)


def test_inputs_of_any_layout_are_read_in_place():
    base = np.arange(60, dtype=np.float64).reshape(6, 10)
    for view in [base[::2, ::-3], base.T, np.asfortranarray(base), base[1:, 2]]:
        assert np.array_equal(blaze.array(view).__mul__(2).eval(), view * 2)
    # Other element types keep NumPy's promotion.
    i = np.arange(6, dtype=np.int32)
    assert (blaze.array(i) + 1).eval().dtype == np.int32
    assert blaze.sum(blaze.array(i)).eval() == 15
    f = np.arange(4, dtype=np.float32)
    assert (blaze.array(f) * 2.5).eval().dtype == np.float32


def test_results_are_numpy_arrays_blaze_made():
    r = (blaze.array(np.ones(1000)) * 3).eval()
    # The buffer blaze computed into, handed over (NumPy does not own it).
    assert isinstance(r, np.ndarray) and not r.flags.owndata and r.base is not None
    assert r.flags.writeable and np.all(r == 3)
    s = blaze.sum(blaze.array(np.ones(10))).eval()
    assert s == 10.0 and np.ndim(s) == 0


def test_type_errors_raise_with_the_caret():
    a = blaze.array(np.ones(2))
    b = blaze.array(np.ones(3))
    bad = a + b
    with pytest.raises(blaze.BlazeError) as e:
        bad.dshape
    text = str(e.value)
    assert "cannot broadcast" in text and "^" in text
    with pytest.raises(blaze.BlazeError):
        blaze.sum(bad * 2).eval()
    assert "error" in repr(bad)
    with pytest.raises(blaze.BlazeError, match="datetime64"):
        blaze.array(np.array(["2020-01-01"], dtype="datetime64[D]"))
    with pytest.raises(blaze.BlazeError):
        bool(a > 0)


def test_compiled_modules_take_numpy_arrays():
    m = blaze.compile("def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y")
    x, y = np.arange(5.0), np.ones(5)
    assert np.array_equal(m.axpy(2.0, x, y), 2 * x + y)
    assert "N * float64" in m.axpy.__doc__
    with pytest.raises(blaze.BlazeError, match="length 4"):
        m.axpy(2.0, x, np.ones(4))
    with pytest.raises(blaze.BlazeError) as e:
        blaze.compile("def f(x: N * float64) = x +")
    assert "^" in str(e.value)


def test_kernels_run_with_the_gil_released():
    a = blaze.array(np.random.default_rng(1).standard_normal((1500, 1500)))
    expr = blaze.sum(blaze.sqrt(a * a + 1.0) @ a)
    kernel, args = expr.compile()
    kernel(*args)  # compiled and warm
    ticks = [0]
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks[0] += 1

    t = threading.Thread(target=count)
    t.start()
    try:
        before = ticks[0]
        for _ in range(3):
            kernel(*args)
        during = ticks[0] - before
    finally:
        done.set()
        t.join()
    # The other thread ran Python while the kernels ran.
    assert during > 0


def test_discover_names_the_datashape(tmp_path):
    p = tmp_path / "a.npy"
    np.save(p, np.zeros((4, 3), dtype=np.float32))
    assert blaze.discover(str(p)) == "4 * 3 * float32"
    with pytest.raises(blaze.BlazeError, match="absent"):
        blaze.discover(str(tmp_path / "absent.npy"))


def test_files_open_lazily_and_stream_within_a_memory_limit(tmp_path):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((20000, 8))
    p = tmp_path / "a.npy"
    np.save(p, a)
    A = blaze.open(str(p))
    assert A.dshape == "20000 * 8 * float64"
    gram = A.T @ A
    assert np.allclose(gram.eval(memory_limit="1MiB"), a.T @ a)
    assert np.allclose(blaze.sum(A, axis=0).eval(), a.sum(axis=0))
    out = tmp_path / "r.npy"
    assert (2 * A + 1).eval(out=str(out), memory_limit=1 << 20) is None
    assert np.array_equal(np.load(out), 2 * a + 1)
    # A pattern of files, and a view of the bytes.
    np.save(tmp_path / "b.npy", a[:5])
    both = blaze.open(str(tmp_path / "[ab].npy"))
    assert both.dshape == "20005 * 8 * float64"
    v = blaze.open(str(p), "N * 2 * 4 * float64")
    assert np.allclose(blaze.sum(v, axis=(0, 2)).eval(), a.reshape(-1, 2, 4).sum(axis=(0, 2)))
    with pytest.raises(blaze.BlazeError, match="memory size"):
        A.eval(memory_limit="lots")
    with pytest.raises(blaze.BlazeError, match="files"):
        (A + blaze.array(np.ones(8))).eval()
    with pytest.raises(blaze.BlazeError, match="absent"):
        blaze.open(str(tmp_path / "absent.npy"))


def test_expressions_from_text_take_named_inputs():
    x, y = np.arange(4.0), np.linspace(0, 1, 4)
    e = blaze.expr("2*a + sin(b)", a=x, b=y)
    assert e.dshape == "4 * float64"
    assert np.allclose(e.eval(), 2 * x + np.sin(y))
    # Text and builders mix; a mistake in the text has its caret there.
    assert np.allclose((blaze.expr("a * a", a=e) - 1).eval(), (2 * x + np.sin(y)) ** 2 - 1)
    with pytest.raises(blaze.BlazeError) as err:
        blaze.expr("a +* 2", a=x).dshape
    assert "^" in str(err.value)


def test_out_is_written_in_place():
    x = np.arange(12.0).reshape(3, 4)
    out = np.zeros((4, 3)).T  # another layout than the input's
    got = (blaze.array(x) * 2 + 1).eval(out=out)
    assert got is out and np.array_equal(out, x * 2 + 1)
    # A strided slice of a larger buffer: only it is written.
    buf = np.zeros((3, 8))
    (blaze.array(x) - 1).eval(out=buf[:, ::2])
    assert np.array_equal(buf[:, ::2], x - 1) and not buf[:, 1::2].any()
    with pytest.raises(blaze.BlazeError):
        (blaze.array(x) * 2).eval(out=np.zeros((2, 2)))
    with pytest.raises(blaze.BlazeError):
        (blaze.array(x) * 2).eval(out=np.zeros((3, 4), dtype=np.int32))


def test_arrow_arrays_cross_without_copies():
    pa = pytest.importorskip("pyarrow")
    s = pa.array(["GOOG", None, "ibm", "aapl"])
    up = blaze.expr("upper(s)", s=s)
    assert up.dshape == "4 * ?string"
    got = up.eval()
    assert isinstance(got, pa.Array) and got.to_pylist() == ["GOOG", None, "IBM", "AAPL"]
    assert blaze.count(blaze.array(s)).eval() == 3
    # Ragged rows: reductions over them come back to NumPy.
    r = pa.array([[1.0, 2.0], [], [3.0, 4.0, 5.0]])
    ra = blaze.array(r)
    assert ra.dshape == "3 * var * float64"
    assert np.array_equal(blaze.sum(ra, axis=1).eval(), [3.0, 0.0, 12.0])
    # Chunked arrays are combined; decimals keep exact arithmetic.
    from decimal import Decimal
    d = pa.chunked_array([pa.array([Decimal("1.10"), Decimal("2.25")], pa.decimal128(10, 2))])
    total = blaze.sum(blaze.array(d)).eval()
    assert str(total) == "3.35"


def test_dump_shows_what_blaze_generates():
    x = blaze.array(np.arange(1000.0))
    e = blaze.sqrt(x * x + 1.0)
    ir = e.dump("llvm-ir")
    assert "define" in ir and "sqrt" in ir
    assert "ret" in e.dump("opt-ir")
    asm = e.dump("asm")
    assert "sqrt" in asm or "vsqrt" in asm
    assert "main" in e.dump("ir")
    with pytest.raises(blaze.BlazeError, match="not a dump"):
        e.dump("bitcode")


def test_blaze_dask_without_dask_says_to_install_the_extra():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['dask'] = None\n"
        "try:\n"
        "    import blaze.dask\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "blaze[dask]" in out.stdout, out.stdout + out.stderr
