//! Programs that need several passes over the rows, streamed in blocks of
//! many sizes (1, a non-divisor, a divisor, more than the rows) against the
//! same programs in memory and on the reference interpreter: centring by
//! the mean, `var`/`std`, the centred covariance, `argmax`/`argmin` over
//! the rows (ties and NaN as NumPy), row slices; `.npy` files of float64,
//! float32 and integers, and a CSV glob of records. Also: the plan's
//! passes, and inputs that can be read only once.

mod numbers;
mod scratch;

use blaze_datashape::Scalar;
use blaze_interp::{Array, Value};
use blaze_runtime::io::npy::{read_npy, write_npy};
use blaze_runtime::session::{Engine, InputSpec, Program};
use blaze_runtime::Session;
use numbers::{data, max_rel};
use std::path::Path;

fn dir(name: &str) -> scratch::Scratch {
    scratch::scratch_dir(&format!("blaze-passes-{name}-"))
}

/// Equal for integers, within `tol` of the largest magnitude for floats.
fn check(got: &Value, want: &Value, tol: f64, what: &str) {
    match want {
        Value::Array { data, .. } if matches!(data.scalar(), Scalar::Float64 | Scalar::Float32) => {
            let e = max_rel(got, want);
            assert!(e <= tol, "{what}: off by {e:e}");
        }
        _ => assert_eq!(got, want, "{what}"),
    }
}

/// `src` over the named inputs: in memory (JIT), on the reference
/// interpreter, and streamed in blocks of `block` rows (to memory, and to
/// `out` when given), compared.
fn compare(src: &str, named: &[(&str, &str)], block: usize, out: Option<&Path>, tol: f64) {
    let memory = Session::new().eval(src, named, None).unwrap();
    assert!(!memory.report.streamed);
    let want = memory.value.unwrap();
    let interp = Session::new()
        .engine(Engine::Interp)
        .eval(src, named, None)
        .unwrap()
        .value
        .unwrap();
    check(&interp, &want, tol, &format!("{src} on the interpreter"));
    let streamed = Session::new()
        .memory_limit(1 << 30)
        .block_rows(block)
        .eval(src, named, None)
        .unwrap_or_else(|e| panic!("{src}, block {block}: {e}"));
    assert!(streamed.report.streamed, "{src}");
    check(
        &streamed.value.unwrap(),
        &want,
        tol,
        &format!("{src}, block {block}"),
    );
    if let Some(out) = out {
        let run = Session::new()
            .memory_limit(1 << 30)
            .block_rows(block)
            .eval(src, named, Some(out.to_str().unwrap()))
            .unwrap();
        assert!(run.report.streamed && run.value.is_none());
        let written = Value::from(read_npy(out).unwrap());
        check(
            &written,
            &want,
            tol,
            &format!("{src} to a file, block {block}"),
        );
    }
}

const BLOCKS: [usize; 5] = [1, 7, 29, 203, 1000];

#[test]
fn centring_variance_and_covariance_match_memory() {
    let d = dir("float");
    let a = d.join("a.npy");
    let f = d.join("f.npy");
    write_npy(&a, &Array::Float64(data(203, 6, 1))).unwrap();
    write_npy(&f, &Array::Float32(data(203, 6, 2).mapv(|v| v as f32))).unwrap();
    let out = d.join("out.npy");
    for block in BLOCKS {
        for (path, tol) in [(&a, 1e-12), (&f, 1e-5)] {
            let named = [("A", path.to_str().unwrap())];
            let rows_out = Some(out.as_path());
            compare("A - mean(A, axis=0)", &named, block, rows_out, tol);
            compare(
                "(A - mean(A)) / std(A, axis=0)",
                &named,
                block,
                rows_out,
                tol,
            );
            for src in [
                "var(A, axis=0)",
                "std(A, axis=0)",
                "var(A)",
                "std(A, axis=0, keepdims=true)",
                "(A - mean(A, axis=0)).T @ (A - mean(A, axis=0))",
                "sum((A - mean(A, axis=0)) ** 2, axis=0) / 203",
                "max(abs(A - mean(A, axis=0)), axis=0)",
            ] {
                compare(src, &named, block, None, tol);
            }
        }
    }
}

