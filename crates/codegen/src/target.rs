//! The host CPU: its name and features (set on every function and on the
//! target machine, or LLVM emits baseline SSE code), whether glibc's
//! libmvec is loaded and which of its vector math variants the ISA can
//! call, and libm's functions under blaze's names. It depends on no other
//! module of the crate.

use inkwell::attributes::AttributeLoc;
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::targets::TargetMachine;
use inkwell::values::FunctionValue;
use std::sync::OnceLock;

/// The vector ISA libmvec offers for this host (glibc's names: `d` is
/// AVX2, `e` is AVX-512).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VectorIsa {
    /// No vector math: scalar libm calls.
    None,
    /// AVX2: 4 doubles / 8 floats.
    Avx2,
    /// AVX-512: 8 doubles / 16 floats.
    Avx512,
}

/// Facts about the machine the kernels run on.
#[derive(Clone, Debug)]
pub struct Host {
    /// `target-cpu`, e.g. `znver4`.
    pub cpu: String,
    /// `target-features`, e.g. `+avx2,+fma,…`.
    pub features: String,
    /// The vector math ISA in use.
    pub isa: VectorIsa,
}

static LIBMVEC: OnceLock<bool> = OnceLock::new();

/// Whether glibc's vector math library could be loaded into the process
/// (where the JIT resolves symbols).
fn libmvec_loaded() -> bool {
    *LIBMVEC.get_or_init(|| {
        let name = c"libmvec.so.1";
        // SAFETY: a NUL-terminated string; LLVM dlopens the library.
        unsafe { inkwell::llvm_sys::support::LLVMLoadLibraryPermanently(name.as_ptr()) == 0 }
    })
}

/// Kernels call libm's functions as `blaze_sin`, `blaze_sinf`, … — names LLVM does not
/// know — defined in the JIT as the addresses of libm's functions. Under
/// libm's own names the optimizer would turn `call @sin` into `llvm.sin`,
/// dropping the call's vector variants and vectorizing it as one scalar call
/// per lane.
pub(crate) fn scalar_symbol(f: &str) -> String {
    format!("blaze_{f}")
}

mod libm {
    extern "C" {
        pub fn sin(x: f64) -> f64;
        pub fn cos(x: f64) -> f64;
        pub fn tan(x: f64) -> f64;
        pub fn asin(x: f64) -> f64;
        pub fn acos(x: f64) -> f64;
        pub fn atan(x: f64) -> f64;
        pub fn sinh(x: f64) -> f64;
        pub fn cosh(x: f64) -> f64;
        pub fn tanh(x: f64) -> f64;
        pub fn exp(x: f64) -> f64;
        pub fn log(x: f64) -> f64;
        pub fn log2(x: f64) -> f64;
        pub fn log10(x: f64) -> f64;
        pub fn pow(x: f64, y: f64) -> f64;
        pub fn atan2(y: f64, x: f64) -> f64;
        pub fn sinf(x: f32) -> f32;
        pub fn cosf(x: f32) -> f32;
        pub fn tanf(x: f32) -> f32;
        pub fn asinf(x: f32) -> f32;
        pub fn acosf(x: f32) -> f32;
        pub fn atanf(x: f32) -> f32;
        pub fn sinhf(x: f32) -> f32;
        pub fn coshf(x: f32) -> f32;
        pub fn tanhf(x: f32) -> f32;
        pub fn expf(x: f32) -> f32;
        pub fn logf(x: f32) -> f32;
        pub fn log2f(x: f32) -> f32;
        pub fn log10f(x: f32) -> f32;
        pub fn powf(x: f32, y: f32) -> f32;
        pub fn atan2f(y: f32, x: f32) -> f32;
    }
}

