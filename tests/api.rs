//! The Rust API as a user sees it: compile, call on arrays of any layout,
//! errors as values.

use blaze::interp::{Element, Value};
use blaze::{compile, compile_expr, compile_expr_for, input, output, Arg, Engine, Error};
use ndarray::{ArrayBase, Data, Dimension};

/// A value holding a copy of `a`: the way to compare a call on views with
/// one on values.
fn value<S: Data<Elem = T>, D: Dimension, T: Element>(a: &ArrayBase<S, D>) -> Value {
    Value::from(T::wrap(a.to_owned().into_dyn()))
}
use ndarray::{array, s, Array2, Axis};

#[test]
fn expression_on_views_of_every_layout() {
    let base = Array2::from_shape_fn((6, 8), |(i, j)| (i * 8 + j) as f64);
    let views = [
        base.slice(s![..3, ..4]).to_owned(),
        base.slice(s![..3, ..;2]).to_owned(),
        base.t().slice(s![..3, ..4]).to_owned(),
        base.slice(s![..;-2, 4..]).to_owned(),
    ];
    let k = compile_expr("2*x + sin(x)", &[("x", "3 * 4 * float64")]).unwrap();
    for (i, v) in views.iter().enumerate() {
        // Views of each layout, not just owned copies.
        let view = match i {
            0 => base.slice(s![..3, ..4]),
            1 => base.slice(s![..3, ..;2]),
            2 => base.t().slice_move(s![..3, ..4]),
            _ => base.slice(s![..;-2, 4..]),
        };
        let jit = k.call_array::<f64>(&[input(&view)]).unwrap();
        let expected = v.mapv(|x| 2.0 * x + x.sin()).into_dyn();
        for (a, b) in jit.iter().zip(expected.iter()) {
            assert!(
                (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                "layout {i}: {a} vs {b}"
            );
        }
        let interp = k
            .clone()
            .with_engine(Engine::Interp)
            .call_array::<f64>(&[input(&view)])
            .unwrap();
        assert_eq!(interp.shape(), jit.shape());
    }
}

#[test]
fn module_definitions_and_threads() {
    let m = compile(
        "def norms(X: N * 3 * float64) = sqrt(sum(X * X, axis=1))\n\
         def center(X: N * M * float64) = let mu = mean(X, axis=0) in X - mu",
    )
    .unwrap();
    assert_eq!(m.names().collect::<Vec<_>>(), ["norms", "center"]);
    let x = array![[3.0, 4.0, 0.0], [1.0, 2.0, 2.0]];
    let n = m.kernel("norms").unwrap().clone().with_threads(1);
    assert_eq!(
        n.call_array::<f64>(&[input(&x)]).unwrap(),
        array![5.0, 3.0].into_dyn()
    );
    let c = m
        .kernel("center")
        .unwrap()
        .call_array::<f64>(&[input(&x)])
        .unwrap();
    assert_eq!(c.sum_axis(Axis(0)), array![0.0, 0.0, 0.0].into_dyn());
}

#[test]
fn errors_are_values() {
    let err = compile_expr("a +", &[("a", "3 * int32")]).unwrap_err();
    assert!(matches!(err, Error::Compile { .. }));
    assert!(err.to_string().contains("^"), "{err}");

    let err = compile_expr("a + 1", &[("a", "3 * int33")]).unwrap_err();
    assert!(matches!(err, Error::Datashape(_)), "{err:?}");

    let k = compile_expr("a + 1", &[("a", "3 * int32")]).unwrap();
    let err = k.call(&[input(&array![1i32, 2])]).unwrap_err();
    assert!(err.to_string().contains("length 2"), "{err}");
    let err = k.call(&[input(&array![1.0f64, 2.0, 3.0])]).unwrap_err();
    assert!(err.to_string().contains("float64"), "{err}");
    let err = k
        .call_array::<f64>(&[input(&array![1i32, 2, 3])])
        .unwrap_err();
    assert!(matches!(err, Error::ResultType(_)), "{err:?}");

    let m = compile("def f(x: int8) = x").unwrap();
    assert!(matches!(m.kernel("g"), Err(Error::UnknownDefinition(_))));

    let k = compile_expr(
        "solve(A, b)",
        &[("A", "2 * 2 * float64"), ("b", "2 * float64")],
    )
    .unwrap();
    let err = k
        .call(&[
            input(&array![[1.0, 2.0], [2.0, 4.0]]),
            input(&array![1.0, 1.0]),
        ])
        .unwrap_err();
    assert!(err.to_string().contains("singular"), "{err}");
}

#[test]
fn types_from_inputs() {
    let a = array![[1u8, 2], [3, 4]];
    let k = compile_expr_for("x * 2", &["x"], &[value(&a)]).unwrap();
    assert_eq!(k.result_type().to_string(), "2 * 2 * uint8");
    let y = output::<u8>(k.call(&[input(&a)]).unwrap()).unwrap();
    assert_eq!(y, array![[2u8, 4], [6, 8]].into_dyn());
}

#[test]
fn a_session_streams_a_file_within_a_memory_limit() {
    use blaze::interp::Array;
    use blaze::runtime::session::{InputSpec, Program};
    use blaze::Session;
    // Removed when the test ends, passed or failed.
    let scratch = tempfile::Builder::new()
        .prefix("blaze-api-session-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    let path = dir.join("a.npy");
    let a = Array2::from_shape_fn((50_000, 16), |(i, j)| ((i * 31 + j * 7) % 101) as f64 / 8.0);
    blaze::runtime::io::npy::write_npy(&path, &Array::Float64(a.clone().into_dyn())).unwrap();
    let a_path = path.to_str().unwrap();
    for expr in ["A.T @ A", "sum(A * 2, axis=0)"] {
        // 1 MiB is far less than the 6.4 MB of the file: many blocks.
        let streamed = Session::new()
            .memory_limit(1 << 20)
            .eval(expr, &[("A", a_path)], None)
            .unwrap();
        assert!(streamed.report.streamed, "{expr}");
        assert!(streamed.report.blocks.unwrap() > 1, "{expr}");
        let in_memory = Session::new().eval(expr, &[("A", a_path)], None).unwrap();
        assert!(!in_memory.report.streamed, "{expr}");
        let (s, m) = (
            output::<f64>(streamed.value.unwrap()).unwrap(),
            output::<f64>(in_memory.value.unwrap()).unwrap(),
        );
        assert_eq!(s.shape(), m.shape());
        let scale = m.iter().fold(1.0f64, |x, v| x.max(v.abs()));
        for (x, y) in s.iter().zip(m.iter()) {
            assert!((x - y).abs() <= 1e-12 * scale, "{expr}: {x} vs {y}");
        }
    }
    // The gram matrix, against ndarray.
    let g = Session::new()
        .memory_limit(1 << 20)
        .eval("A.T @ A", &[("A", a_path)], None)
        .unwrap();
    let want = a.t().dot(&a);
    let got = output::<f64>(g.value.unwrap()).unwrap();
    let scale = want.iter().fold(1.0f64, |x, v| x.max(v.abs()));
    for (x, y) in got.iter().zip(want.iter()) {
        assert!((x - y).abs() <= 1e-12 * scale, "{x} vs {y}");
    }
    // A streamed result written block by block.
    let out = dir.join("r.npy");
    let r = Session::new()
        .memory_limit(1 << 20)
        .eval("2*A + 1", &[("A", a_path)], Some(out.to_str().unwrap()))
        .unwrap();
    assert!(r.value.is_none() && r.report.streamed);
    let written = blaze::runtime::io::npy::read_npy(&out).unwrap();
    assert_eq!(
        written,
        Array::Float64((a.mapv(|x| 2.0 * x + 1.0)).into_dyn())
    );
    // Errors convert into the facade's error and name what is wrong.
    let module = Program::Module {
        text: "def f(A: N * 16 * float64, w: 16 * float64) = A @ w".into(),
        origin: "f.blz".into(),
        def: None,
    };
    let spec = InputSpec::parse(&format!("A={a_path}")).unwrap();
    let e: Error = Session::new()
        .run(&module, &[spec], None)
        .unwrap_err()
        .into();
    assert!(e.to_string().contains("no input for `w`"), "{e}");
    let e: Error = Session::new()
        .eval("A", &[("A", "/nonexistent/a.npy")], None)
        .unwrap_err()
        .into();
    assert!(
        matches!(e, Error::Runtime(_)) && e.to_string().contains("/nonexistent/a.npy"),
        "{e}"
    );
}

#[test]
fn output_moves_the_result_out_without_copying() {
    let a = ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[1000]), |i| i[0] as f64);
    let ptr = a.as_ptr();
    let v = blaze::Value::from(blaze::interp::Array::Float64(a));
    let out = blaze::output::<f64>(v).unwrap();
    assert_eq!(out.as_ptr(), ptr);
    let v = blaze::Value::from(blaze::interp::Array::Float64(out));
    let e = blaze::output::<i32>(v).unwrap_err();
    assert_eq!(e.to_string(), "the result holds float64, not int32");
}