#[test]
fn the_centred_covariance_is_one_pass_and_exact_far_from_zero() {
    let d = dir("centred");
    let a = d.join("a.npy");
    // Columns around 1e6 with a spread of about 1: the products of the
    // raw rows would lose every digit of the covariance to cancellation.
    write_npy(&a, &Array::Float64(data(203, 5, 8).mapv(|v| 1.0e6 + v))).unwrap();
    let named = [("A", a.to_str().unwrap())];
    let src = "(A - mean(A, axis=0)).T @ (A - mean(A, axis=0))";
    let specs = [InputSpec::parse(&format!("A={}", a.display())).unwrap()];
    let (plan, _) = Session::new()
        .memory_limit(1 << 30)
        .block_rows(30)
        .stream_plan(&Program::expr(src), &specs)
        .unwrap();
    assert_eq!(plan.passes(), 1, "{plan}");
    let shown = plan.to_string();
    assert!(
        shown.contains("centred by its own mean") && shown.contains("two blocks at a time"),
        "{shown}"
    );
    for block in BLOCKS {
        compare(src, &named, block, None, 1e-10);
    }
    // Centred rows that serve something else are centred by the mean of
    // all rows, in a second pass.
    let both = "(A - mean(A, axis=0)).T @ (A - mean(A, axis=0)) + max(A - mean(A, axis=0))";
    let (plan, _) = Session::new()
        .memory_limit(1 << 30)
        .block_rows(30)
        .stream_plan(&Program::expr(both), &specs)
        .unwrap();
    assert_eq!(plan.passes(), 2, "{plan}");
    for block in [1, 29, 1000] {
        compare(both, &named, block, None, 1e-10);
    }
}

#[test]
fn integer_inputs_pass_twice() {
    let d = dir("int");
    let a = d.join("i.npy");
    write_npy(
        &a,
        &Array::Int64(data(203, 4, 3).mapv(|v| (v * 7.0) as i64)),
    )
    .unwrap();
    let named = [("A", a.to_str().unwrap())];
    let out = d.join("out.npy");
    for block in BLOCKS {
        compare("A - mean(A, axis=0)", &named, block, Some(&out), 1e-12);
        compare("var(A, axis=0)", &named, block, None, 1e-12);
        compare("std(A)", &named, block, None, 1e-12);
        // Few distinct values: ties everywhere, the first occurrence wins.
        for src in [
            "argmax(A, axis=0)",
            "argmin(A, axis=0)",
            "argmax(A)",
            "argmin(A)",
            "A - max(A, axis=0)",
        ] {
            compare(src, &named, block, None, 0.0);
        }
    }
}

#[test]
fn argmax_and_argmin_keep_the_first_nan_and_the_first_tie() {
    let d = dir("nan");
    let a = d.join("n.npy");
    let mut x = data(97, 3, 4).mapv(|v| (v * 2.0).round());
    x[[40, 0]] = f64::NAN;
    x[[70, 0]] = f64::NAN;
    x[[96, 2]] = f64::NAN;
    write_npy(&a, &Array::Float64(x)).unwrap();
    let named = [("A", a.to_str().unwrap())];
    for block in [1, 5, 40, 41, 97] {
        for src in [
            "argmax(A, axis=0)",
            "argmin(A, axis=0)",
            "argmax(A)",
            "argmin(A)",
        ] {
            compare(src, &named, block, None, 0.0);
        }
    }
    // The indices point into the whole input, not the block.
    let v = Session::new()
        .memory_limit(1 << 30)
        .block_rows(10)
        .eval("argmax(A, axis=0)", &named, None)
        .unwrap()
        .value
        .unwrap();
    let Value::Array {
        data: Array::Int64(i),
        ..
    } = v
    else {
        panic!("int64 indices")
    };
    assert_eq!(i[[0]], 40);
    assert_eq!(i[[2]], 96);
}

