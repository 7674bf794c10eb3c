//! The JIT engine: a typed function is split into fused groups — trees of
//! elementwise operations, each ending in a store or a reduction — that run
//! as compiled kernels over chunks on rayon; index-notation loops whose body
//! is arithmetic over indexed arrays run as one kernel over their index
//! space; the other operations (matrix products, linear algebra, indexing,
//! reshaping, records, …) run on the reference kernels, and a function with
//! a loop of another shape runs on the interpreter as a whole.
//!
//! ```text
//! Function ──plan (once)──► [Group | Fallback] in node order
//!                              │
//!            inputs ──run──► per group: shapes → layouts → KernelKey → jit() cache
//!                              └─► chunks on rayon: kernel(ptrs, strides, shape, begin, end)
//! ```
//!
//! Determinism: a map's result does not depend on chunking. A reduction
//! over all axes combines one partial result per fixed-size chunk, in chunk
//! order (so a fixed `chunk` gives the same bits at any thread count); a
//! reduction that keeps an axis splits the work along a kept axis, so every
//! output element is accumulated by one kernel call in one order.

mod column_plan;
pub mod columns;
mod columns_decimal;
mod columns_select;
mod explain;
mod group;
mod index;
mod into;
mod launch;
mod missing;
mod native;
mod plan;
mod reduce;
mod run;
mod spare;

use blaze_codegen::{Compiled, Dumps};
use blaze_interp::Value;
use blaze_ir::Function;
use std::sync::Arc;

pub use plan::prepare;
pub use spare::Spare;

/// An input of a run: a value, or a view of the caller's memory that
/// kernels read in place (no copy).
#[derive(Clone, Debug)]
pub enum Arg<'a> {
    /// An interpreter value.
    Value(&'a Value),
    /// A dense array of the caller's memory (any strides, any offset); a
    /// validity bitmap for an option parameter.
    View(blaze_array::DenseView<'a>),
}

/// The most worker threads a run may ask for: more is an error, not tens
/// of thousands of threads.
pub const MAX_THREADS: usize = 1024;

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Worker threads (`None`: rayon's default, one per core; at most
    /// [`MAX_THREADS`]).
    pub threads: Option<usize>,
    /// Texts of the compiled kernels to keep (IR, optimized IR, assembly).
    pub dumps: Dumps,
    /// Elements per chunk of a full reduction; the result of a float
    /// reduction depends on it (reassociation), not on the thread count.
    pub chunk: usize,
    /// Print the typed IR and the requested kernel texts on stderr at every
    /// run (the default when `BLAZE_DUMP` is set: `ir` is the typed IR,
    /// `llvm-ir`, `opt-ir` and `asm` the kernels').
    pub print_dumps: bool,
}

fn env_dump(item: &str) -> bool {
    std::env::var("BLAZE_DUMP").is_ok_and(|v| v.split(',').any(|x| x.trim() == item))
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: None,
            dumps: Dumps::from_env(),
            chunk: 1 << 16,
            print_dumps: std::env::var("BLAZE_DUMP").is_ok_and(|v| !v.trim().is_empty()),
        }
    }
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Seconds spent compiling kernels (0 when all were cached).
    pub compile_seconds: f64,
    /// The kernels run, in order.
    pub kernels: Vec<Arc<Compiled>>,
    /// Operations that ran on the reference kernels.
    pub fallbacks: Vec<String>,
    /// BLAS/LAPACK routines called, as `%node: routine` (e.g. `%3: dsyrk`).
    pub calls: Vec<String>,
}

/// Which fused group a node belongs to, or how it runs.
/// A function with its execution plan, ready to run many times.
#[derive(Clone, Debug)]
pub struct Prepared {
    f: Function,
    steps: Vec<plan::Step>,
    /// A loop of a shape not compiled: the interpreter runs the function.
    interpret: bool,
}

impl Prepared {
    /// The function, as rewritten for BLAS/LAPACK.
    pub fn function(&self) -> &Function {
        &self.f
    }

    /// Whether a step runs on BLAS/LAPACK: the work is then bound by
    /// the processor rather than by reading (a streamed run reads its cold
    /// blocks with `O_DIRECT`, which spares the processor the page
    /// cache's work).
    pub fn calls_blas(&self) -> bool {
        self.steps.iter().any(|s| matches!(s, plan::Step::Native))
    }
}

#[cfg(test)]
mod tests;