#[test]
fn views_of_any_layout_give_what_values_give() {
    use ndarray::{s, Array2};
    let k = blaze::compile_expr(
        "sum(x * y + 1, axis=1) + z",
        &[
            ("x", "N * M * float64"),
            ("y", "N * M * float64"),
            ("z", "N * float64"),
        ],
    )
    .unwrap();
    let base = Array2::from_shape_fn((6, 10), |(i, j)| (i * 10 + j) as f64 * 0.25 - 3.0);
    let x = base.slice(s![..;-1, 1..;2]); // reversed rows, every other column
    let y = base.t().as_standard_layout().into_owned();
    let y = y.slice(s![..6;1, ..]).to_owned();
    let y = y.slice(s![.., ..5]);
    let z = base.column(3); // strided
    let (xv, yv, zv) = (value(&x), value(&y), value(&z));
    let by_value = k
        .call(&[Arg::Value(&xv), Arg::Value(&yv), Arg::Value(&zv)])
        .unwrap();
    let by_view = k.call(&[input(&x), input(&y), input(&z)]).unwrap();
    assert_eq!(by_value, by_view);
    // Mixed, and on the interpreter.
    let mixed = k.call(&[input(&x), input(&y), Arg::Value(&zv)]).unwrap();
    assert_eq!(by_value, mixed);
    let interp = k
        .clone()
        .with_engine(blaze::Engine::Interp)
        .call(&[input(&x), input(&y), input(&z)])
        .unwrap();
    // A view broadcast over another's rows (stride 0 on the new axis).
    let b =
        blaze::compile_expr("x + r", &[("x", "N * M * float64"), ("r", "M * float64")]).unwrap();
    let r = base.row(2);
    let rv = value(&r.slice(s![1..;2]));
    assert_eq!(
        b.call(&[input(&x), input(&r.slice(s![1..;2]))]).unwrap(),
        b.call(&[Arg::Value(&xv), Arg::Value(&rv)]).unwrap()
    );
    assert_eq!(blaze::output::<f64>(by_value).unwrap().shape(), [6]);
    assert_eq!(
        blaze::output::<f64>(interp).unwrap().shape(),
        blaze::output::<f64>(by_view).unwrap().shape()
    );
}