#[test]
fn row_slices_read_only_their_rows() {
    let d = dir("slices");
    let a = d.join("a.npy");
    write_npy(&a, &Array::Float64(data(203, 5, 5))).unwrap();
    let named = [("A", a.to_str().unwrap())];
    let out = d.join("out.npy");
    for block in BLOCKS {
        for src in [
            "A[3:50]",
            "A[::3]",
            "A[5:190:4]",
            "A[-20:]",
            "A[:-150:7]",
            "A[200:300]",
            "2 * A[1::2, 1:3] + 1",
        ] {
            compare(src, &named, block, Some(&out), 0.0);
        }
        for src in [
            "sum(A[10:], axis=0)",
            "A[::2] - mean(A[::2], axis=0)",
            "argmax(A[7::5], axis=0)",
            "var(A[::4])",
        ] {
            compare(src, &named, block, None, 1e-12);
        }
    }
    // Empty slices reduce like empty arrays.
    compare("sum(A[300:], axis=0)", &named, 7, None, 0.0);
    // A slice used beside the whole input is refused, named.
    let e = Session::new()
        .memory_limit(1 << 20)
        .eval("A[::2] + A[1::2]", &named, None);
    assert!(e.is_err() || !e.unwrap().report.streamed);
}

#[test]
fn a_csv_glob_of_records_passes_twice() {
    let d = dir("csv");
    for (k, rows) in [(1, 13), (2, 1), (3, 30)] {
        let mut text = String::from("k,v\n");
        for j in 0..rows {
            text.push_str(&format!(
                "{},{}\n",
                j % 5,
                ((j * k) % 17) as f64 * 0.25 - 1.0
            ));
        }
        std::fs::write(d.join(format!("p{k}.csv")), text).unwrap();
    }
    let spec = format!("{}/*.csv:var * {{k: int32, v: float64}}", d.display());
    let named = [("M", spec.as_str())];
    for block in [1, 4, 13, 100] {
        for src in [
            "M.v - mean(M.v)",
            "var(M.v)",
            "std(M.k)",
            "argmax(M.v)",
            "argmin(M.k)",
            "M.v[::3]",
            "M.k[2:20:2] * M.v[2:20:2]",
        ] {
            compare(src, &named, block, None, 1e-12);
        }
    }
}

#[test]
fn the_plan_shows_its_passes() {
    let d = dir("plan");
    let a = d.join("a.npy");
    write_npy(&a, &Array::Float64(data(100, 4, 6))).unwrap();
    let specs = [InputSpec::parse(&format!("A={}", a.display())).unwrap()];
    let session = Session::new().memory_limit(1 << 30).block_rows(30);
    let program = Program::expr("A - mean(A, axis=0)");
    let (plan, _) = session.stream_plan(&program, &specs).unwrap();
    assert_eq!(plan.passes(), 2);
    assert!(plan.pass_function(1).is_some() && plan.pass_function(2).is_none());
    let tasks = plan.tasks(Some("r.npy"));
    let text = tasks.join("\n");
    assert!(
        text.contains("# pass 1 of 2:") && text.contains("feeds pass 2"),
        "{text}"
    );
    assert!(text.contains("('p1-A', 3): read rows 90..100"), "{text}");
    assert!(text.contains("('p2-A', 0): read rows 0..30"), "{text}");
    assert!(text.contains("('p1-%1-acc', 3)"), "{text}");
    assert!(tasks.last().unwrap().contains("rename r.npy"), "{text}");
    let shown = plan.to_string();
    assert!(shown.contains("2 passes"), "{shown}");
    assert!(shown.contains("pass 2 of 2"), "{shown}");
    // One pass for a program that reduces once.
    let program = Program::expr("sum(A, axis=0)");
    let (plan, _) = session.stream_plan(&program, &specs).unwrap();
    assert_eq!(plan.passes(), 1);
    assert!(!plan.tasks(None).join("\n").contains("pass"));
}

