//! Out-of-core execution: a program over arrays too large for memory runs
//! as a stream of row blocks.
//!
//! The **planner** takes a function whose streamed parameters have a
//! symbolic first dimension (the rows) and classifies every node:
//!
//! - *small* — does not depend on a streamed input (computed once, in full);
//! - *rows* — block-local: its rows depend only on the same rows of the
//!   streamed inputs (elementwise work, reductions over other axes,
//!   `X @ W` with a small `W`), so it can be computed block by block;
//! - *partial* — reduces over the rows: `sum prod min max any all mean`
//!   over axis 0 (or every axis) of a rows node, and `X.T @ Y` of rows
//!   nodes (the seed's `A.T @ A`). Each block gives a partial result; the
//!   partials are combined in block order (so a fixed block size gives the
//!   same bits at any thread count);
//! - *tail* — small work after the partials (`A.T @ A + 1`, `sum(x) / 2`).
//!
//! Anything else (a node that needs all rows at once, such as
//! `x - mean(x)` or a sort) is refused with the node named.
//!
//! The **executor** runs a *block function* (the frontier: partial nodes and
//! a rows result) over blocks whose size follows from the memory limit, with
//! a reader thread that reads the next block while the current one is
//! computed (at most three blocks of input in memory), combines partials,
//! writes a rows result block by block to a [`RowSink`](crate::io::RowSink)
//! (atomically: staged and renamed at the end) or collects it, and finally
//! runs the *tail*.
//! Blocks run one after another; inside a block the JIT's kernels use every
//! core and BLAS its own threads.

//!
//! Submodules: `classify` (the node classes), `run` (the executor), `text` (the task graph and the plan's
//! `Display`). Opening files and deciding what streams is the
//! [`Session`](crate::Session)'s; this module takes its inputs opened.

mod classify;
mod run;
mod text;

pub use run::StreamRun;

use crate::error::StreamError;
use crate::exec::{prepare, Prepared};
use crate::io::RowSource;
use blaze_datashape::{Datashape, Dim};
use blaze_interp::Value;
use blaze_ir::analysis::{extract, ParamSource};
use blaze_ir::{Function, NodeId, Op};
use classify::{classify, row_bytes, rows_axis, Class, Merge};

/// The symbol given to the first dimension of streamed inputs.
pub const ROWS: &str = "ROWS";

/// An input of a streamed run (few per run: the size of the variants does
/// not matter).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Input {
    /// An array in memory (used whole by every block).
    Memory(Value),
    /// Data read by blocks of rows (its type has the first dimension
    /// [`ROWS`]).
    Rows(Box<dyn RowSource>),
    /// Data read whole before the first block and used whole by every
    /// block (planned by its size, without reading it).
    Whole(Box<dyn RowSource>),
}

impl Input {
    fn streamed(&self) -> bool {
        matches!(self, Input::Rows(_))
    }

    fn row_bytes(&self) -> usize {
        match self {
            Input::Rows(s) => s.row_bytes(),
            Input::Memory(_) | Input::Whole(_) => 0,
        }
    }

    fn bytes(&self) -> u64 {
        match self {
            Input::Memory(Value::Array { data, .. }) => {
                (data.len() * data.scalar().size_bytes()) as u64
            }
            Input::Memory(_) => 0,
            Input::Rows(s) | Input::Whole(s) => s.bytes(),
        }
    }
}

/// A planned streamed run: the block function, how its partial results
/// combine, the tail, and the block size.
#[derive(Debug)]
pub struct StreamPlan {
    /// Total rows, when known before the run (not for a `var` CSV file).
    rows: Option<usize>,
    block: usize,
    /// Parameter names and whether each is streamed.
    params: Vec<(String, bool)>,
    block_fn: Prepared,
    /// Which parameters of `f` the block function takes, in order.
    block_params: Vec<usize>,
    /// The frontier: partial nodes with their combine, and a rows root
    /// (`None`), in the block function's result order.
    frontier: Vec<(NodeId, Option<Merge>)>,
    tail: Option<Tail>,
    /// The result's type.
    result: Datashape,
    /// Text of each frontier node, for the task graph.
    labels: Vec<String>,
    /// The memory limit the plan was made for (bytes).
    limit: u64,
    /// Inputs that are more than their path (the files of a glob), with
    /// what they are, for the task graph.
    described: Vec<(String, String)>,
    /// The files of a streamed input that blocks never span, with their
    /// rows (the block boundaries follow them).
    pieces: Option<Vec<(std::path::PathBuf, usize)>>,
    /// Whether a rows result written to a file is appended to it.
    append: bool,
}

