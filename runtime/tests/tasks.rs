//! The chunk plan run as separate tasks ([`TaskPlan`]): block tasks that
//! read their rows from a `.npy` file or take them given, partials
//! combined as trees of different shapes (left to right, balanced, right
//! to left), against the same program streamed by the executor with the
//! same blocks: sums, `A.T @ A`, means, `argmax` with ties, a rows result,
//! a two-pass program and the centred covariance. Also the errors of bad requests.

mod scratch;

use blaze_datashape::Scalar;
use blaze_interp::{kernels, Array, Value};
use blaze_runtime::exec::Arg;
use blaze_runtime::io::npy::write_npy;
use blaze_runtime::session::InputSpec;
use blaze_runtime::stream::{Known, Partial, TaskInput, TaskPlan};
use blaze_runtime::Session;
use ndarray::{ArrayD, IxDyn};
use std::path::Path;

/// Numbers in [-1.5, 2.5) with ties (a coarse grid), so `argmax` sees
/// equal values in different blocks.
fn data(rows: usize, cols: usize) -> ArrayD<f64> {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |_| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 11) % 16) as f64 / 4.0 - 1.5
    })
}

fn f64s(v: &Value) -> Vec<f64> {
    let Value::Array { data, .. } = v else {
        panic!("not an array: {v:?}")
    };
    let Array::Float64(x) = kernels::cast(data, Scalar::Float64) else {
        unreachable!()
    };
    x.iter().copied().collect()
}

fn close(got: &Value, want: &Value, what: &str) {
    let (Value::Array { data: a, .. }, Value::Array { data: b, .. }) = (got, want) else {
        panic!("{what}: not arrays");
    };
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    assert_eq!(a.scalar(), b.scalar(), "{what}: element types");
    for (x, y) in f64s(got).iter().zip(f64s(want)) {
        assert!(
            (x - y).abs() <= 1e-9 * y.abs().max(1.0),
            "{what}: {x} against {y}"
        );
    }
}

/// How the block partials of a pass are combined.
#[derive(Clone, Copy, Debug)]
enum Tree {
    Left,
    Balanced,
    Right,
}

fn reduce(plan: &TaskPlan, pass: usize, mut parts: Vec<Partial>, tree: Tree) -> Partial {
    match tree {
        Tree::Left => {
            let mut acc = parts.remove(0);
            for p in parts {
                acc = plan.combine(pass, acc, p).unwrap();
            }
            acc
        }
        Tree::Right => {
            let mut acc = parts.pop().unwrap();
            while let Some(p) = parts.pop() {
                acc = plan.combine(pass, p, acc).unwrap();
            }
            acc
        }
        Tree::Balanced => {
            while parts.len() > 1 {
                let mut next = Vec::new();
                let mut it = parts.into_iter();
                while let Some(a) = it.next() {
                    next.push(match it.next() {
                        Some(b) => plan.combine(pass, a, b).unwrap(),
                        None => a,
                    });
                }
                parts = next;
            }
            parts.pop().unwrap()
        }
    }
}