#[test]
fn partials_kept_for_later_passes_count_against_the_limit() {
    let d = dir("limit");
    let a = d.join("a.npy");
    write_npy(&a, &Array::Float64(data(400, 200, 7))).unwrap();
    let specs = [InputSpec::parse(&format!("A={}", a.display())).unwrap()];
    let one = Program::expr("sum(A, axis=0)");
    let two = Program::expr("(A - mean(A, axis=0)).T @ (A - mean(A, axis=0))");
    let limit = 1u64 << 21;
    let session = Session::new().memory_limit(limit);
    let (p1, _) = session.stream_plan(&one, &specs).unwrap();
    let (p2, _) = session.stream_plan(&two, &specs).unwrap();
    // The 200 × 200 accumulator and the mean leave less for blocks.
    assert!(p2.block_rows() < p1.block_rows());
    assert!(p2.block_rows() * 200 * 8 * 4 < limit as usize);
    // Too little memory for the accumulators is an error, not a run.
    let e = Session::new()
        .memory_limit(200_000)
        .stream_plan(&two, &specs)
        .unwrap_err()
        .to_string();
    assert!(e.contains("memory"), "{e}");
}

/// The missing mask of a result (all present when it has none).
fn mask(v: &Value) -> Vec<bool> {
    match v {
        Value::Array {
            data,
            missing: Some(m),
        } => {
            assert_eq!(m.shape(), data.shape());
            m.iter().copied().collect()
        }
        Value::Array { data, .. } => vec![false; data.len()],
        other => panic!("not an array: {other:?}"),
    }
}

#[test]
fn a_mean_of_values_that_may_be_missing_streams() {
    let d = dir("mean-na");
    // `v` has empty cells; `w` is empty in every row.
    for (k, rows) in [(1, 9), (2, 1), (3, 25)] {
        let mut text = String::from("k,v,w\n");
        for j in 0..rows {
            let k_cell = if (j + k) % 4 == 0 {
                String::new()
            } else {
                format!("{}", (j * k) % 7)
            };
            let v_cell = if j % 3 == 1 {
                String::new()
            } else {
                format!("{}", ((j * k) % 11) as f64 * 0.5 - 2.0)
            };
            text.push_str(&format!("{k_cell},{v_cell},\n"));
        }
        std::fs::write(d.join(format!("p{k}.csv")), text).unwrap();
    }
    let spec = format!(
        "{}/*.csv:var * {{k: ?int32, v: ?float64, w: ?float64}}",
        d.display()
    );
    let named = [("M", spec.as_str())];
    for block in [1, 4, 13, 100] {
        for src in ["mean(M.v)", "mean(M.k)", "mean(M.w)", "mean(M.v) + 1"] {
            compare(src, &named, block, None, 1e-12);
            let want = Session::new()
                .engine(Engine::Interp)
                .eval(src, &named, None)
                .unwrap()
                .value
                .unwrap();
            let got = Session::new()
                .memory_limit(1 << 30)
                .block_rows(block)
                .eval(src, &named, None)
                .unwrap()
                .value
                .unwrap();
            assert_eq!(mask(&got), mask(&want), "{src}, block {block}");
        }
    }
    // Every `w` is missing: so is its mean.
    let all = Session::new()
        .memory_limit(1 << 30)
        .block_rows(4)
        .eval("mean(M.w)", &named, None)
        .unwrap()
        .value
        .unwrap();
    assert_eq!(mask(&all), vec![true]);
}

#[test]
fn complex_variance_streams_as_numpy() {
    let d = dir("complex");
    let z = d.join("z.npy");
    let re = data(203, 4, 8);
    let im = data(203, 4, 9);
    let x = ndarray::Zip::from(&re)
        .and(&im)
        .map_collect(|&a, &b| num_complex::Complex64::new(a, b));
    write_npy(&z, &Array::Complex128(x)).unwrap();
    let named = [("Z", z.to_str().unwrap())];
    for block in BLOCKS {
        for src in ["var(Z, axis=0)", "std(Z)", "var(Z) + 1"] {
            compare(src, &named, block, None, 1e-12);
        }
    }
}