#[derive(Debug)]
struct Tail {
    f: Prepared,
    /// Where each tail parameter comes from.
    sources: Vec<ParamSource>,
}

/// Plans a streamed run of `f` over `inputs` (one per parameter) within
/// `memory_limit` bytes. Streamed parameters must have the first dimension
/// [`ROWS`] in `f`'s types; `block_rows` overrides the block size.
pub fn plan(
    f: &Function,
    inputs: &[Input],
    memory_limit: u64,
    block_rows: Option<usize>,
) -> Result<StreamPlan, StreamError> {
    if inputs.len() != f.params.len() {
        return Err(StreamError::Program(format!(
            "`{}` takes {} inputs, {} given",
            f.name,
            f.params.len(),
            inputs.len()
        )));
    }
    let streamed: Vec<bool> = inputs.iter().map(Input::streamed).collect();
    let mut rows = None;
    for (input, (name, _)) in inputs.iter().zip(&f.params) {
        let r = match input {
            Input::Rows(source) => {
                if let Some(why) = source.cannot_stream() {
                    return Err(StreamError::Program(why));
                }
                source.rows()
            }
            Input::Memory(_) | Input::Whole(_) => None,
        };
        if let Some(r) = r {
            match rows {
                None => rows = Some(r),
                Some(x) if x != r => {
                    return Err(StreamError::Rows(format!(
                        "streamed inputs must have the same number of rows: `{name}` has {r}, another {x}"
                    )))
                }
                _ => {}
            }
        }
    }
    if !streamed.iter().any(|s| *s) {
        return Err(StreamError::Program("no input is streamed".into()));
    }
    let class = classify(f, &streamed)?;
    let root = f.root;
    let root_class = class[root.index()];
    let mut frontier: Vec<(NodeId, Option<Merge>)> = Vec::new();
    for (i, c) in class.iter().enumerate() {
        if let Class::Partial(comb) = c {
            frontier.push((NodeId(i as u32), Some(*comb)));
        }
    }
    match root_class {
        Class::Rows => frontier.push((root, None)),
        Class::RowsT => {
            return Err(StreamError::Program(
                "cannot stream a transposed result; write it untransposed".into(),
            ))
        }
        Class::Small => {
            return Err(StreamError::Program(
                "the result does not depend on the streamed inputs".into(),
            ))
        }
        _ => {}
    }
    let roots: Vec<NodeId> = frontier.iter().map(|(n, _)| *n).collect();
    // The block function computes the frontier from the inputs; the tail
    // computes the root from the combined partials (parameters `partial{k}`)
    // and the inputs used whole.
    let (bf, bsources) =
        extract(f, &roots, &[], &|_| true, "partial").map_err(StreamError::Program)?;
    let block_params: Vec<usize> = bsources
        .iter()
        .filter_map(|s| match s {
            ParamSource::Param(p) => Some(*p),
            ParamSource::Cut(_) => None,
        })
        .collect();
    let tail = match root_class {
        Class::Rows => None,
        _ => {
            let partials: Vec<NodeId> = roots.clone();
            let (tf, sources) = extract(f, &[root], &partials, &|p| !streamed[p], "partial")
                .map_err(StreamError::Program)?;
            Some(Tail {
                f: prepare(&tf),
                sources,
            })
        }
    };
    // Block size from the memory limit: three blocks of every streamed
    // input in flight (being read, queued, computed), two of a rows result,
    // one of every other materialized rows node; accumulators and
    // in-memory inputs come off the top.
    let mut per_row = 0usize;
    for input in inputs {
        per_row += 3 * input.row_bytes();
    }
    for (i, c) in class.iter().enumerate() {
        let n = &f.nodes[i];
        if *c == Class::Rows && !matches!(n.op, Op::Param(_)) {
            let fused = matches!(n.op, Op::Unary(_) | Op::Binary(_) | Op::Where | Op::Cast(_))
                && NodeId(i as u32) != root;
            if !fused {
                per_row += row_bytes(&n.ty) * if NodeId(i as u32) == root { 2 } else { 1 };
            }
        }
    }
    let mut fixed: u64 = inputs
        .iter()
        .filter(|i| !i.streamed())
        .map(Input::bytes)
        .sum();
    for (n, merge) in &frontier {
        let t = &f.node(*n).ty;
        if rows_axis(t).is_none() {
            // The running result, a block's partial, and their merge unless
            // it is done in place.
            let copies = match merge {
                Some(m) if run::in_place(*m, &t.measure) => 2,
                _ => 3,
            };
            let count: u64 = t
                .dims
                .iter()
                .map(|d| match d {
                    Dim::Fixed(n) => *n,
                    _ => 1,
                })
                .product();
            fixed += copies
                * count
                * row_bytes(&Datashape::new(vec![Dim::Fixed(1)], t.measure.clone())) as u64;
        }
    }
    let budget = (memory_limit as f64 * 0.8) as u64;
    if fixed >= budget {
        return Err(StreamError::TooLittleMemory {
            limit: memory_limit,
            fixed,
        });
    }
    // One row of every block must fit: a limit below it is an error, not
    // blocks of one row above the limit.
    if per_row as u64 > budget - fixed {
        return Err(StreamError::Program(format!(
            "one row takes {} in flight (three of each streamed input, the rows computed), \
             more than the {} the limit leaves after {} of in-memory inputs and partial results \
             (blaze keeps a fifth of the limit in reserve)",
            crate::error::human(per_row as u64),
            crate::error::human(budget - fixed),
            crate::error::human(fixed)
        )));
    }
    let by_memory = ((budget - fixed) / per_row.max(1) as u64).max(1) as usize;
    // Blocks of at most 256 MiB of input keep reading and computing
    // overlapped.
    let input_row: usize = inputs.iter().map(Input::row_bytes).sum();
    let by_pipeline = ((256usize << 20) / input_row.max(1)).max(1);
    let block = block_rows
        .unwrap_or_else(|| by_memory.min(by_pipeline))
        .clamp(1, rows.unwrap_or(usize::MAX).max(1));
    let labels = frontier.iter().map(|(n, _)| f.node_text(*n)).collect();
    Ok(StreamPlan {
        rows,
        block,
        params: f
            .params
            .iter()
            .zip(&streamed)
            .map(|((n, _), s)| (n.clone(), *s))
            .collect(),
        block_fn: prepare(&bf),
        block_params,
        frontier,
        tail,
        result: f.result_type().clone(),
        labels,
        limit: memory_limit,
        described: inputs
            .iter()
            .zip(&f.params)
            .filter_map(|(i, (n, _))| match i {
                Input::Rows(s) | Input::Whole(s) => s.describe().map(|d| (n.clone(), d)),
                Input::Memory(_) => None,
            })
            .collect(),
        pieces: inputs.iter().find_map(|i| match i {
            Input::Rows(s) => s.pieces(),
            Input::Memory(_) | Input::Whole(_) => None,
        }),
        append: false,
    })
}

