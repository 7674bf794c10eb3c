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
//! writes a rows result to `.npy` block by block (atomically: a temporary
//! file renamed at the end) or collects it, and finally runs the *tail*.
//! Blocks run one after another; inside a block the JIT's kernels use every
//! core and BLAS its own threads.

use crate::csv::{CsvFile, CsvReader};
use crate::exec::{prepare, Options, Prepared};
use crate::npy::{NpyFile, NpyWriter};
use crate::zarr::{ZarrArray, ZarrWriter};
use blaze_datashape::{Datashape, Dim, Measure, Scalar};
use blaze_interp::{kernels, with_scalar, Array, Element, EvalError, Value};
use blaze_ir::ops::{BinaryFn, ReduceFn};
use blaze_ir::{Function, Node, NodeId, Op};
use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::sync_channel;

/// The symbol the CLI gives the first dimension of streamed inputs.
pub const ROWS: &str = "ROWS";

/// An input of a streamed run.
#[derive(Debug)]
pub enum Input {
    /// An array in memory (used whole by every block).
    Memory(Value),
    /// A C-order `.npy` file read by blocks of rows.
    Npy(NpyFile),
    /// A CSV file of records, read in order by blocks of rows.
    Csv(CsvFile),
    /// A Zarr array read by blocks of rows.
    Zarr(ZarrArray),
}

impl Input {
    fn streamed(&self) -> bool {
        matches!(self, Input::Npy(_) | Input::Csv(_) | Input::Zarr(_))
    }

    fn row_bytes(&self) -> usize {
        match self {
            Input::Npy(f) => f.row_bytes(),
            // Parsing holds a row as float64 and int columns with masks.
            Input::Csv(f) => 3 * f.row_bytes() + 32,
            Input::Zarr(z) => z.row_bytes(),
            Input::Memory(_) => 0,
        }
    }

    fn bytes(&self) -> u64 {
        match self {
            Input::Memory(Value::Array { data, .. }) => {
                (data.len() * data.scalar().size_bytes()) as u64
            }
            Input::Memory(_) => 0,
            Input::Npy(f) => f.data_bytes(),
            Input::Csv(f) => std::fs::metadata(f.path()).map_or(0, |m| m.len()),
            Input::Zarr(z) => z.data_bytes(),
        }
    }
}

/// How a partial result is combined with the next block's.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Combine {
    Add,
    Mul,
    Min,
    Max,
    Or,
    And,
    /// Weighted by block rows over all rows.
    Mean,
}

