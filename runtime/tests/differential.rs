//! Differential tests: random programs × shapes × dtypes × layouts, the JIT
//! engine against the reference interpreter.
//!
//! Every case runs the JIT twice: on interpreter values (owned ndarray
//! arrays in C, Fortran, reversed or stepped storage), and on the same
//! inputs passed as a caller passes them — a mix of values and
//! `Arg::View`s of memory blaze does not own, which the kernels read in
//! place: ndarray views, shared ndarray arrays, and caller buffers in C or
//! Fortran order, every-other-element strides, reversed axes, byte offsets
//! into larger buffers, any stride on axes of length 1, broadcast shapes,
//! 0-d and empty arrays, every byte outside the view a sentinel
//! (`differential/views.rs`). Both results are compared with the
//! interpreter's.
//!
//! Integers and bools must agree exactly. Floats agree within a stated
//! bound: the JIT contracts `a * b + c` into one fused multiply-add, sums
//! in vector lanes, and calls glibc's vector math (≤ 4 ULP), so results
//! differ by rounding: `|jit − ref| ≤ tol · (1 + |ref|) + tol · M · n` with
//! tol = 1e-9 for float64, 1e-3 for float32, 2e-2 for float16, M the
//! largest input magnitude and n the number of terms reduced into one
//! element (1 without a reduction) — the second term is the cancellation
//! error of sums of large values; NaN must meet NaN and an infinity the
//! same infinity. Operations that are discontinuous in their
//! float inputs (comparisons, floor, ceil, round, `//`, `%`, casts to
//! integers) or ill-conditioned (sin, cos, tan of large arguments, arcsin
//! and arccos near ±1) are only applied to inputs, not to computed floats,
//! so that a last-bit difference cannot move them far. A reduction whose
//! partial results overflow (operands beyond 1e15) may give NaN or an
//! infinity in one association and a number in another; that is accepted.
//!
//! `BLAZE_DIFF_CASES` (default 2000) sets the number of cases and
//! `BLAZE_DIFF_SEED` the seed; a failure prints the seed, the program, and
//! each input's type, layouts (strides, offset) and values.

#[path = "differential/common.rs"]
mod common;
#[path = "differential/views.rs"]
mod views;

use blaze_array::DenseArray;
use blaze_datashape::{Datashape, Dim, Measure, Scalar};
use blaze_interp::{eval, kernels, with_array, Array, Value};
use blaze_ir::compile_expression;
use blaze_runtime::exec::{prepare, Arg, Options, Prepared, Report};
use blaze_runtime::Error;
use common::{compare, judge, magnitude, program, random_array, relayout, tolerance, values_text};
use common::{Rng, SCALARS};
use ndarray::{ArrayD, IxDyn};
use views::{caller_array, caller_text, sentinel, Held, Layout, Source, LAYOUTS};

/// Cases of the random test when `BLAZE_DIFF_CASES` is not set.
const DEFAULT_CASES: usize = 2_000;

/// An input's type, owned layout (ndarray strides in elements) and values.
fn input_text(name: &str, v: &Value, layout: &str) -> String {
    let (scalar, shape, strides) = match v {
        Value::Array { data, .. } => {
            with_array!(data, x => (data.scalar().to_string(), x.shape().to_vec(), x.strides().to_vec()))
        }
        _ => ("?".into(), vec![], vec![]),
    };
    format!(
        "{name}: {scalar} {shape:?} {layout} (element strides {strides:?}) = {}",
        values_text(v)
    )
}