/// Runs every task of `plan` in this process, as a scheduler would:
/// passes in order, blocks combined by `tree`, then the tail (or the rows
/// result's blocks joined).
fn run_tasks(plan: &TaskPlan, tree: Tree, given: &dyn Fn(usize, usize) -> Vec<Value>) -> Value {
    let mut known: Known = plan.start().unwrap();
    let names: Vec<String> = plan
        .inputs()
        .iter()
        .filter(|n| plan.is_given(n))
        .cloned()
        .collect();
    let passes = plan.plan().passes();
    for pass in 0..passes {
        let parts: Vec<Partial> = plan
            .ranges()
            .into_iter()
            .map(|r| {
                let values = given(r.start, r.end);
                let args: Vec<(&str, Arg<'_>)> = names
                    .iter()
                    .map(String::as_str)
                    .zip(values.iter().map(Arg::Value))
                    .collect();
                plan.block(pass, r, &args, &known).unwrap()
            })
            .collect();
        let last = pass + 1 == passes;
        if last && plan.plan().streams_result() {
            let all = reduce(plan, pass, parts, tree);
            assert_eq!(all.rows, plan.rows());
            return all.values.into_iter().next().unwrap();
        }
        let all = reduce(plan, pass, parts, tree);
        known = plan.finish(pass, all, &known).unwrap();
    }
    plan.tail(&known).unwrap()
}

fn npy(dir: &Path, a: &ArrayD<f64>) -> String {
    let p = dir.join("a.npy");
    write_npy(&p, &Array::Float64(a.clone())).unwrap();
    p.display().to_string()
}

const PROGRAMS: &[&str] = &[
    "A.T @ A",
    "sum(sqrt(A * A + 1), axis=0)",
    "mean(A, axis=0)",
    "argmax(A, axis=0)",
    "argmin(A)",
    "2 * A + 1",
    "A - mean(A, axis=0)",
    "sum(A - mean(A, axis=0), axis=0) + max(A)",
    // One pass: blocks centred by their own means, combined by the means.
    "(A - mean(A, axis=0)).T @ (A - mean(A, axis=0))",
];

#[test]
fn tasks_from_a_file_match_the_streamed_run() {
    let dir = scratch::scratch_dir("blaze-tasks-");
    let a = data(103, 5);
    let path = npy(&dir, &a);
    for block in [7usize, 50, 200] {
        for program in PROGRAMS {
            let want = Session::new()
                .memory_limit(1 << 30)
                .block_rows(block)
                .eval(program, &[("A", &path)], None)
                .unwrap()
                .value
                .unwrap();
            let spec = InputSpec::parse(&format!("A={path}")).unwrap();
            let plan = TaskPlan::new(
                program,
                vec![("A".into(), TaskInput::File(spec))],
                1 << 30,
                Some(block),
                Some(1),
            )
            .unwrap();
            assert_eq!(plan.ranges().len(), 103usize.div_ceil(block));
            assert_eq!(plan.ranges().last().map(|r| r.end), Some(103));
            for tree in [Tree::Left, Tree::Balanced, Tree::Right] {
                let got = run_tasks(&plan, tree, &|_, _| Vec::new());
                close(
                    &got,
                    &want,
                    &format!("{program}, blocks of {block}, {tree:?}"),
                );
            }
        }
    }
}

#[test]
fn tasks_over_given_chunks_match_the_file() {
    let dir = scratch::scratch_dir("blaze-tasks-given-");
    let a = data(64, 3);
    let path = npy(&dir, &a);
    for program in PROGRAMS {
        let want = Session::new()
            .eval(program, &[("A", &path)], None)
            .unwrap()
            .value
            .unwrap();
        let plan = TaskPlan::new(
            program,
            vec![(
                "A".into(),
                TaskInput::Chunks(blaze_datashape::parse("64 * 3 * float64").unwrap()),
            )],
            1 << 30,
            Some(10),
            None,
        )
        .unwrap();
        assert!(plan.is_given("A"));
        let rows = |s: usize, e: usize| {
            let chunk = a.slice(ndarray::s![s..e, ..]).to_owned().into_dyn();
            vec![Value::from(Array::Float64(chunk))]
        };
        let got = run_tasks(&plan, Tree::Balanced, &rows);
        close(&got, &want, program);
    }
}

#[test]
fn bad_task_requests_are_errors_that_say_what() {
    let dir = scratch::scratch_dir("blaze-tasks-bad-");
    let path = npy(&dir, &data(20, 2));
    let spec = || InputSpec::parse(&format!("A={path}")).unwrap();
    let plan = TaskPlan::new(
        "sum(A, axis=0)",
        vec![("A".into(), TaskInput::File(spec()))],
        1 << 30,
        Some(8),
        None,
    )
    .unwrap();
    let known = plan.start().unwrap();
    let e = plan.block(0, 10..30, &[], &known).unwrap_err().to_string();
    assert!(e.contains("10..30") && e.contains("20 rows"), "{e}");
    let e = plan.block(3, 0..8, &[], &known).unwrap_err().to_string();
    assert!(e.contains("pass 3"), "{e}");
    let chunk = Value::from(Array::Float64(ArrayD::zeros(IxDyn(&[8, 2]))));
    let e = plan
        .block(0, 0..8, &[("A", Arg::Value(&chunk))], &known)
        .unwrap_err()
        .to_string();
    assert!(e.contains("read from its file"), "{e}");
    // The tail needs the finished pass.
    let e = plan.tail(&known).unwrap_err().to_string();
    assert!(e.contains("missing"), "{e}");
    // Chunks of the wrong size.
    let plan = TaskPlan::new(
        "sum(A, axis=0)",
        vec![(
            "A".into(),
            TaskInput::Chunks(blaze_datashape::parse("20 * 2 * float64").unwrap()),
        )],
        1 << 30,
        Some(8),
        None,
    )
    .unwrap();
    let e = plan
        .block(0, 0..5, &[("A", Arg::Value(&chunk))], &known)
        .unwrap_err()
        .to_string();
    assert!(e.contains("has 8 rows"), "{e}");
    let e = plan.block(0, 0..8, &[], &known).unwrap_err().to_string();
    assert!(e.contains("must come with the task"), "{e}");
    // A program the inputs do not fit is the checker's diagnostic.
    let e = TaskPlan::new(
        "sum(B)",
        vec![("A".into(), TaskInput::File(spec()))],
        1 << 30,
        None,
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains('B'), "{e}");
}
