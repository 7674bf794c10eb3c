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
//! computed (at most three blocks of input in memory; four in a pass whose
//! blocks run two at a time), combines partials,
//! writes a rows result block by block to a [`RowSink`](crate::io::RowSink)
//! (atomically: staged and renamed at the end) or collects it, and finally
//! runs the *tail*.
//! Blocks run one after another, and inside a block the JIT's kernels use
//! every core and BLAS its own threads; except in a pass of partials that
//! calls BLAS, whose blocks run two at a time on half the threads each
//! (BLAS routines use one core each better than two cores together), their
//! partials still combined in block order.

//!
//! Submodules: `classify` (the node classes), `run` (the executor), `tasks`
//! (the plan as separate tasks for another scheduler), `text` (the task graph and the plan's
//! `Display`). Opening files and deciding what streams is the
//! [`Session`](crate::Session)'s; this module takes its inputs opened.

mod classify;
mod combine;
mod lower;
mod run;
mod slice;
mod tasks;
mod text;

pub use run::StreamRun;
pub use tasks::{Known, Partial, TaskInput, TaskPlan};

use crate::error::StreamError;
use crate::exec::{prepare, Prepared};
use crate::io::RowSource;
use blaze_datashape::{Datashape, Dim};
use blaze_interp::Value;
use blaze_ir::analysis::{extract, ParamSource};
use blaze_ir::{Function, NodeId, Op};
use classify::{classify, row_bytes, Class, Merge};

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

/// A planned streamed run: its passes over the rows (each a block
/// function and how its partial results combine), the small work between
/// them, the tail, and the block size.
#[derive(Debug)]
pub struct StreamPlan {
    /// Total rows, when known before the run (not for a `var` CSV file).
    rows: Option<usize>,
    block: usize,
    /// Parameter names and whether each is streamed.
    params: Vec<(String, bool)>,
    /// The passes over the rows, in order (one for most programs).
    passes: Vec<Pass>,
    tail: Option<Tail>,
    /// The result's type.
    result: Datashape,
    /// The memory limit the plan was made for (bytes).
    limit: u64,
    /// Inputs that are more than their path (the files of a glob), with
    /// what they are, for the task graph.
    described: Vec<(String, String)>,
    /// The files of a streamed input that blocks never span, with their
    /// rows (the block boundaries follow them).
    pieces: Option<Vec<(std::path::PathBuf, usize)>>,
    /// The rows the streamed inputs are read through (a row slice).
    slice: Option<slice::ReadSlice>,
    /// Whether a rows result written to a file is appended to it.
    append: bool,
}

/// Where a parameter of a pass's function comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    /// Parameter `i` of the planned function (a block of a streamed input,
    /// or an input used whole).
    Param(usize),
    /// The value of a node computed by an earlier pass (a combined partial
    /// or small work on partials).
    Node(NodeId),
}

/// One pass over the rows.
#[derive(Debug)]
struct Pass {
    block_fn: Prepared,
    sources: Vec<Source>,
    /// The frontier: partial nodes with their combine, and a rows root
    /// (`None`, last pass only), in the block function's result order.
    frontier: Vec<(NodeId, Option<Merge>)>,
    /// Text of each frontier node, for the task graph.
    labels: Vec<String>,
    /// Small work on earlier partials that this pass takes, run once
    /// before it.
    before: Option<Tail>,
    /// Whether its blocks run on two threads, each on half the threads: a
    /// pass of partials on BLAS, whose routines use two cores less well
    /// than two blocks one core each.
    parallel: bool,
}

#[derive(Debug)]
struct Tail {
    f: Prepared,
    sources: Vec<Source>,
    /// The nodes it computes, in its result order.
    roots: Vec<NodeId>,
    /// Their text, for the task graph.
    labels: Vec<String>,
}

/// The nodes `root` needs.
fn needed(f: &Function) -> Vec<bool> {
    let mut need = vec![false; f.nodes.len()];
    need[f.root.index()] = true;
    for i in (0..f.nodes.len()).rev() {
        if need[i] {
            for a in &f.nodes[i].args {
                need[a.index()] = true;
            }
        }
    }
    need
}