impl StreamPlan {
    /// Makes a rows result written to a file add its rows to the `.npy`
    /// file or Zarr array there, block by block
    /// ([`io::append`](crate::io::append)), instead of replacing it.
    pub fn append_rows(&mut self, on: bool) {
        self.append = on;
    }

    /// Rows per block.
    pub fn block_rows(&self) -> usize {
        self.block
    }

    /// Number of blocks, when the row count is known before the run.
    pub fn blocks(&self) -> Option<usize> {
        if let Some(p) = &self.pieces {
            let n: usize = p.iter().map(|(_, r)| r.div_ceil(self.block)).sum();
            return Some(n.max(1));
        }
        self.rows.map(|r| r.div_ceil(self.block).max(1))
    }

    /// Total rows, when known before the run.
    pub fn rows(&self) -> Option<usize> {
        self.rows
    }

    /// Whether the result is written block by block (a rows result).
    pub fn streams_result(&self) -> bool {
        self.tail.is_none()
    }

    /// The function run on every block (as rewritten for BLAS/LAPACK).
    pub fn block_function(&self) -> &Function {
        self.block_fn.function()
    }

    /// The function run once on the combined partials, if any.
    pub fn tail_function(&self) -> Option<&Function> {
        self.tail.as_ref().map(|t| t.f.function())
    }

    /// The names of the streamed parameters.
    pub fn streamed_inputs(&self) -> impl Iterator<Item = &str> {
        self.params
            .iter()
            .filter(|(_, s)| *s)
            .map(|(n, _)| n.as_str())
    }
}
