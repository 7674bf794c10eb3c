//! What a session returns: the result and the report of a run
//! ([`Outcome`], [`RunReport`]), or the plan of one ([`Explanation`]).

use super::Engine;
use blaze_codegen::Compiled;
use blaze_interp::Value;
use std::sync::Arc;

/// The result of a run and what it did.
#[derive(Debug)]
pub struct Outcome {
    /// The result, unless it was written to the output path.
    pub value: Option<Value>,
    /// What the run did.
    pub report: RunReport,
}

/// What a run did: timings in seconds, how it ran, what was compiled and
/// called.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The engine that ran it.
    pub engine: Engine,
    /// Whether it ran out of core, by blocks of rows.
    pub streamed: bool,
    /// The memory limit of a streamed run.
    pub memory_limit: Option<u64>,
    /// Blocks of a streamed run.
    pub blocks: Option<usize>,
    /// Rows per block of a streamed run.
    pub block_rows: Option<usize>,
    /// Seconds the kernels of a streamed run waited for the reader's next
    /// block, in its best run: how long reading, not computing, set the
    /// pace.
    pub read_wait_seconds: Option<f64>,
    /// Opening and reading inputs, parsing.
    pub parse_seconds: f64,
    /// Type checking.
    pub check_seconds: f64,
    /// Compiling kernels (0 when all were cached), over all runs.
    pub compile_seconds: f64,
    /// The best run.
    pub execute_seconds: f64,
    /// Everything.
    pub total_seconds: f64,
    /// Runs made.
    pub repeat: usize,
    /// The typed IR the engine ran (rewritten for BLAS/LAPACK on the JIT;
    /// for a streamed run, the block function and the tail).
    pub ir: String,
    /// The kernels of the first run, with the texts asked for.
    pub kernels: Vec<Arc<Compiled>>,
    /// BLAS/LAPACK routines called in the first run (`%2: dsyrk T`).
    pub calls: Vec<String>,
    /// Operations of the first run that ran on the reference kernels.
    pub fallbacks: Vec<String>,
}

impl RunReport {
    pub(super) fn new(engine: Engine, repeat: usize) -> RunReport {
        RunReport {
            engine,
            streamed: false,
            memory_limit: None,
            blocks: None,
            block_rows: None,
            read_wait_seconds: None,
            parse_seconds: 0.0,
            check_seconds: 0.0,
            compile_seconds: 0.0,
            execute_seconds: f64::INFINITY,
            total_seconds: 0.0,
            repeat,
            ir: String::new(),
            kernels: Vec::new(),
            calls: Vec::new(),
            fallbacks: Vec::new(),
        }
    }
}

/// What a run would do, found without reading data or compiling kernels.
#[derive(Clone, Debug)]
pub struct Explanation {
    /// Whether it would stream.
    pub streamed: bool,
    /// The memory limit of a streamed run.
    pub memory_limit: Option<u64>,
    /// The typed IR the engine would run (after the BLAS/LAPACK rewrites).
    pub ir: String,
    /// The plan: for a streamed run, the stream plan's text.
    pub plan: String,
}
