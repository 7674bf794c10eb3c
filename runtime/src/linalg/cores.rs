//! Which of OpenBLAS's kernels run on this CPU.
//!
//! OpenBLAS as distributions build it (`DYNAMIC_ARCH`) carries kernels for
//! many CPUs and picks one when it loads, by the CPU's model number. A CPU
//! newer than the OpenBLAS release is not in its tables, and it falls back
//! to its oldest x86-64 kernels, "Prescott" (SSE3): Debian 12's OpenBLAS
//! 0.3.21 does that on Intel's Emerald Rapids Xeons, where its `dsyrk` then
//! runs four times slower than with its SkylakeX (AVX-512) kernels.
//! [`select_kernels`] corrects that from the CPU's features, the way a user
//! would by setting `OPENBLAS_CORETYPE`.

use std::ffi::{c_char, CStr};

extern "C" {
    fn openblas_get_corename() -> *mut c_char;
}

/// The name of the OpenBLAS kernels in use (`SkylakeX`, `Haswell`,
/// `Prescott`, …).
pub fn blas_core() -> String {
    // SAFETY: OpenBLAS returns a pointer to a static NUL-terminated name.
    unsafe {
        let p = openblas_get_corename();
        if p.is_null() {
            return String::new();
        }
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// The best OpenBLAS kernels this CPU's features allow, among those every
/// `DYNAMIC_ARCH` build has.
fn by_features() -> Option<&'static str> {
    #[cfg(target_arch = "x86_64")]
    {
        let avx512 = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512cd")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl");
        if avx512 {
            return Some("SkylakeX");
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Some("Haswell");
        }
    }
    None
}

/// Makes OpenBLAS use kernels for this CPU when it did not recognise it
/// (it chose its Prescott fallback on a CPU with AVX2 or AVX-512), and
/// returns the name of the kernels in use afterwards.
///
/// It does nothing when `OPENBLAS_CORETYPE` is set (the user's choice),
/// when OpenBLAS recognised the CPU, or when OpenBLAS chooses no kernels
/// at run time (built for one CPU). Otherwise it sets `OPENBLAS_CORETYPE`
/// in this process's environment and runs OpenBLAS's kernel selection
/// again.
///
/// # Safety
///
/// Call it before any BLAS or LAPACK call and while no other thread reads
/// or writes the environment (at the start of `main`): it writes the
/// environment and swaps OpenBLAS's kernel table.
pub unsafe fn select_kernels() -> String {
    let now = blas_core();
    if std::env::var_os("OPENBLAS_CORETYPE").is_some() || !now.eq_ignore_ascii_case("prescott") {
        return now;
    }
    let Some(core) = by_features() else {
        return now;
    };
    // SAFETY: looking up two functions by name in the loaded libraries;
    // null when this OpenBLAS has no run-time selection.
    let (init, quit) = unsafe {
        (
            libc::dlsym(libc::RTLD_DEFAULT, c"gotoblas_dynamic_init".as_ptr()),
            libc::dlsym(libc::RTLD_DEFAULT, c"gotoblas_dynamic_quit".as_ptr()),
        )
    };
    if init.is_null() || quit.is_null() {
        return now;
    }
    // SAFETY: both are OpenBLAS's `void f(void)` functions (found above);
    // `quit` forgets the chosen table and `init` chooses again, reading
    // `OPENBLAS_CORETYPE`; the caller guarantees no BLAS call and no other
    // use of the environment meanwhile.
    unsafe {
        let init: unsafe extern "C" fn() = std::mem::transmute(init);
        let quit: unsafe extern "C" fn() = std::mem::transmute(quit);
        std::env::set_var("OPENBLAS_CORETYPE", core);
        quit();
        init();
    }
    blas_core()
}