/// `extract` with its parameter sources in terms of the planned function.
fn extract_from(
    f: &Function,
    roots: &[NodeId],
    cut: &[NodeId],
    keep: &dyn Fn(usize) -> bool,
) -> Result<(Function, Vec<Source>), StreamError> {
    let (g, sources) = extract(f, roots, cut, keep, "partial").map_err(StreamError::Program)?;
    let sources = sources
        .into_iter()
        .map(|s| match s {
            ParamSource::Param(p) => Source::Param(p),
            ParamSource::Cut(k) => Source::Node(cut[k]),
        })
        .collect();
    Ok((g, sources))
}

/// Bytes of a value of type `t` held in memory (a symbolic dimension
/// counts 1).
fn held_bytes(t: &Datashape) -> u64 {
    let count: u64 = t
        .dims
        .iter()
        .map(|d| match d {
            Dim::Fixed(n) => *n,
            _ => 1,
        })
        .fold(1, u64::saturating_mul);
    count.saturating_mul(row_bytes(&Datashape::new(vec![Dim::Fixed(1)], t.measure.clone())) as u64)
}

/// Plans a streamed run of `f` over `inputs` (one per parameter) within
/// `memory_limit` bytes. Streamed parameters must have the first dimension
/// [`ROWS`] in `f`'s types; `block_rows` overrides the block size.
///
/// A program that uses the rows after a reduction over them is split into
/// passes, each streaming the inputs again; an input read once (standard
/// input, a named pipe) with such a program is refused here, before
/// anything is read.
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
    let lowered = lower::lower(f, &streamed)?;
    let f = &lowered.f;
    let (slice, rows) = match lowered.slice {
        Some(s) => {
            let r = slice::ReadSlice::new(s, rows)?;
            let rows = rows.and(r.rows());
            (Some(r), rows)
        }
        None => (None, rows),
    };
    let (mut class, level) = classify(f, &streamed)?;
    let need = needed(f);
    let root = f.root;
    let root_class = class[root.index()];
    match root_class {
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
    // Each `argmax`/`argmin` combines with its companion's values.
    for &(arg, values) in &lowered.companions {
        if let (Class::Partial(Merge::Arg { max, stride, .. }), true) =
            (class[arg.index()], need[arg.index()])
        {
            class[arg.index()] = Class::Partial(Merge::Arg {
                max,
                values: values.index(),
                stride,
            });
        }
    }
    let is_needed = |i: usize| {
        need[i]
            || lowered
                .companions
                .iter()
                .any(|(a, c)| c.index() == i && need[a.index()])
    };
    let count = level[root.index()].max(1);
    let done = |i: usize| matches!(class[i], Class::Partial(_) | Class::Tail);
    let mut passes = Vec::new();
    let mut fixed: u64 = inputs
        .iter()
        .filter(|i| !i.streamed())
        .map(Input::bytes)
        .sum();
    for p in 1..=count {
        let mut frontier: Vec<(NodeId, Option<Merge>)> = Vec::new();
        for (i, c) in class.iter().enumerate() {
            if let (Class::Partial(m), true) = (c, level[i] == p && is_needed(i)) {
                frontier.push((NodeId(i as u32), Some(*m)));
            }
        }
        // The companion of an `argmax`, and the mean of a centred
        // product, are named by their place in the frontier.
        let ids: Vec<NodeId> = frontier.iter().map(|(n, _)| *n).collect();
        for (n, m) in frontier.iter_mut() {
            if let Some(Merge::Arg { values: at, .. } | Merge::Centred { mean: at }) = m {
                *at = ids.iter().position(|x| x.index() == *at).ok_or_else(|| {
                    StreamError::Program(format!("%{} has no companion in its pass", n.0))
                })?;
            }
        }
        if p == count && root_class == Class::Rows {
            frontier.push((root, None));
        }
        for (n, m) in &frontier {
            if let Some(m) = m {
                // The running result, a block's partial, and their merge
                // unless it is done in place.
                let t = &f.node(*n).ty;
                let copies = if combine::in_place(*m, &t.measure) {
                    2
                } else {
                    3
                };
                fixed += copies * held_bytes(t);
            }
        }
        let roots: Vec<NodeId> = frontier.iter().map(|(n, _)| *n).collect();
        let cuts: Vec<NodeId> = (0..f.nodes.len())
            .filter(|&i| done(i) && level[i] < p && is_needed(i))
            .map(|i| NodeId(i as u32))
            .collect();
        let (bf, sources) = extract_from(f, &roots, &cuts, &|_| true)?;
        // Small work on partials that this pass takes is done once, before.
        let tails: Vec<NodeId> = sources
            .iter()
            .filter_map(|s| match s {
                Source::Node(n) if class[n.index()] == Class::Tail => Some(*n),
                _ => None,
            })
            .collect();
        let before = if tails.is_empty() {
            None
        } else {
            for n in &tails {
                fixed += held_bytes(&f.node(*n).ty);
            }
            Some(tail_of(f, &tails, &class, &level, p, &streamed)?)
        };
        let block_fn = prepare(&bf);
        let parallel = block_fn.calls_blas() && frontier.iter().all(|(_, m)| m.is_some());
        if parallel {
            // Blocks run on two threads: up to three blocks' partials wait
            // for their turn to merge, two more than one at a time.
            for (n, _) in &frontier {
                fixed += 2 * held_bytes(&f.node(*n).ty);
            }
        }
        passes.push(Pass {
            labels: frontier.iter().map(|(n, _)| f.node_text(*n)).collect(),
            block_fn,
            sources,
            frontier,
            before,
            parallel,
        });
    }
    if count > 1 {
        for (input, (name, _)) in inputs.iter().zip(&f.params) {
            if let Input::Rows(s) = input {
                if s.is_stream() {
                    return Err(StreamError::Program(format!(
                        "`{name}` is {}, read once, and the program needs {count} passes over its rows \
                         (it uses them after a reduction over them); save it to a file first",
                        stream_name(s.path())
                    )));
                }
            }
        }
    }
    let tail = match root_class {
        Class::Rows => None,
        _ => Some(tail_of(f, &[root], &class, &level, count + 1, &streamed)?),
    };
    // Block size from the memory limit: three blocks of every streamed
    // input in flight (being read, queued, computed; four when a pass
    // computes two at a time), two of a rows result, one of every other
    // materialized rows node (two when blocks run two at a time);
    // accumulators, partials kept for later passes and in-memory inputs
    // come off the top.
    let computing = if passes.iter().any(|p| p.parallel) {
        2
    } else {
        1
    };
    let mut per_row = 0usize;
    for input in inputs {
        per_row += (2 + computing) * input.row_bytes();
    }
    // Elementwise work folds into the kernel of its consumer when that is
    // elementwise work or a reduction; under a product or a transpose it is
    // a block of its own.
    let mut folds = vec![true; f.nodes.len()];
    for n in &f.nodes {
        let kernel = matches!(
            n.op,
            Op::Unary(_) | Op::Binary(_) | Op::Where | Op::Cast(_) | Op::Reduce { .. }
        );
        for a in &n.args {
            folds[a.index()] &= kernel;
        }
    }
    for (i, c) in class.iter().enumerate() {
        let n = &f.nodes[i];
        if *c == Class::Rows && !matches!(n.op, Op::Param(_)) && need[i] {
            let fused = matches!(n.op, Op::Unary(_) | Op::Binary(_) | Op::Where | Op::Cast(_))
                && folds[i]
                && NodeId(i as u32) != root;
            if !fused {
                per_row += row_bytes(&n.ty)
                    * if NodeId(i as u32) == root {
                        2
                    } else {
                        computing
                    };
            }
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
            "one row takes {} in flight ({} of each streamed input, the rows computed), \
             more than the {} the limit leaves after {} of in-memory inputs and partial results \
             (blaze keeps a fifth of the limit in reserve)",
            crate::error::human(per_row as u64),
            if computing == 2 { "four" } else { "three" },
            crate::error::human(budget - fixed),
            crate::error::human(fixed)
        )));
    }
    let by_memory = ((budget - fixed) / per_row.max(1) as u64).max(1) as usize;
    // Blocks of at most 256 MiB of input keep reading and computing
    // overlapped.
    let input_row: usize = inputs.iter().map(Input::row_bytes).sum();
    let by_pipeline = ((256usize << 20) / input_row.max(1)).max(1);
    let mut block = block_rows
        .unwrap_or_else(|| by_memory.min(by_pipeline))
        .clamp(1, rows.unwrap_or(usize::MAX).max(1));
    // Blocks that run two at a time come in an even number of about equal
    // size: an odd last block would run alone, on half the cores.
    if let (None, Some(rows), true) = (block_rows, rows, computing == 2) {
        let count = rows.div_ceil(block);
        if count % 2 == 1 && count > 1 {
            block = rows.div_ceil(count + 1);
        }
    }
    Ok(StreamPlan {
        rows,
        block,
        params: f
            .params
            .iter()
            .zip(&streamed)
            .map(|((n, _), s)| (n.clone(), *s))
            .collect(),
        passes,
        tail,
        result: f.result_type().clone(),
        limit: memory_limit,
        described: inputs
            .iter()
            .zip(&f.params)
            .filter_map(|(i, (n, _))| match i {
                Input::Rows(s) | Input::Whole(s) => s.describe().map(|d| (n.clone(), d)),
                Input::Memory(_) => None,
            })
            .collect(),
        pieces: if slice.is_some() {
            None
        } else {
            inputs.iter().find_map(|i| match i {
                Input::Rows(s) => s.pieces(),
                Input::Memory(_) | Input::Whole(_) => None,
            })
        },
        slice,
        append: false,
    })
}