#[test]
fn views_are_checked_like_values() {
    let k = blaze::compile_expr("a + b", &[("a", "N * float64"), ("b", "N * float64")]).unwrap();
    let a = ndarray::array![1.0, 2.0, 3.0];
    let b = ndarray::array![1.0, 2.0];
    let e = k.call(&[input(&a), input(&b)]).unwrap_err();
    let (av, bv) = (value(&a), value(&b));
    let v = k.call(&[Arg::Value(&av), Arg::Value(&bv)]).unwrap_err();
    assert_eq!(e, v);
    let c = ndarray::array![1i32, 2, 3];
    let e = k.call(&[input(&a), input(&c)]).unwrap_err();
    assert!(e.to_string().contains("holds int32"), "{e}");
    // BLAS reads a view through a copy made at the interpreter's boundary.
    let g = blaze::compile_expr("A.T @ A", &[("A", "N * M * float64")]).unwrap();
    let m = ndarray::array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    assert_eq!(
        blaze::output::<f64>(g.call(&[input(&m.t())]).unwrap()).unwrap(),
        ndarray::array![[5.0, 11.0, 17.0], [11.0, 25.0, 39.0], [17.0, 39.0, 61.0]].into_dyn()
    );
}

/// Where a view starts in a buffer and its stride, in elements.
type Place = (usize, isize);

/// Two views of one buffer of float64s: an input at element `x0` with
/// element stride `xs`, and an output at `o0` with stride `os`, `n` each.
///
/// # Safety
/// Both views stay inside `buf`, which is used only through them while
/// they live.
unsafe fn aliased<'a>(
    buf: &'a mut [f64],
    n: usize,
    (x0, xs): Place,
    (o0, os): Place,
) -> (Arg<'a>, blaze::array::DenseViewMut<'a>) {
    use blaze::array::{DenseView, DenseViewMut};
    use blaze::datashape::Scalar::Float64;
    let p = buf.as_mut_ptr();
    unsafe {
        (
            Arg::View(DenseView::from_raw_parts(
                p.add(x0).cast_const().cast(),
                Float64,
                vec![n],
                vec![xs * 8],
                None,
            )),
            DenseViewMut::from_raw_parts(p.add(o0).cast(), Float64, vec![n], vec![os * 8]),
        )
    }
}

