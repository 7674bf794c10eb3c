//! OpenBLAS runs kernels made for this CPU: a CPU with AVX2 and FMA (or
//! AVX-512) never keeps the Prescott fallback once the kernels are
//! selected, and products computed afterwards are right.

use blaze_runtime::linalg::{blas, cores};
use ndarray::Array2;

#[test]
fn kernels_fit_the_cpu_and_compute_right() {
    // SAFETY: the only test of this binary: no other thread uses the
    // environment or BLAS meanwhile.
    let core = unsafe { cores::select_kernels() };
    assert!(!core.is_empty());
    let modern =
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma");
    if modern && std::env::var_os("OPENBLAS_CORETYPE").is_none() {
        assert!(!core.eq_ignore_ascii_case("prescott"), "{core}");
    }
    // Selecting again changes nothing.
    // SAFETY: as above.
    assert_eq!(unsafe { cores::select_kernels() }, core);
    let a = Array2::from_shape_fn((300, 40), |(i, j)| ((i * 7 + j * 3) % 11) as f64 - 5.0);
    let g = blas::syrk_t(a.view(), true, 1.0).unwrap();
    let want = a.t().dot(&a);
    for i in 0..40 {
        for j in i..40 {
            assert_eq!(g[[i, j]], want[[i, j]], "({i}, {j}) with {core}");
        }
    }
}
