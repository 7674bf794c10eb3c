//! Criterion benches of the JIT engine's fixed costs: a cached call on a
//! small array (per-call overhead), and the first compile of a
//! ten-operation kernel. The side-by-side throughput comparison with NumPy
//! and numexpr is `benches/compare.sh`.

use blaze::datashape::parse;
use blaze::interp::{Array, Value};
use blaze::ir::compile_expression;
use blaze::runtime::exec::{prepare, Options};
use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::{ArrayD, IxDyn};
use std::hint::black_box;

fn inputs(n: usize) -> Vec<Value> {
    (0..3)
        .map(|k| {
            Value::from(Array::Float64(ArrayD::from_shape_fn(IxDyn(&[n]), |i| {
                (i[0] + k) as f64 * 0.5
            })))
        })
        .collect()
}

fn args(n: usize) -> Vec<(String, blaze::datashape::Datashape)> {
    let ty = parse(&format!("{n} * float64")).expect("datashape");
    ["a", "b", "c"]
        .iter()
        .map(|k| (k.to_string(), ty.clone()))
        .collect()
}

fn cached_call(c: &mut Criterion) {
    let n = 1000;
    let f = compile_expression("2*a + b*c", &args(n)).expect("compiles");
    let prepared = prepare(&f);
    let values = inputs(n);
    let opts = Options::default();
    prepared.run(&values, &opts).expect("runs");
    c.bench_function("cached call, 2*a + b*c, 1000 float64", |b| {
        b.iter(|| black_box(prepared.run(black_box(&values), &opts).expect("runs")))
    });
}

fn first_compile(c: &mut Criterion) {
    let n = 1000;
    let values = inputs(n);
    let opts = Options::default();
    let mut k = 0u64;
    // Ten operations; the constant changes so every iteration is a new
    // kernel (a cache miss).
    c.bench_function("first compile, 10-operation kernel", |b| {
        b.iter(|| {
            k += 1;
            let src = format!("sqrt(abs(a * {k}.5 + b)) * exp(-c) - b / (a + 2.0) + sin(c) * 3.0");
            let f = compile_expression(&src, &args(n)).expect("compiles");
            black_box(prepare(&f).run(&values, &opts).expect("runs"))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = cached_call, first_compile
}
criterion_main!(benches);