#[test]
fn call_into_an_output_overlapping_an_input_reads_every_input_first() {
    let n = 1000;
    let k = compile_expr(
        "a * x + y",
        &[("a", "float64"), ("x", "N * float64"), ("y", "N * float64")],
    )
    .unwrap();
    let a = value(&ndarray::arr0(2.5));
    let y = ndarray::Array1::from_shape_fn(n, |i| 1.0 - (i % 7) as f64);
    let orig: Vec<f64> = (0..=n).map(|i| 0.25 * i as f64 - 3.0).collect();
    // (input x, output), NumPy: out[...] = a * x + y on views of one buffer.
    let cases: [(Place, Place, &str); 4] = [
        ((0, 1), (0, 1), "out is x"),
        ((0, 1), (1, 1), "out is x shifted right"),
        ((1, 1), (0, 1), "out is x shifted left"),
        ((0, 1), (n - 1, -1), "out is x reversed"),
    ];
    for engine in [Engine::Jit, Engine::Interp] {
        let k = k.clone().with_engine(engine);
        for (x, o, what) in cases {
            let mut buf = orig.clone();
            // SAFETY: both views lie in `buf` (n + 1 elements).
            let (xin, out) = unsafe { aliased(&mut buf, n, x, o) };
            k.call_into(&[Arg::Value(&a), xin, input(&y)], out).unwrap();
            for i in 0..n {
                let xi = orig[(x.0 as isize + i as isize * x.1) as usize];
                let got = buf[(o.0 as isize + i as isize * o.1) as usize];
                assert_eq!(got, 2.5 * xi + y[i], "{engine:?}, {what}: element {i}");
            }
        }
    }
}

#[test]
fn call_into_copies_results_that_are_not_one_elementwise_kernel() {
    use ndarray::{s, Array1, Array2};
    let m = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    for engine in [Engine::Jit, Engine::Interp] {
        // A reduction into a reversed output.
        let k = compile_expr("sum(X * X, axis=1)", &[("X", "N * M * float64")])
            .unwrap()
            .with_engine(engine);
        let mut out = Array1::<f64>::from_elem(2, -1.0);
        k.call_into(
            &[input(&m)],
            blaze::output_view(&mut out.slice_mut(s![..;-1])),
        )
        .unwrap();
        assert_eq!(out, array![77.0, 14.0]);
        // BLAS into a column-major output.
        let g = compile_expr("X.T @ X", &[("X", "N * M * float64")])
            .unwrap()
            .with_engine(engine);
        let mut out = Array2::<f64>::zeros((3, 3));
        g.call_into(
            &[input(&m)],
            blaze::output_view(&mut out.view_mut().reversed_axes()),
        )
        .unwrap();
        let want = m.t().dot(&m);
        assert_eq!(out.t(), want);
    }
}

#[test]
fn call_into_checks_the_output_and_writes_nothing_on_an_error() {
    use ndarray::Array1;
    let k = compile_expr("x * 2", &[("x", "N * float64")]).unwrap();
    let x = array![1.0, 2.0, 3.0];
    let mut short = Array1::<f64>::from_elem(2, -1.0);
    let e = k
        .call_into(&[input(&x)], blaze::output_view(&mut short))
        .unwrap_err();
    assert!(e.to_string().contains("shape [2]"), "{e}");
    assert_eq!(short, array![-1.0, -1.0]);
    let mut ints = Array1::<i64>::zeros(3);
    let e = k
        .call_into(&[input(&x)], blaze::output_view(&mut ints))
        .unwrap_err();
    assert!(e.to_string().contains("holds int64"), "{e}");
    // Missing values cannot go into a plain output; present ones can.
    let na = compile_expr("where(x > 1.5, x, na)", &[("x", "N * float64")]).unwrap();
    let mut out = Array1::<f64>::from_elem(3, -1.0);
    let e = na
        .call_into(&[input(&x)], blaze::output_view(&mut out))
        .unwrap_err();
    assert!(
        e.to_string().contains("1 missing value") && e.to_string().contains("fillna"),
        "{e}"
    );
    assert_eq!(out, array![-1.0, -1.0, -1.0]);
    na.call_into(
        &[input(&array![2.0, 3.0, 4.0])],
        blaze::output_view(&mut out),
    )
    .unwrap();
    assert_eq!(out, array![2.0, 3.0, 4.0]);
}

#[test]
fn a_kernel_with_too_many_threads_is_an_error_not_a_thread_storm() {
    let k = compile_expr("x * 2", &[("x", "N * float64")])
        .unwrap()
        .with_threads(100_000);
    let x = array![1.0, 2.0];
    let e = k.call(&[input(&x)]).unwrap_err();
    assert!(e.to_string().contains("at most 1024"), "{e}");
}
