//! Missing values read and written as Arrow validity bitmaps: `x * 2 + 1`
//! and `sum(x * 2 + 1)` over 10⁷ `?float64` with about 10% nulls, given as
//! a view with a bitmap (at bit offset 3), through `Kernel::call` (a new
//! value) and `Kernel::call_into` (into values and a bitmap already
//! touched), beside the same expressions over plain `float64`. Prints the
//! median of 5 timed calls (after one warm-up) per case, in milliseconds.
//!
//! ```text
//! cargo test --release --bench bitmaps -- --ignored --nocapture
//! ```

use blaze::array::{ArrayMut, BooleanBuffer, Buffer, DenseArray, DenseViewMut, NullBuffer};
use blaze::datashape::Scalar;
use blaze::Arg;
use std::time::Instant;

const N: usize = 10_000_000;
const OFFSET: usize = 3;

/// The median of 5 timings of `f` in milliseconds, after a warm-up; `None`
/// when it fails.
fn median(mut f: impl FnMut() -> Result<(), String>) -> Result<f64, String> {
    f()?;
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let t0 = Instant::now();
            f().map(|()| t0.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<Result<_, _>>()?;
    t.sort_by(f64::total_cmp);
    Ok(t[2])
}

fn values() -> Vec<f64> {
    (0..N)
        .map(|i| ((i * 7919) % 1000) as f64 / 1000.0)
        .collect()
}

/// `values()` with every element whose index hashes below 10% missing, the
/// bitmap starting at bit [`OFFSET`].
fn nullable() -> DenseArray {
    let valid = |i: usize| (i.wrapping_mul(0x9e37_79b9) >> 7) % 10 != 0;
    let mut bytes = vec![0u8; (N + OFFSET).div_ceil(8)];
    for i in 0..N {
        if valid(i) {
            bytes[(i + OFFSET) / 8] |= 1 << ((i + OFFSET) % 8);
        }
    }
    let bits = NullBuffer::new(BooleanBuffer::new(Buffer::from_vec(bytes), OFFSET, N));
    DenseArray::from_vec(values(), &[N])
        .and_then(|a| a.with_validity(Some(bits)))
        .expect("an array with a bitmap")
}

fn report(name: &str, r: Result<f64, String>) {
    match r {
        Ok(ms) => println!("{name:<44} {ms:>9.2} ms"),
        Err(e) => println!("{name:<44} n/a ({e})"),
    }
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture in release"]
fn bitmaps() {
    let option = nullable();
    let dense = DenseArray::from_vec(values(), &[N]).expect("an array");
    let err = |e: blaze::Error| e.to_string();
    for (ty, x) in [("?float64", &option), ("float64", &dense)] {
        let params = [("x", format!("N * {ty}"))];
        let params: Vec<(&str, &str)> = params.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let sum = blaze::compile_expr("sum(x * 2.0 + 1.0)", &params).expect("compiles");
        let map = blaze::compile_expr("x * 2.0 + 1.0", &params).expect("compiles");
        let args = [Arg::View(x.view())];
        report(
            &format!("sum(x * 2 + 1), {ty}, call"),
            median(|| sum.call(&args).map(|_| ()).map_err(err)),
        );
        report(
            &format!("x * 2 + 1, {ty}, call"),
            median(|| map.call(&args).map(|_| ()).map_err(err)),
        );
        let mut out = ArrayMut::allocate(Scalar::Float64, &[N]).expect("an output");
        if ty.starts_with('?') {
            out = out.with_validity();
        }
        report(
            &format!("x * 2 + 1, {ty}, call_into"),
            median(|| {
                let view: DenseViewMut<'_> = out.view_mut();
                map.call_into(&args, view).map_err(err)
            }),
        );
    }
}