/// A failure message: the seed, the case, the program, the inputs (as
/// values and as the views of the call, if any) and the problem.
fn failure(
    head: &str,
    src: &str,
    inputs: &[String],
    views: Option<&[String]>,
    problem: &str,
) -> String {
    let mut text = format!("{head}: `{src}`\n");
    for (i, input) in inputs.iter().enumerate() {
        text += &format!("      {input}\n");
        if let Some(how) = views.and_then(|v| v.get(i)) {
            text += &format!("        passed as {how}\n");
        }
    }
    text + &format!("    {problem}")
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// The JIT on the inputs of one case passed as values and views
/// (`sources`), the views alive for the call, its outcome judged by
/// `judge`. `None` when it agrees, else the problem and how each input was
/// passed.
fn run_on_views(
    prepared: &Prepared,
    inputs: &[Value],
    sources: &[Source],
    opts: &Options,
    judge: impl Fn(&Result<(Value, Report), Error>) -> Option<String>,
) -> Option<(String, Vec<String>)> {
    let held = match Held::new(inputs, sources) {
        Ok(h) => h,
        Err(e) => return Some((format!("cannot build the views: {e}"), vec![])),
    };
    let described: Vec<String> = (0..inputs.len())
        .map(|i| held.describe(i, &sources[i], &inputs[i]))
        .collect();
    let args = held.args(inputs, sources);
    judge(&prepared.run_args(&args, opts)).map(|p| (p, described))
}

/// Random programs, each over many shapes, dtypes and layouts; every case
/// on values, then on a mix of values and views (at least one view).
#[test]
fn jit_agrees_with_the_interpreter() {
    let cases = env_number("BLAZE_DIFF_CASES").map_or(DEFAULT_CASES, |n| n as usize);
    let seed = env_number("BLAZE_DIFF_SEED").unwrap_or(0x5eed_b1a2e);
    let mut rng = Rng::new(seed);
    let mut run = 0;
    let mut rejected = 0;
    let mut failures: Vec<String> = Vec::new();
    let opts = Options::default();
    let mut program_count = 0;
    let mut passed: std::collections::BTreeMap<&str, usize> = Default::default();
    while run < cases && failures.len() < 20 {
        // One program, many shapes, dtypes and layouts.
        let n_inputs = 1 + rng.below(3);
        let names: Vec<String> = (0..n_inputs)
            .map(|i| ["a", "b", "c"][i].to_string())
            .collect();
        let rank = rng.below(4);
        let src = program(&mut rng, &names, rank);
        program_count += 1;
        for _variant in 0..16 {
            if run >= cases || failures.len() >= 20 {
                break;
            }
            // Now and then one long axis (up to ~70,000 elements in all), so
            // that chunking and threads are exercised.
            let large = (rank > 0 && rng.chance(0.03)).then(|| rng.below(rank));
            let shape: Vec<usize> = (0..rank)
                .map(|d| {
                    if large == Some(d) {
                        *rng.pick(&[4099, 20011, 70001])
                    } else if large.is_some() {
                        *rng.pick(&[1, 1, 2])
                    } else {
                        *rng.pick(&[0, 1, 1, 2, 3, 5, 7, 8, 13, 16, 33])
                    }
                })
                .collect();
            let mut inputs = Vec::new();
            let mut args = Vec::new();
            let mut texts = Vec::new();
            for name in &names {
                let s = *rng.pick(SCALARS);
                // Some inputs broadcast: length-1 axes or fewer axes.
                let mut sh = shape.clone();
                if !sh.is_empty() && rng.chance(0.3) {
                    let k = rng.below(sh.len());
                    sh[k] = 1;
                }
                if !sh.is_empty() && rng.chance(0.15) {
                    sh.remove(0);
                }
                let a = random_array(&mut rng, s, &sh);
                let (a, layout) = relayout(&mut rng, a);
                let dims = sh.iter().map(|&n| Dim::Fixed(n as u64)).collect();
                args.push((name.clone(), Datashape::new(dims, Measure::scalar(s))));
                let value = Value::from(a);
                texts.push(input_text(name, &value, layout));
                inputs.push(value);
            }
            let Ok(f) = compile_expression(&src, &args) else {
                rejected += 1;
                continue;
            };
            run += 1;
            let head = format!("seed {seed} case {run}");
            let reference = eval(&f, &inputs);
            let prepared = prepare(&f);
            let judge = |jit: &Result<(Value, Report), Error>| {
                judge(
                    &src,
                    &inputs,
                    jit.as_ref().map(|(v, _)| v),
                    reference.as_ref(),
                )
            };
            if let Some(p) = judge(&prepared.run(&inputs, &opts)) {
                failures.push(failure(&head, &src, &texts, None, &p));
            }
            // The same inputs, some passed as views of borrowed memory.
            let ranks: Vec<usize> = args.iter().map(|(_, t)| t.dims.len()).collect();
            let sources = Source::random_mix(&mut rng, &ranks);
            for s in &sources {
                *passed.entry(s.label()).or_insert(0) += 1;
            }
            if let Some((p, how)) = run_on_views(&prepared, &inputs, &sources, &opts, judge) {
                let head = format!("{head}, inputs as views");
                failures.push(failure(&head, &src, &texts, Some(&how), &p));
            }
        }
    }
    eprintln!("differential: {run} cases from {program_count} programs ({rejected} variants rejected by the type checker), seed {seed}; inputs of the second runs passed as {passed:?}");
    assert!(
        failures.is_empty(),
        "{} mismatches (BLAZE_DIFF_SEED={seed}):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Index notation: each template on random arrays of several sizes,
/// dtypes and layouts, JIT (one kernel per loop) against the interpreter,
/// on values and on a mix of values and views.
#[test]
fn index_notation_agrees_with_the_interpreter() {
    const TEMPLATES: &[&str] = &[
        "forall i, j: sum(k: A[i, k] * B[k, j])",
        "forall i: sum(j: A[i, j] * y[j])",
        "forall i, j: A[i, j] * 2 + x[i]",
        "sum(i: x[i] * x[i])",
        "forall i: max(j: A[i, j])",
        "forall j: min(i: A[i, j])",
        "forall j: prod(i: A[i, j])",
        "forall i: i * x[i] + s",
        "forall i, j: delta[i, j] * C[i, j]",
        "forall i: sum(j, k: eps[i, j, k] * u[j] * w[k])",
        "sum(i: C[i, i])",
        "forall i: C[i, i] - C[i, 0] + C[-1, i]",
        "forall i, j: where(A[i, j] > x[i], A[i, j], 0)",
    ];
    let seed = env_number("BLAZE_DIFF_SEED").unwrap_or(0x1dec5);
    let mut rng = Rng::new(seed);
    let opts = Options::default();
    let mut failures = Vec::new();
    let mut runs = 0;
    for template in TEMPLATES {
        for _ in 0..40 {
            let (n, m, p) = (
                *rng.pick(&[0, 1, 3, 7, 40]),
                *rng.pick(&[1, 2, 5, 33]),
                *rng.pick(&[1, 4, 9]),
            );
            let s = *rng.pick(&[
                Scalar::Float64,
                Scalar::Float32,
                Scalar::Int32,
                Scalar::Int64,
            ]);
            let shapes: [(&str, Vec<usize>); 9] = [
                ("A", vec![n, m]),
                ("B", vec![m, p]),
                ("C", vec![n, n]),
                ("x", vec![n]),
                ("y", vec![m]),
                ("u", vec![3]),
                ("w", vec![3]),
                ("s", vec![]),
                ("z", vec![p]),
            ];
            let mut args = Vec::new();
            let mut inputs = Vec::new();
            let mut texts = Vec::new();
            for (name, shape) in shapes.iter() {
                let used = template.contains(&format!("{name}["))
                    || (*name == "s" && template.contains(" s"));
                if !used {
                    continue;
                }
                let a = random_array(&mut rng, s, shape);
                let (a, layout) = relayout(&mut rng, a);
                let dims = shape.iter().map(|&k| Dim::Fixed(k as u64)).collect();
                args.push((name.to_string(), Datashape::new(dims, Measure::scalar(s))));
                let value = Value::from(a);
                texts.push(input_text(name, &value, layout));
                inputs.push(value);
            }
            let f = match compile_expression(template, &args) {
                Ok(f) => f,
                Err(_) => continue,
            };
            runs += 1;
            let reference = eval(&f, &inputs);
            let prepared = prepare(&f);
            let judge = |jit: &Result<(Value, Report), Error>| match (jit, &reference) {
                (Ok((j, report)), Ok(r)) => {
                    if !report.fallbacks.is_empty() {
                        Some(format!("not compiled: {:?}", report.fallbacks))
                    } else {
                        compare(j, r, magnitude(&inputs) * 64.0, tolerance(s))
                    }
                }
                (Err(_), Err(_)) => None,
                (Ok(_), Err(e)) => Some(format!("jit succeeded, reference failed: {e}")),
                (Err(e), Ok(_)) => Some(format!("jit failed: {e}")),
            };
            let head = format!("seed {seed} case {runs}");
            if let Some(p) = judge(&prepared.run(&inputs, &opts)) {
                failures.push(failure(&head, template, &texts, None, &p));
            }
            // The same inputs, some passed as views of borrowed memory.
            let ranks: Vec<usize> = args.iter().map(|(_, t)| t.dims.len()).collect();
            let sources = Source::random_mix(&mut rng, &ranks);
            if let Some((p, how)) = run_on_views(&prepared, &inputs, &sources, &opts, judge) {
                let head = format!("{head}, inputs as views");
                failures.push(failure(&head, template, &texts, Some(&how), &p));
            }
        }
    }
    eprintln!("index notation: {runs} cases, seed {seed}");
    assert!(runs > 300, "only {runs} cases ran");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Each program over `a` in every layout of [`LAYOUTS`] (with sentinels
/// around and between its elements) for each shape and type, and `b` a
/// value or a view: the JIT's result from kernels against the
/// interpreter's. The shapes are `a`'s and, for a caller's broadcast view,
/// the shape of its memory. Returns the number of cases and the failures.
fn in_place_cases(
    shapes: &[(&[usize], Option<&[usize]>)],
    scalars: &[Scalar],
    programs: &[&str],
    seed: u64,
) -> (usize, Vec<String>) {
    let mut rng = Rng::new(seed);
    let opts = Options::default();
    let mut failures = Vec::new();
    let mut runs = 0;
    for &name in LAYOUTS {
        for &(shape, memory) in shapes {
            for &s in scalars {
                for src in programs {
                    // `b` is a value or another view, with a leading axis
                    // more and length-1 axes stretched: `a` broadcasts.
                    let b_shape: Vec<usize> = std::iter::once(2)
                        .chain(shape.iter().map(|&d| if d == 1 { 3 } else { d }))
                        .collect();
                    let stored = random_array(&mut rng, s, memory.unwrap_or(shape));
                    let a = match kernels::broadcast_to(&stored, shape) {
                        Ok(a) => Value::from(a),
                        Err(e) => panic!("{memory:?} to {shape:?}: {e}"),
                    };
                    let b = Value::from(random_array(&mut rng, s, &b_shape));
                    let ty = |sh: &[usize]| {
                        let dims = sh.iter().map(|&n| Dim::Fixed(n as u64)).collect();
                        Datashape::new(dims, Measure::scalar(s))
                    };
                    let mut params = vec![("a".to_string(), ty(shape))];
                    if src.contains('b') {
                        params.push(("b".to_string(), ty(&b_shape)));
                    }
                    let Ok(f) = compile_expression(src, &params) else {
                        continue;
                    };
                    runs += 1;
                    let inputs = [a, b];
                    let inputs = &inputs[..params.len()];
                    let rank = memory.unwrap_or(shape).len();
                    let layout = Layout::named(name, rank, &mut rng).padded(2, 3);
                    let b_layout = Layout::random(&mut rng, b_shape.len()).padded(1, 1);
                    let held_a = match memory {
                        None => caller_array(&inputs[0], &layout),
                        Some(_) => caller_array(&Value::from(stored), &layout).and_then(|m| {
                            m.broadcast_to(shape)
                                .map_err(|e| format!("broadcast_to: {e}"))
                        }),
                    };
                    // `b` a view too, half the time.
                    let held_b = match inputs.get(1) {
                        Some(b) if rng.chance(0.5) => Some(caller_array(b, &b_layout)),
                        _ => None,
                    };
                    let (held_a, held_b) = match (held_a, held_b.transpose()) {
                        (Ok(a), Ok(b)) => (a, b),
                        (Err(e), _) | (_, Err(e)) => {
                            failures.push(format!("{name} {shape:?}: {e}"));
                            continue;
                        }
                    };
                    let mut args = vec![Arg::View(held_a.view())];
                    if let Some(b) = inputs.get(1) {
                        args.push(match &held_b {
                            Some(view) => Arg::View(view.view()),
                            None => Arg::Value(b),
                        });
                    }
                    let reference = eval(&f, inputs);
                    let jit = prepare(&f).run_args(&args, &opts);
                    let problem = match &jit {
                        Ok((_, report))
                            if !report.fallbacks.is_empty()
                                || (report.kernels.is_empty() && report.calls.is_empty()) =>
                        {
                            Some(format!(
                                "not read by kernels or BLAS: fallbacks {:?}",
                                report.fallbacks
                            ))
                        }
                        _ => judge(
                            src,
                            inputs,
                            jit.as_ref().map(|(v, _)| v),
                            reference.as_ref(),
                        ),
                    };
                    if let Some(p) = problem {
                        let texts: Vec<String> = ["a", "b"]
                            .iter()
                            .zip(inputs)
                            .map(|(n, v)| input_text(n, v, "C order"))
                            .collect();
                        let how = vec![
                            caller_text(&format!("caller {}", layout.name), &held_a),
                            held_b.as_ref().map_or("value".into(), |b| {
                                caller_text(&format!("caller {}", b_layout.name), b)
                            }),
                        ];
                        let head = format!("seed {seed:#x}, layout {name}");
                        failures.push(failure(&head, src, &texts, Some(&how), &p));
                    }
                }
            }
        }
    }
    (runs, failures)
}

/// Views are read in place, at every layout: each input is a caller's
/// buffer whose bytes outside the view (padding before and after, gaps
/// between strided elements) are sentinels — NaN, or large integers —
/// that would change the result if a kernel read them. Every program must
/// give the interpreter's result on the logical values, from kernels
/// (nothing copied for the reference kernels), whether the view is
/// C-ordered, Fortran-ordered, stepped, reversed, offset, has length-1
/// axes of stride 0 or any stride, broadcasts (its own size-1 axes, or a
/// caller's broadcast view with stride 0 on axes longer than 1), or is 0-d
/// or empty.
#[test]
fn views_are_read_in_place_at_every_layout() {
    // The shape of `a`, and the shape of its memory when the caller's view
    // broadcasts it (stride 0 on stretched and new axes).
    const SHAPES: &[(&[usize], Option<&[usize]>)] = &[
        (&[3, 4], None),
        (&[2, 3, 5], None),
        (&[1, 4], None),
        (&[4, 1], None),
        (&[7, 1, 2], None),
        (&[5], None),
        (&[1], None),
        (&[], None),
        (&[0, 3], None),
        (&[3, 4], Some(&[1, 4])),
        (&[4, 3], Some(&[4, 1])),
        (&[2, 5], Some(&[5])),
        (&[3], Some(&[])),
        (&[2, 3, 4], Some(&[3, 1])),
        (&[0, 3], Some(&[1, 3])),
    ];
    const PROGRAMS: &[&str] = &[
        "a * 3 + a",
        "sum(a)",
        "max(a)",
        "sum(a, axis=0)",
        "max(a, axis=-1)",
        "a + b",
        "sum(a * b, axis=0)",
    ];
    let scalars = &[
        Scalar::Float64,
        Scalar::Float32,
        Scalar::Int32,
        Scalar::UInt8,
    ];
    let (runs, failures) = in_place_cases(SHAPES, scalars, PROGRAMS, 0x1a_e0);
    eprintln!("views read in place: {runs} cases");
    assert!(runs > 2500, "only {runs} cases ran");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// As `views_are_read_in_place_at_every_layout`, on views long enough to
/// be split into chunks run on several threads (a full reduction combines
/// partials, others split along a kept axis).
#[test]
fn long_views_are_read_in_place_at_every_layout() {
    const SHAPES: &[(&[usize], Option<&[usize]>)] =
        &[(&[70001], None), (&[3, 25000], Some(&[1, 25000]))];
    const PROGRAMS: &[&str] = &["a * 3 + a", "sum(a)", "sum(a, axis=0)"];
    let (runs, failures) = in_place_cases(SHAPES, &[Scalar::Float64], PROGRAMS, 0x10_e0);
    eprintln!("long views read in place: {runs} cases");
    assert_eq!(runs, LAYOUTS.len() * SHAPES.len() * PROGRAMS.len());
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Matrix products on views at every layout: BLAS reads a view whose
/// strides it can take (C or Fortran order, a leading dimension with gaps)
/// in place, and gets a C-order copy of any other (reversed, stepped
/// inner axis, broadcast); either way the result is the interpreter's and
/// no sentinel is read.
#[test]
fn blas_reads_views_at_every_layout() {
    const SHAPES: &[(&[usize], Option<&[usize]>)] = &[
        (&[3, 4], None),
        (&[5, 5], None),
        (&[1, 4], None),
        (&[4, 1], None),
        (&[0, 3], None),
        (&[4, 4], Some(&[1, 4])),
        (&[2, 3, 3], None),
    ];
    const PROGRAMS: &[&str] = &[
        "a.T @ a",
        "a @ a.T",
        "a @ a",
        "sum(a @ a.T) + 1",
        "a.T @ (a * 2)",
    ];
    let scalars = &[Scalar::Float64, Scalar::Float32];
    let (runs, failures) = in_place_cases(SHAPES, scalars, PROGRAMS, 0xb1a5);
    eprintln!("BLAS on views: {runs} cases");
    assert!(runs > 400, "only {runs} cases ran");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The sentinels are seen by a kernel that reads them: the same caller
/// buffer read whole (padding and gaps included) sums to NaN for floats
/// and to another number for integers, while the view sums to the
/// interpreter's result — so a kernel reading outside a view fails
/// `views_are_read_in_place_at_every_layout`.
#[test]
fn a_kernel_reading_outside_the_view_would_be_caught() {
    let mut rng = Rng::new(7);
    let opts = Options::default();
    let sum_of = |s: Scalar, shape: &[usize], arg: Arg<'_>| -> Value {
        let dims = shape.iter().map(|&n| Dim::Fixed(n as u64)).collect();
        let ty = Datashape::new(dims, Measure::scalar(s));
        let f = compile_expression("sum(a)", &[("a".into(), ty)]).expect("sum(a) checks");
        prepare(&f).run_args(&[arg], &opts).expect("sum runs").0
    };
    for s in [Scalar::Float64, Scalar::Int32] {
        let logical = Array::Float64(ArrayD::from_shape_fn(IxDyn(&[3, 4]), |i| {
            (i[0] * 4 + i[1]) as f64 - 5.5
        }));
        let a = Value::from(kernels::cast(&logical, s));
        let reference = eval(
            &compile_expression(
                "sum(a)",
                &[(
                    "a".into(),
                    Datashape::new(vec![Dim::Fixed(3), Dim::Fixed(4)], Measure::scalar(s)),
                )],
            )
            .expect("sum(a) checks"),
            std::slice::from_ref(&a),
        )
        .expect("the interpreter sums");
        for name in ["stepped", "reversed", "offset", "mixed"] {
            let layout = Layout::named(name, 2, &mut rng).padded(2, 3);
            let held = caller_array(&a, &layout).expect("a caller array");
            assert_eq!(
                sum_of(s, &[3, 4], Arg::View(held.view())),
                reference,
                "{s} {name}"
            );
            let size = s.size_bytes();
            let n = held.buffer().len() / size;
            assert_eq!(held.buffer().as_slice()[..size], sentinel(s)[..]);
            let whole = DenseArray::c_order(held.buffer().clone(), s, &[n]).expect("whole");
            let all = sum_of(s, &[n], Arg::View(whole.view()));
            let Value::Array { data, .. } = &all else {
                panic!("sum of {s} gave {all:?}")
            };
            let total = kernels::cast(data, Scalar::Float64);
            let Array::Float64(total) = total else {
                panic!("cast to float64 gave {total:?}")
            };
            let total = total.iter().next().copied().unwrap_or(0.0);
            match s {
                Scalar::Float64 => assert!(total.is_nan(), "{name}: {total}"),
                _ => assert_ne!(all, reference, "{name}"),
            }
        }
    }
}
