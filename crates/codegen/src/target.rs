//! The host CPU: its name and features (set on every function and on the
//! target machine, or LLVM emits baseline SSE code), and the vector math
//! variants of glibc's libmvec that its ISA can call.

use inkwell::attributes::AttributeLoc;
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::targets::TargetMachine;
use inkwell::values::FunctionValue;

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
        let isa = if !vector_math || !crate::jit::libmvec_loaded() {
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
        let (letter, lanes) = match (self.isa, single) {
            (VectorIsa::None, _) => return None,
            (VectorIsa::Avx2, false) => ('d', 4),
            (VectorIsa::Avx2, true) => ('d', 8),
            (VectorIsa::Avx512, false) => ('e', 8),
            (VectorIsa::Avx512, true) => ('e', 16),
        };
        let params = "v".repeat(arity);
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
        Some(format!("_ZGV_LLVM_N{lanes}{params}_{sym}({vname})"))
    }
}
