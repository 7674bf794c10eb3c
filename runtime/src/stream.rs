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

use crate::exec::{prepare, Options, Prepared};
use crate::npy::{NpyFile, NpyWriter};
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
}

impl Input {
    fn streamed(&self) -> bool {
        matches!(self, Input::Npy(_))
    }

    fn bytes(&self) -> u64 {
        match self {
            Input::Memory(Value::Array { data, .. }) => {
                (data.len() * data.scalar().size_bytes()) as u64
            }
            Input::Memory(_) => 0,
            Input::Npy(f) => f.data_bytes(),
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
    rows: usize,
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
                        Op::Unary(_) | Op::Binary(_) | Op::Where | Op::Cast(_) => aligned,
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
        if let Input::Npy(file) = input {
            if file.fortran_order() {
                return Err(StreamError(format!(
                    "{}: a Fortran-order file cannot be streamed by rows; save it in C order",
                    file.path().display()
                )));
            }
            let r = file.shape().first().copied().unwrap_or(1);
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
    let rows = rows.ok_or_else(|| StreamError("no input is streamed".into()))?;
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
    for (p, input) in inputs.iter().enumerate() {
        if let Input::Npy(file) = input {
            per_row += 3 * file.row_bytes();
            let _ = p;
        }
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
    let input_row: usize = inputs
        .iter()
        .filter_map(|i| match i {
            Input::Npy(f) => Some(f.row_bytes()),
            _ => None,
        })
        .sum();
    let by_pipeline = ((256usize << 20) / input_row.max(1)).max(1);
    let block = block_rows
        .unwrap_or_else(|| by_memory.min(by_pipeline))
        .clamp(1, rows.max(1));
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

    /// Number of blocks.
    pub fn blocks(&self) -> usize {
        self.rows.div_ceil(self.block).max(1)
    }

    /// Total rows.
    pub fn rows(&self) -> usize {
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
        for b in 0..self.blocks() {
            let (r0, r1) = (b * self.block, ((b + 1) * self.block).min(self.rows));
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
        let last = self.blocks() - 1;
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
        let writer = match (out, self.tail.is_none()) {
            (Some(path), true) => {
                let (scalar, shape) = self.result_shape()?;
                Some(NpyWriter::create(path, scalar, &shape)?)
            }
            _ => None,
        };
        let mut collected: Vec<Array> = Vec::new();
        let mut acc: Vec<Option<Value>> = vec![None; self.frontier.len()];
        let blocks = self.blocks();
        let files: Vec<Option<&NpyFile>> = inputs
            .iter()
            .map(|i| match i {
                Input::Npy(f) => Some(f),
                _ => None,
            })
            .collect();
        let (block, rows) = (self.block, self.rows);
        std::thread::scope(|scope| -> Result<(), StreamError> {
            let (tx, rx) = sync_channel::<Result<(usize, Vec<Option<Value>>), StreamError>>(1);
            // Consumed blocks go back to the reader for their buffers.
            let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<Option<Value>>>();
            let files = &files;
            scope.spawn(move || {
                for b in 0..blocks {
                    let (r0, r1) = (b * block, ((b + 1) * block).min(rows));
                    let mut spare: Vec<Option<Value>> = back_rx.try_recv().unwrap_or_default();
                    let read: Result<Vec<Option<Value>>, StreamError> = files
                        .iter()
                        .enumerate()
                        .map(|(k, f)| match f {
                            Some(f) => {
                                let reuse = match spare.get_mut(k).and_then(Option::take) {
                                    Some(Value::Array { data, .. }) => Some(data),
                                    _ => None,
                                };
                                f.read_rows_reusing(r0, r1, reuse)
                                    .map(|a| Some(Value::from(a)))
                                    .map_err(StreamError::from)
                            }
                            None => Ok(None),
                        })
                        .collect();
                    let failed = read.is_err();
                    if tx.send(read.map(|v| (b, v))).is_err() || failed {
                        return;
                    }
                }
            });
            for _ in 0..blocks {
                let (b, mut read) = rx
                    .recv()
                    .map_err(|_| StreamError("the reader stopped".into()))??;
                let r0 = b * block;
                let n = ((b + 1) * block).min(rows) - r0;
                let args: Vec<Value> = self
                    .block_params
                    .iter()
                    .map(|&p| match (read[p].take(), &inputs[p]) {
                        (Some(v), _) => v,
                        (None, Input::Memory(v)) => v.clone(),
                        (None, Input::Npy(_)) => Value::Tuple(vec![]),
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
                            let part = if *c == Combine::Mean {
                                scale(part, n as f64 / rows as f64)?
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
                                    "a streamed result must be a plain array".into(),
                                ));
                            };
                            match &writer {
                                Some(w) => w.write_rows(r0, &data)?,
                                None => collected.push(data),
                            }
                        }
                    }
                }
                progress(r0 + n, rows);
            }
            Ok(())
        })?;
        if let Some(w) = writer {
            w.finish()?;
            return Ok(None);
        }
        match &self.tail {
            None => Ok(Some(Value::from(concat_rows(
                &collected,
                self.result_shape()?,
            )?))),
            Some(t) => {
                let args: Vec<Value> = t
                    .sources
                    .iter()
                    .map(|s| match s {
                        Source::Param(p) => match &inputs[*p] {
                            Input::Memory(v) => Ok(v.clone()),
                            Input::Npy(_) => {
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

    fn result_shape(&self) -> Result<(Scalar, Vec<usize>), StreamError> {
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
                Dim::TypeVar(s) if i == 0 && s == ROWS => self.rows,
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

fn join<T: Element>(parts: &[Array]) -> Result<Array, StreamError> {
    let views: Vec<_> = parts
        .iter()
        .map(|p| {
            T::get(p)
                .map(|a| a.view())
                .ok_or_else(|| StreamError("blocks of different types".into()))
        })
        .collect::<Result<_, _>>()?;
    ndarray::concatenate(ndarray::Axis(0), &views)
        .map(T::wrap)
        .map_err(|e| StreamError(e.to_string()))
}

fn concat_rows(
    parts: &[Array],
    (scalar, shape): (Scalar, Vec<usize>),
) -> Result<Array, StreamError> {
    if parts.is_empty() {
        return Ok(Array::zeros(scalar, &shape));
    }
    with_scalar!(scalar, T => join::<T>(parts))
}