/// What a stream is called in messages.
fn stream_name(path: &std::path::Path) -> String {
    if path.as_os_str() == "-" || path.as_os_str() == "<stdin>" {
        "standard input".into()
    } else {
        format!("the stream `{}`", path.display())
    }
}

/// The small work computing `roots` (tail nodes, or the result) from the
/// partials of the passes before `pass` and the inputs used whole.
fn tail_of(
    f: &Function,
    roots: &[NodeId],
    class: &[Class],
    level: &[u32],
    pass: u32,
    streamed: &[bool],
) -> Result<Tail, StreamError> {
    let partials: Vec<NodeId> = (0..f.nodes.len())
        .filter(|&i| matches!(class[i], Class::Partial(_)) && level[i] < pass)
        .map(|i| NodeId(i as u32))
        .collect();
    let (tf, sources) = extract_from(f, roots, &partials, &|p| !streamed[p])?;
    Ok(Tail {
        f: prepare(&tf),
        sources,
        roots: roots.to_vec(),
        labels: roots.iter().map(|n| f.node_text(*n)).collect(),
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
        if let Some(s) = &self.slice {
            return s.span().map(|r| r.div_ceil(s.chunk(self.block)).max(1));
        }
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

    /// Passes over the rows: 1, or more for a program that uses the rows
    /// after a reduction over them (each pass streams the inputs again).
    pub fn passes(&self) -> usize {
        self.passes.len()
    }

    /// The function run on every block of pass `pass` (0-based; as
    /// rewritten for BLAS/LAPACK), `None` past the last pass.
    pub fn pass_function(&self, pass: usize) -> Option<&Function> {
        self.passes.get(pass).map(|p| p.block_fn.function())
    }

    /// The function run on every block of the last pass (as rewritten for
    /// BLAS/LAPACK).
    pub fn block_function(&self) -> Option<&Function> {
        self.passes.last().map(|p| p.block_fn.function())
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