/// `(blaze name, address)` of every math function kernels call.
pub(crate) fn math_symbols() -> Vec<(String, usize)> {
    let d1 = |f: unsafe extern "C" fn(f64) -> f64| f as usize;
    let d2 = |f: unsafe extern "C" fn(f64, f64) -> f64| f as usize;
    let s1 = |f: unsafe extern "C" fn(f32) -> f32| f as usize;
    let s2 = |f: unsafe extern "C" fn(f32, f32) -> f32| f as usize;
    let table: [(&str, usize, usize); 15] = [
        ("sin", d1(libm::sin), s1(libm::sinf)),
        ("cos", d1(libm::cos), s1(libm::cosf)),
        ("tan", d1(libm::tan), s1(libm::tanf)),
        ("asin", d1(libm::asin), s1(libm::asinf)),
        ("acos", d1(libm::acos), s1(libm::acosf)),
        ("atan", d1(libm::atan), s1(libm::atanf)),
        ("sinh", d1(libm::sinh), s1(libm::sinhf)),
        ("cosh", d1(libm::cosh), s1(libm::coshf)),
        ("tanh", d1(libm::tanh), s1(libm::tanhf)),
        ("exp", d1(libm::exp), s1(libm::expf)),
        ("log", d1(libm::log), s1(libm::logf)),
        ("log2", d1(libm::log2), s1(libm::log2f)),
        ("log10", d1(libm::log10), s1(libm::log10f)),
        ("pow", d2(libm::pow), s2(libm::powf)),
        ("atan2", d2(libm::atan2), s2(libm::atan2f)),
    ];
    let mut out = Vec::new();
    for (name, double, single) in table {
        out.push((scalar_symbol(name), double));
        out.push((scalar_symbol(&format!("{name}f")), single));
    }
    out
}

/// libmvec's functions of one argument (double; `f` suffix for float).
const MVEC_UNARY: &[&str] = &[
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "log", "log2",
    "log10",
];

impl Host {
    /// Reads the host CPU from LLVM. `vector_math: false` keeps scalar libm
    /// calls (for measuring what the vector variants bring).
    pub fn detect(vector_math: bool) -> Host {
        let cpu = TargetMachine::get_host_cpu_name().to_string();
        let features = TargetMachine::get_host_cpu_features().to_string();
        let has = |f: &str| features.split(',').any(|x| x == f);
        let isa = if !vector_math || !libmvec_loaded() {
            VectorIsa::None
        } else if has("+avx512f") {
            VectorIsa::Avx512
        } else if has("+avx2") {
            VectorIsa::Avx2
        } else {
            VectorIsa::None
        };
        Host { cpu, features, isa }
    }

    /// Sets `target-cpu` and `target-features` on a function.
    pub(crate) fn set_attributes(&self, ctx: &Context, f: FunctionValue<'_>) {
        f.add_attribute(
            AttributeLoc::Function,
            ctx.create_string_attribute("target-cpu", &self.cpu),
        );
        f.add_attribute(
            AttributeLoc::Function,
            ctx.create_string_attribute("target-features", &self.features),
        );
    }

    /// The `vector-function-abi-variant` attribute value for a call of the
    /// scalar function `sym` with `arity` arguments, declaring the vector
    /// functions in `module`; `None` when libmvec has no variant.
    pub(crate) fn vector_variants<'ctx>(
        &self,
        sym: &str,
        scalar: &str,
        arity: usize,
        ctx: &'ctx Context,
        module: &Module<'ctx>,
    ) -> Option<String> {
        let binary = |b: &str| b == "pow" || b == "atan2";
        let (base, single) = match sym.strip_suffix('f') {
            Some(b) if MVEC_UNARY.contains(&b) || binary(b) => (b, true),
            _ => (sym, false),
        };
        let known = (arity == 1 && MVEC_UNARY.contains(&base)) || (arity == 2 && binary(base));
        if !known {
            return None;
        }
        // 256-bit variants on AVX2; on AVX-512 also the 512-bit ones. LLVM
        // prefers 256-bit vectors on most AVX-512 CPUs (Intel's server
        // parts), and vectorizes a call only at a width it has a variant
        // for.
        let ymm = if single { 8 } else { 4 };
        let widths: &[(char, u32)] = match self.isa {
            VectorIsa::None => return None,
            VectorIsa::Avx2 => &[('d', ymm)],
            VectorIsa::Avx512 => &[('d', ymm), ('e', ymm * 2)],
        };
        let params = "v".repeat(arity);
        let mut variants = Vec::with_capacity(widths.len());
        for &(letter, lanes) in widths {
            let vname = format!("_ZGV{letter}N{lanes}{params}_{sym}");
            if module.get_function(&vname).is_none() {
                let elem = if single {
                    ctx.f32_type()
                } else {
                    ctx.f64_type()
                };
                let vt = elem.vec_type(lanes);
                let args: Vec<_> = (0..arity).map(|_| vt.into()).collect();
                module.add_function(&vname, vt.fn_type(&args, false), Some(Linkage::External));
            }
            variants.push(format!("_ZGV_LLVM_N{lanes}{params}_{scalar}({vname})"));
        }
        Some(variants.join(","))
    }
}
