//! OpenBLAS's thread count follows the engine's, so BLAS and the JIT's
//! rayon workers never ask for more cores than the run was given. (Its own
//! test binary: the count is process-wide.)

use blaze::runtime::linalg::blas;
use ndarray::Array2;

#[test]
fn openblas_threads_follow_the_engine() {
    let a = Array2::<f64>::from_shape_fn((64, 64), |(i, j)| (i * 64 + j) as f64);
    let k = blaze::compile_expr("A @ A + 1", &[("A", "N * N * float64")]).unwrap();
    for t in [1, 2, 1] {
        let k = k.clone().with_threads(t);
        let (_, report) = k.run_with_report(&[blaze::input(&a)]).unwrap();
        assert!(
            report.calls.iter().any(|c| c.contains("dgemm")),
            "{:?}",
            report.calls
        );
        assert_eq!(blas::threads(), t);
    }
}