impl Combine {
    fn name(self) -> &'static str {
        match self {
            Combine::Add => "+=",
            Combine::Mul => "*=",
            Combine::Min => "min=",
            Combine::Max => "max=",
            Combine::Or => "or=",
            Combine::And => "and=",
            Combine::Mean => "mean+=",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Class {
    Small,
    Rows,
    /// The transpose of a 2-D rows node (only as the left side of `@`).
    RowsT,
    Partial(Combine),
    Tail,
}

/// A planned streamed run.
#[derive(Debug)]
pub struct Plan {
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
    frontier: Vec<(NodeId, Option<Combine>)>,
    tail: Option<Tail>,
    /// The result's type.
    result: Datashape,
    /// Text of each frontier node, for the task graph.
    labels: Vec<String>,
}

#[derive(Debug)]
struct Tail {
    f: Prepared,
    /// Where each tail parameter comes from.
    sources: Vec<Source>,
}

#[derive(Clone, Copy, Debug)]
enum Source {
    /// Parameter `i` of the original function.
    Param(usize),
    /// Frontier entry `i`.
    Frontier(usize),
}

/// Why a program cannot stream, or failed.
#[derive(Debug)]
pub struct StreamError(pub String);

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<EvalError> for StreamError {
    fn from(e: EvalError) -> StreamError {
        StreamError(e.to_string())
    }
}

impl From<crate::npy::NpyError> for StreamError {
    fn from(e: crate::npy::NpyError) -> StreamError {
        StreamError(e.to_string())
    }
}

fn rows_axis(t: &Datashape) -> Option<usize> {
    t.dims
        .iter()
        .position(|d| matches!(d, Dim::TypeVar(s) if s == ROWS))
}

fn row_bytes(t: &Datashape) -> usize {
    let s = match &t.measure {
        Measure::Scalar { scalar } => scalar.size_bytes(),
        _ => 8,
    };
    t.dims
        .iter()
        .skip(1)
        .map(|d| match d {
            Dim::Fixed(n) => *n as usize,
            _ => 1,
        })
        .product::<usize>()
        * s
}

fn op_text(f: &Function, id: NodeId) -> String {
    let text = f.to_string();
    let key = format!("%{} = ", id.0);
    text.lines()
        .find(|l| l.trim_start().starts_with(&key))
        .map(|l| {
            let l = l.trim();
            // Drop the source span.
            match l.rfind(" @") {
                Some(p) => l[..p].to_string(),
                None => l.to_string(),
            }
        })
        .unwrap_or_else(|| format!("%{}", id.0))
}

fn classify(f: &Function, streamed: &[bool]) -> Result<Vec<Class>, StreamError> {
    let mut class: Vec<Class> = Vec::with_capacity(f.nodes.len());
    for (i, n) in f.nodes.iter().enumerate() {
        let id = NodeId(i as u32);
        let args: Vec<Class> = n.args.iter().map(|a| class[a.index()]).collect();
        let unsupported =
            |why: &str| StreamError(format!("cannot stream `{}`: {why}", op_text(f, id)));
        let c = if let Op::Param(p) = n.op {
            if streamed.get(p).copied().unwrap_or(false) {
                if rows_axis(&n.ty) != Some(0) {
                    return Err(unsupported(
                        "a streamed input needs a symbolic first dimension",
                    ));
                }
                Class::Rows
            } else {
                Class::Small
            }
        } else if args.iter().all(|c| *c == Class::Small) {
            Class::Small
        } else if args
            .iter()
            .all(|c| matches!(c, Class::Small | Class::Partial(_) | Class::Tail))
        {
            if rows_axis(&n.ty).is_some() {
                return Err(unsupported(
                    "it has the streamed rows after a reduction over them",
                ));
            }
            Class::Tail
        } else {
            if args
                .iter()
                .any(|c| matches!(c, Class::Partial(_) | Class::Tail))
            {
                return Err(unsupported(
                    "it uses the streamed rows after a reduction over them (that needs two passes)",
                ));
            }
            match rows_axis(&n.ty) {
                Some(0) => {
                    let rank = n.ty.dims.len();
                    let aligned = n.args.iter().zip(&args).all(|(a, c)| {
                        let t = &f.node(*a).ty;
                        match c {
                            Class::Rows => rows_axis(t) == Some(0) && t.dims.len() == rank,
                            Class::Small => {
                                t.dims.len() < rank || matches!(t.dims.first(), Some(Dim::Fixed(1)))
                            }
                            _ => false,
                        }
                    });
                    let local = match &n.op {
                        Op::Unary(_) | Op::Binary(_) | Op::Where | Op::Cast(_) | Op::Field(_) => {
                            aligned
                        }
                        Op::Reduce {
                            axes: Some(axes), ..
                        } => !axes.contains(&0) && args.first() == Some(&Class::Rows),
                        Op::MatMul => {
                            args.first() == Some(&Class::Rows)
                                && args.get(1) == Some(&Class::Small)
                                && f.node(n.args[0]).ty.dims.len() == 2
                        }
                        _ => false,
                    };
                    if !local {
                        return Err(unsupported(
                            "its rows do not follow from the same rows of its operands",
                        ));
                    }
                    Class::Rows
                }
                Some(1)
                    if matches!(&n.op, Op::Transpose(p) if p.as_slice() == [1, 0])
                        && args.first() == Some(&Class::Rows) =>
                {
                    Class::RowsT
                }
                Some(_) => {
                    return Err(unsupported("the streamed rows move to another axis"));
                }
                None => {
                    let partial = match &n.op {
                        Op::Reduce { f: rf, axes, .. }
                            if args.first() == Some(&Class::Rows)
                                && axes.as_ref().is_none_or(|a| a.contains(&0)) =>
                        {
                            match rf {
                                ReduceFn::Sum => Some(Combine::Add),
                                ReduceFn::Prod => Some(Combine::Mul),
                                ReduceFn::Min => Some(Combine::Min),
                                ReduceFn::Max => Some(Combine::Max),
                                ReduceFn::Any => Some(Combine::Or),
                                ReduceFn::All => Some(Combine::And),
                                ReduceFn::Count => Some(Combine::Add),
                                ReduceFn::Mean
                                    if matches!(
                                        f.node(n.args[0]).ty.measure,
                                        Measure::Option { .. }
                                    ) =>
                                {
                                    return Err(unsupported(
                                        "a mean over the streamed rows of values that may be missing cannot stream yet; write sum(x) / count(x)",
                                    ))
                                }
                                ReduceFn::Mean => Some(Combine::Mean),
                                _ => None,
                            }
                        }
                        Op::MatMul
                            if args.first() == Some(&Class::RowsT)
                                && args.get(1) == Some(&Class::Rows) =>
                        {
                            Some(Combine::Add)
                        }
                        _ => None,
                    };
                    match partial {
                        Some(c) => Class::Partial(c),
                        None => {
                            return Err(unsupported("it needs all of the streamed rows at once"))
                        }
                    }
                }
            }
        };
        class.push(c);
    }
    Ok(class)
}

/// A new function computing `roots` of `f`, in which the nodes of `cut`
/// become parameters; `keep_param` says which of `f`'s parameters stay.
/// Returns the function and where each of its parameters comes from.
fn extract(
    f: &Function,
    roots: &[NodeId],
    cut: &[NodeId],
    keep_param: &dyn Fn(usize) -> bool,
) -> (Function, Vec<Source>) {
    let mut need = vec![false; f.nodes.len()];
    for r in roots {
        need[r.index()] = true;
    }
    for i in (0..f.nodes.len()).rev() {
        if need[i] && !cut.contains(&NodeId(i as u32)) {
            for a in &f.nodes[i].args {
                need[a.index()] = true;
            }
        }
    }
    let mut map: HashMap<usize, NodeId> = HashMap::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut params: Vec<(String, Datashape)> = Vec::new();
    let mut sources = Vec::new();
    // Kept parameters first, in their order, so every function's inputs
    // are easy to line up.
    for (p, (name, ty)) in f.params.iter().enumerate() {
        if keep_param(p) {
            let node = f.nodes.iter().position(|n| n.op == Op::Param(p));
            params.push((name.clone(), ty.clone()));
            sources.push(Source::Param(p));
            nodes.push(Node {
                op: Op::Param(params.len() - 1),
                args: vec![],
                ty: ty.clone(),
                weak: false,
                span: Default::default(),
            });
            if let Some(i) = node {
                map.insert(i, NodeId(nodes.len() as u32 - 1));
            }
        }
    }
    for (k, c) in cut.iter().enumerate() {
        if need[c.index()] {
            let ty = f.node(*c).ty.clone();
            params.push((format!("partial{k}"), ty.clone()));
            sources.push(Source::Frontier(k));
            nodes.push(Node {
                op: Op::Param(params.len() - 1),
                args: vec![],
                ty,
                weak: false,
                span: Default::default(),
            });
            map.insert(c.index(), NodeId(nodes.len() as u32 - 1));
        }
    }
    for (i, n) in f.nodes.iter().enumerate() {
        if !need[i] || map.contains_key(&i) || matches!(n.op, Op::Param(_)) {
            continue;
        }
        let args = n.args.iter().map(|a| map[&a.index()]).collect();
        nodes.push(Node { args, ..n.clone() });
        map.insert(i, NodeId(nodes.len() as u32 - 1));
    }
    let root = if roots.len() == 1 {
        map[&roots[0].index()]
    } else {
        let elems = roots.iter().map(|r| f.node(*r).ty.clone()).collect();
        nodes.push(Node {
            op: Op::MakeTuple,
            args: roots.iter().map(|r| map[&r.index()]).collect(),
            ty: Datashape::new(vec![], Measure::Tuple { elems }),
            weak: false,
            span: Default::default(),
        });
        NodeId(nodes.len() as u32 - 1)
    };
    (
        Function {
            name: f.name.clone(),
            params,
            nodes,
            root,
            index_vars: f.index_vars.clone(),
        },
        sources,
    )
}

/// Plans a streamed run of `f` over `inputs` (one per parameter) within
/// `memory_limit` bytes. Streamed parameters must have the first dimension
/// [`ROWS`] in `f`'s types; `block_rows` overrides the block size.
pub fn plan(
    f: &Function,
    inputs: &[Input],
    memory_limit: u64,
    block_rows: Option<usize>,
) -> Result<Plan, StreamError> {
    if inputs.len() != f.params.len() {
        return Err(StreamError(format!(
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
            Input::Npy(file) => {
                if file.fortran_order() {
                    return Err(StreamError(format!(
                        "{}: a Fortran-order file cannot be streamed by rows; save it in C order",
                        file.path().display()
                    )));
                }
                Some(file.shape().first().copied().unwrap_or(1))
            }
            Input::Csv(file) => file.rows(),
            Input::Zarr(z) => Some(z.shape().first().copied().unwrap_or(1)),
            Input::Memory(_) => None,
        };
        if let Some(r) = r {
            match rows {
                None => rows = Some(r),
                Some(x) if x != r => {
                    return Err(StreamError(format!(
                        "streamed inputs must have the same number of rows: `{name}` has {r}, another {x}"
                    )))
                }
                _ => {}
            }
        }
    }
    if !streamed.iter().any(|s| *s) {
        return Err(StreamError("no input is streamed".into()));
    }
    let class = classify(f, &streamed)?;
    let root = f.root;
    let root_class = class[root.index()];
    let mut frontier: Vec<(NodeId, Option<Combine>)> = Vec::new();
    for (i, c) in class.iter().enumerate() {
        if let Class::Partial(comb) = c {
            frontier.push((NodeId(i as u32), Some(*comb)));
        }
    }
    match root_class {
        Class::Rows => frontier.push((root, None)),
        Class::RowsT => {
            return Err(StreamError(
                "cannot stream a transposed result; write it untransposed".into(),
            ))
        }
        Class::Small => {
            return Err(StreamError(
                "the result does not depend on the streamed inputs".into(),
            ))
        }
        _ => {}
    }
    let roots: Vec<NodeId> = frontier.iter().map(|(n, _)| *n).collect();
    let (bf, bsources) = extract(f, &roots, &[], &|_| true);
    let block_params: Vec<usize> = bsources
        .iter()
        .filter_map(|s| match s {
            Source::Param(p) => Some(*p),
            Source::Frontier(_) => None,
        })
        .collect();
    let tail = match root_class {
        Class::Rows => None,
        _ => {
            let partials: Vec<NodeId> = roots.clone();
            let (tf, sources) = extract(f, &[root], &partials, &|p| !streamed[p]);
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
    for (n, _) in &frontier {
        let t = &f.node(*n).ty;
        if rows_axis(t).is_none() {
            let count: u64 = t
                .dims
                .iter()
                .map(|d| match d {
                    Dim::Fixed(n) => *n,
                    _ => 1,
                })
                .product();
            fixed += 3
                * count
                * row_bytes(&Datashape::new(vec![Dim::Fixed(1)], t.measure.clone())) as u64;
        }
    }
    let budget = (memory_limit as f64 * 0.8) as u64;
    if fixed >= budget {
        return Err(StreamError(format!(
            "the memory limit of {} is too small: in-memory inputs and partial results alone take {}",
            human(memory_limit),
            human(fixed)
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
    let labels = frontier.iter().map(|(n, _)| op_text(f, *n)).collect();
    Ok(Plan {
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
    })
}

/// `1.5 GiB`-style text.
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.2} GiB", b / (1u64 << 30) as f64)
    } else if b >= (1u64 << 20) as f64 {
        format!("{:.1} MiB", b / (1u64 << 20) as f64)
    } else {
        format!("{bytes} bytes")
    }
}

impl Plan {
    /// Rows per block.
    pub fn block_rows(&self) -> usize {
        self.block
    }

    /// Number of blocks, when the row count is known before the run.
    pub fn blocks(&self) -> Option<usize> {
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

    /// The task graph, one task a line: reads, block computations, combines
    /// of partial results, writes, and the tail.
    pub fn tasks(&self, out: Option<&str>) -> Vec<String> {
        let mut lines = Vec::new();
        let streamed: Vec<&str> = self
            .params
            .iter()
            .filter(|(_, s)| *s)
            .map(|(n, _)| n.as_str())
            .collect();
        let known = self.blocks();
        for b in 0..known.unwrap_or(2) {
            let (r0, r1) = (
                b * self.block,
                ((b + 1) * self.block).min(self.rows.unwrap_or(usize::MAX)),
            );
            let reads: Vec<String> = streamed.iter().map(|n| format!("('{n}', {b})")).collect();
            for n in &streamed {
                lines.push(format!("('{n}', {b}): read rows {r0}..{r1}"));
            }
            for ((node, comb), label) in self.frontier.iter().zip(&self.labels) {
                match comb {
                    Some(c) => {
                        lines.push(format!(
                            "('%{}', {b}): {label} <- {}",
                            node.0,
                            reads.join(", ")
                        ));
                        if b > 0 {
                            lines.push(format!(
                                "('%{}-acc', {b}): ('%{}-acc', {}) {} ('%{}', {b})",
                                node.0,
                                node.0,
                                b - 1,
                                c.name(),
                                node.0
                            ));
                        }
                    }
                    None => {
                        lines.push(format!(
                            "('%{}', {b}): {label} <- {}",
                            node.0,
                            reads.join(", ")
                        ));
                        let dest = out.unwrap_or("memory");
                        lines.push(format!(
                            "('out', {b}): write rows {r0}..{r1} of {dest} <- ('%{}', {b})",
                            node.0
                        ));
                    }
                }
            }
        }
        if known.is_none() {
            lines.push("... one block after another, to the end of the input".into());
        }
        let last = known.map_or("last".to_string(), |b| (b - 1).to_string());
        if self.tail.is_some() {
            let accs: Vec<String> = self
                .frontier
                .iter()
                .map(|(n, _)| format!("('%{}-acc', {last})", n.0))
                .collect();
            lines.push(format!("('result',): tail <- {}", accs.join(", ")));
        } else if let Some(o) = out {
            lines.push(format!("('finish',): sync and rename {o}"));
        }
        lines
    }

    /// Runs the plan. A rows result goes to `out` when given (and `None` is
    /// returned), else it is collected; `progress(rows_done, rows)` is called
    /// after every block.
    pub fn run(
        &self,
        inputs: &[Input],
        out: Option<&Path>,
        threads: Option<usize>,
        progress: &dyn Fn(usize, usize),
    ) -> Result<Option<Value>, StreamError> {
        let opts = Options {
            threads,
            ..Options::default()
        };
        let mut writer = match (out, self.tail.is_none()) {
            (Some(path), true) => {
                let (scalar, shape) = self.result_shape(self.rows.unwrap_or(0))?;
                Some(if is_zarr(path) {
                    Sink::Zarr(
                        ZarrWriter::create(path, scalar, &shape[1..], self.block)
                            .map_err(|e| StreamError(e.to_string()))?,
                    )
                } else {
                    Sink::Npy(match self.rows {
                        Some(_) => NpyWriter::create(path, scalar, &shape)?,
                        None => NpyWriter::create_growable(path, scalar, &shape[1..])?,
                    })
                })
            }
            _ => None,
        };
        let mut collected: Vec<Array> = Vec::new();
        let mut acc: Vec<Option<Value>> = vec![None; self.frontier.len()];
        let block = self.block;
        let mut total = 0usize;
        type Block = Option<(usize, Vec<Option<Value>>)>;
        std::thread::scope(|scope| -> Result<(), StreamError> {
            let (tx, rx) = sync_channel::<Result<Block, StreamError>>(1);
            // Consumed blocks go back to the reader for their buffers.
            let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<Option<Value>>>();
            scope.spawn(move || {
                let fail = |e: StreamError| {
                    let _ = tx.send(Err(e));
                };
                let mut readers: Vec<Reader> = Vec::new();
                for i in inputs {
                    readers.push(match i {
                        Input::Npy(f) => Reader::Npy(f),
                        Input::Zarr(z) => Reader::Zarr(z),
                        Input::Csv(f) => match f.reader() {
                            Ok(r) => Reader::Csv(r),
                            Err(e) => return fail(StreamError(e.to_string())),
                        },
                        Input::Memory(_) => Reader::Memory,
                    });
                }
                let mut r0 = 0;
                let mut sent_empty = false;
                loop {
                    let mut spare: Vec<Option<Value>> = back_rx.try_recv().unwrap_or_default();
                    let mut read: Vec<Option<Value>> = Vec::with_capacity(readers.len());
                    let mut counts: Vec<usize> = Vec::new();
                    for (k, r) in readers.iter_mut().enumerate() {
                        let reuse = match spare.get_mut(k).and_then(Option::take) {
                            Some(Value::Array { data, .. }) => Some(data),
                            _ => None,
                        };
                        match r.next(r0, block, reuse) {
                            Ok(Some((v, n))) => {
                                counts.push(n);
                                read.push(Some(v));
                            }
                            Ok(None) => {
                                if r.streamed() {
                                    counts.push(0);
                                }
                                read.push(None);
                            }
                            Err(e) => return fail(e),
                        }
                    }
                    let n = counts.first().copied().unwrap_or(0);
                    if counts.iter().any(|&c| c != n) {
                        return fail(StreamError(format!(
                            "the streamed inputs have different numbers of rows (one ends at row {}, another goes on)",
                            r0 + counts.iter().copied().min().unwrap_or(0)
                        )));
                    }
                    if n == 0 && r0 == 0 && !sent_empty {
                        // No rows at all: one empty block, so reductions
                        // give what they give on empty arrays.
                        sent_empty = true;
                        let empty: Vec<Option<Value>> = readers.iter().map(Reader::empty).collect();
                        if tx.send(Ok(Some((0, empty)))).is_err() {
                            return;
                        }
                        continue;
                    }
                    if n == 0 {
                        for r in &readers {
                            if let Reader::Csv(c) = r {
                                if let Err(e) = c.finish() {
                                    return fail(StreamError(e.to_string()));
                                }
                            }
                        }
                        let _ = tx.send(Ok(None));
                        return;
                    }
                    if tx.send(Ok(Some((n, read)))).is_err() {
                        return;
                    }
                    r0 += n;
                }
            });
            while let Some((n, mut read)) = rx
                .recv()
                .map_err(|_| StreamError("the reader stopped".into()))??
            {
                let r0 = total;
                let args: Vec<Value> = self
                    .block_params
                    .iter()
                    .map(|&p| match (read[p].take(), &inputs[p]) {
                        (Some(v), _) => v,
                        (None, Input::Memory(v)) => v.clone(),
                        (None, _) => Value::Tuple(vec![]),
                    })
                    .collect();
                let (value, _) = self.block_fn.run(&args, &opts)?;
                // Hand the input blocks back for reuse.
                let mut spent: Vec<Option<Value>> = vec![None; inputs.len()];
                for (&p, v) in self.block_params.iter().zip(args) {
                    if inputs[p].streamed() {
                        spent[p] = Some(v);
                    }
                }
                let _ = back_tx.send(spent);
                let parts = if self.frontier.len() == 1 {
                    vec![value]
                } else {
                    match value {
                        Value::Tuple(v) => v,
                        other => vec![other],
                    }
                };
                for (k, ((_, comb), part)) in self.frontier.iter().zip(parts).enumerate() {
                    match comb {
                        Some(c) => {
                            // Means are summed weighted by their rows and
                            // divided by all rows at the end.
                            let part = if *c == Combine::Mean {
                                scale(part, n as f64)?
                            } else {
                                part
                            };
                            acc[k] = Some(match acc[k].take() {
                                None => part,
                                Some(a) => combine(*c, a, part)?,
                            });
                        }
                        None => {
                            let Value::Array {
                                data,
                                missing: None,
                            } = part
                            else {
                                return Err(StreamError(
                                    "a streamed result must be a plain array (no missing values)"
                                        .into(),
                                ));
                            };
                            match &mut writer {
                                Some(Sink::Npy(w)) => w.write_rows(r0, &data)?,
                                Some(Sink::Zarr(w)) => w
                                    .write_rows(r0, &data)
                                    .map_err(|e| StreamError(e.to_string()))?,
                                None => collected.push(data),
                            }
                        }
                    }
                }
                total += n;
                progress(total, self.rows.unwrap_or(0));
            }
            Ok(())
        })?;
        for (k, (_, comb)) in self.frontier.iter().enumerate() {
            if *comb == Some(Combine::Mean) {
                if let Some(a) = acc[k].take() {
                    acc[k] = Some(scale(a, 1.0 / total.max(1) as f64)?);
                }
            }
        }
        if acc
            .iter()
            .zip(&self.frontier)
            .any(|(a, (_, c))| c.is_some() && a.is_none())
        {
            return Err(StreamError(
                "the streamed inputs have no rows to reduce over".into(),
            ));
        }
        if let Some(w) = writer {
            match w {
                Sink::Npy(w) => w.finish_rows(total)?,
                Sink::Zarr(w) => w.finish(total).map_err(|e| StreamError(e.to_string()))?,
            }
            return Ok(None);
        }
        match &self.tail {
            None => Ok(Some(Value::from(concat_rows(
                &collected,
                self.result_shape(total)?,
            )?))),
            Some(t) => {
                let args: Vec<Value> = t
                    .sources
                    .iter()
                    .map(|s| match s {
                        Source::Param(p) => match &inputs[*p] {
                            Input::Memory(v) => Ok(v.clone()),
                            Input::Npy(_) | Input::Csv(_) | Input::Zarr(_) => {
                                Err(StreamError("a streamed input reached the tail".into()))
                            }
                        },
                        Source::Frontier(k) => acc[*k]
                            .clone()
                            .ok_or_else(|| StreamError("a partial result is missing".into())),
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Some(t.f.run(&args, &opts)?.0))
            }
        }
    }

    fn result_shape(&self, rows: usize) -> Result<(Scalar, Vec<usize>), StreamError> {
        let scalar = match &self.result.measure {
            Measure::Scalar { scalar } => *scalar,
            other => {
                return Err(StreamError(format!(
                    "a streamed result must have a plain element type, not {other}"
                )))
            }
        };
        let mut shape = Vec::new();
        for (i, d) in self.result.dims.iter().enumerate() {
            shape.push(match d {
                Dim::Fixed(n) => *n as usize,
                Dim::TypeVar(s) if i == 0 && s == ROWS => rows,
                other => {
                    return Err(StreamError(format!(
                        "the result's dimension {other} is not known before the run"
                    )))
                }
            });
        }
        Ok((scalar, shape))
    }
}

/// Where a streamed result goes.
enum Sink {
    Npy(NpyWriter),
    Zarr(ZarrWriter),
}

/// Whether `path` names a Zarr array (`….zarr`).
pub fn is_zarr(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zarr"))
}

/// One input as the reader thread sees it.
enum Reader<'a> {
    Npy(&'a NpyFile),
    Zarr(&'a ZarrArray),
    Csv(CsvReader),
    Memory,
}

impl Reader<'_> {
    fn streamed(&self) -> bool {
        !matches!(self, Reader::Memory)
    }

    /// A block of no rows.
    fn empty(&self) -> Option<Value> {
        match self {
            Reader::Memory => None,
            Reader::Npy(f) => f.read_rows(0, 0).ok().map(Value::from),
            Reader::Zarr(z) => z.read_rows(0, 0).ok().map(Value::from),
            Reader::Csv(r) => Some(r.empty_block()),
        }
    }

    /// The block of up to `block` rows from `r0` and its row count.
    fn next(
        &mut self,
        r0: usize,
        block: usize,
        reuse: Option<Array>,
    ) -> Result<Option<(Value, usize)>, StreamError> {
        match self {
            Reader::Memory => Ok(None),
            Reader::Npy(f) => {
                let rows = f.shape().first().copied().unwrap_or(1);
                if r0 >= rows {
                    return Ok(None);
                }
                let r1 = (r0 + block).min(rows);
                Ok(Some((
                    Value::from(f.read_rows_reusing(r0, r1, reuse)?),
                    r1 - r0,
                )))
            }
            Reader::Zarr(z) => {
                let rows = z.shape().first().copied().unwrap_or(1);
                if r0 >= rows {
                    return Ok(None);
                }
                let r1 = (r0 + block).min(rows);
                let a = z
                    .read_rows(r0, r1)
                    .map_err(|e| StreamError(e.to_string()))?;
                Ok(Some((Value::from(a), r1 - r0)))
            }
            Reader::Csv(r) => match r
                .next_block(block)
                .map_err(|e| StreamError(e.to_string()))?
            {
                Some(v) => {
                    let n = match &v {
                        Value::Record(fs) => match fs.first() {
                            Some((_, Value::Array { data, .. })) => data.shape()[0],
                            _ => 0,
                        },
                        _ => 0,
                    };
                    Ok(Some((v, n)))
                }
                None => Ok(None),
            },
        }
    }
}

fn arr(v: Value) -> Result<Array, StreamError> {
    match v {
        Value::Array {
            data,
            missing: None,
        } => Ok(data),
        _ => Err(StreamError("partial results must be plain arrays".into())),
    }
}

fn combine(c: Combine, a: Value, b: Value) -> Result<Value, StreamError> {
    let (a, b) = (arr(a)?, arr(b)?);
    let f = match c {
        Combine::Add | Combine::Mean => BinaryFn::Add,
        Combine::Mul => BinaryFn::Mul,
        Combine::Min => BinaryFn::Minimum,
        Combine::Max => BinaryFn::Maximum,
        Combine::Or => BinaryFn::Or,
        Combine::And => BinaryFn::And,
    };
    Ok(Value::from(kernels::binary(f, &a, &b)?))
}

fn scale(v: Value, w: f64) -> Result<Value, StreamError> {
    let a = arr(v)?;
    let s = kernels::cast(&Array::Float64(ndarray::arr0(w).into_dyn()), a.scalar());
    Ok(Value::from(kernels::binary(BinaryFn::Mul, &a, &s)?))
}

fn join<T: Element>(parts: &[Array]) -> Result<Array, String> {
    let views: Vec<_> = parts
        .iter()
        .map(|p| {
            T::get(p)
                .map(|a| a.view())
                .ok_or_else(|| "blocks of different types".to_string())
        })
        .collect::<Result<_, _>>()?;
    ndarray::concatenate(ndarray::Axis(0), &views)
        .map(T::wrap)
        .map_err(|e| e.to_string())
}

/// Blocks of rows (at least one, of one element type) joined along their
/// first axis.
pub(crate) fn join_rows(parts: &[Array]) -> Result<Array, String> {
    let scalar = parts
        .first()
        .map(Array::scalar)
        .ok_or_else(|| "no blocks to join".to_string())?;
    with_scalar!(scalar, T => join::<T>(parts))
}

fn concat_rows(
    parts: &[Array],
    (scalar, shape): (Scalar, Vec<usize>),
) -> Result<Array, StreamError> {
    if parts.is_empty() {
        return Ok(Array::zeros(scalar, &shape));
    }
    join_rows(parts).map_err(StreamError)
}
