//! The chunk plan as separate tasks, for a scheduler that runs them in
//! other processes or on other machines (blaze's Python package maps it onto
//! a dask graph).
//!
//! A [`TaskPlan`] is a [`StreamPlan`] with its inputs opened. Its tasks are
//! small calls that take and give plain values, so a scheduler can move
//! them between processes:
//!
//! - [`TaskPlan::ranges`]: the row range of every block (the same blocks
//!   the executor runs; they never span the files of a glob);
//! - [`TaskPlan::block`]: one pass's block function over rows `a..b`, read
//!   from the input files by the process that runs the task (any format
//!   blaze streams), or given with the task (the chunks of an array held
//!   elsewhere): a [`Partial`];
//! - [`TaskPlan::combine`]: two partials of a pass, the left one first (so a
//!   tree of combines in block order gives the executor's result whatever
//!   the tree);
//! - [`TaskPlan::finish`]: a pass's combined partial made final (means
//!   divided by the rows) and the small work the next pass takes, into the
//!   [`Known`] values later tasks read;
//! - [`TaskPlan::tail`]: the result from the known values.
//!
//! Partials combine with the executor's own merges (the `combine` module),
//! and `argmax`/`argmin` partials hold global row indices from the block
//! task on.

use super::classify::{row_bytes, Merge};
use super::combine::{combine, combine_arg, combine_centred, concat_values, means, scale};
use super::{plan, Input, Pass, Source, StreamPlan, Tail, ROWS};
use crate::error::{BindError, Error, StreamError};
use crate::exec::{Arg, Options};
use crate::io::{self, IoError, IoErrorKind, RowBlock, RowReader, RowSource};
use crate::session::{check, InputSpec, Program};
use blaze_datashape::{Datashape, Dim, Measure};
use blaze_interp::Value;
use blaze_ir::NodeId;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// An input of a [`TaskPlan`] (few per plan: the size of the variants
/// does not matter).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum TaskInput {
    /// A file (pattern, directory) with an optional datashape, opened here
    /// and read by every process that runs a block task (at the same path).
    File(InputSpec),
    /// Rows given with each block task (the chunks of an array held
    /// elsewhere), of this datashape; its first dimension is the row count.
    Chunks(Datashape),
    /// A small array of this datashape, used whole by every block.
    Memory(Datashape, Value),
}

/// What block tasks give: the values of a pass's frontier (partials, and
/// the block of a rows result) over some rows.
#[derive(Clone, Debug)]
pub struct Partial {
    /// The rows the partial covers.
    pub rows: usize,
    /// One value per frontier entry of the pass, in order.
    pub values: Vec<Value>,
}

/// Values computed by earlier tasks that later ones read: finished
/// partials and the small work on them, by node.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Node numbers of the planned function and their values.
    pub nodes: Vec<(u32, Value)>,
}

impl Known {
    fn get(&self, n: NodeId) -> Result<&Value, Error> {
        self.nodes
            .iter()
            .rev()
            .find(|(m, _)| *m == n.0)
            .map(|(_, v)| v)
            .ok_or_else(|| {
                StreamError::Program(format!(
                    "the value of %{} is missing: finish the passes before it first",
                    n.0
                ))
                .into()
            })
    }
}

/// A streamed plan with its inputs opened, run as separate tasks (see the
/// module documentation).
#[derive(Debug)]
pub struct TaskPlan {
    plan: StreamPlan,
    /// The inputs, in the order of the planned function's parameters.
    inputs: Vec<Input>,
    /// The parameters' names.
    names: Vec<String>,
    /// Whether each parameter's rows come with the tasks.
    given: Vec<bool>,
    /// Inputs used whole, read when the plan is made.
    whole: Vec<Option<Value>>,
    opts: Options,
}

/// The rows of an array given with each task: planned by its type, never
/// read here.
#[derive(Debug)]
struct Chunked {
    name: PathBuf,
    t: Datashape,
}

impl RowSource for Chunked {
    fn path(&self) -> &Path {
        &self.name
    }

    fn datashape(&self) -> Datashape {
        self.t.clone()
    }

    fn row_bytes(&self) -> usize {
        row_bytes(&self.t)
    }

    fn bytes(&self) -> u64 {
        (self.rows().unwrap_or(0) as u64).saturating_mul(self.row_bytes() as u64)
    }

    fn blocks(&self) -> Result<Box<dyn RowReader + '_>, IoError> {
        Err(self.not_here())
    }

    fn read_all(&self) -> Result<Value, IoError> {
        Err(self.not_here())
    }
}

impl Chunked {
    fn not_here(&self) -> IoError {
        IoError::format(
            &self.name,
            IoErrorKind::Request,
            "the rows of this input come with each block task; they are not read from a file",
        )
    }
}

fn program(m: String) -> Error {
    StreamError::Program(m).into()
}

/// An input opened by [`TaskPlan::new`], before it is typed for the run
/// (few per plan: the size of the variants does not matter).
#[allow(clippy::large_enum_variant)]
enum Opened {
    Source(Box<dyn RowSource>),
    Chunks(Datashape),
    Memory(Datashape, Value),
}

impl TaskPlan {
    /// Plans the expression `source` over named `inputs` for running as
    /// tasks: files are opened (by their headers) and inputs used whole are
    /// read; blocks follow `memory_limit` (bytes a block task may hold) or
    /// `block_rows`. The rows streamed are those of the given chunks, else
    /// of the largest file; every streamed input must know its row count
    /// before it is read (a CSV file's rows are given by its datashape).
    /// `threads` bounds the JIT's threads in each task.
    pub fn new(
        source: &str,
        inputs: Vec<(String, TaskInput)>,
        memory_limit: u64,
        block_rows: Option<usize>,
        threads: Option<usize>,
    ) -> Result<TaskPlan, Error> {
        let mut opened: Vec<(String, Opened)> = Vec::with_capacity(inputs.len());
        for (name, input) in inputs {
            if opened.iter().any(|(n, _)| *n == name) {
                return Err(BindError::Duplicate(name).into());
            }
            let o = match input {
                TaskInput::File(spec) => {
                    Opened::Source(io::open(&spec.path, spec.datashape.as_ref())?)
                }
                TaskInput::Chunks(t) => Opened::Chunks(t),
                TaskInput::Memory(t, v) => Opened::Memory(t, v),
            };
            opened.push((name, o));
        }
        let rows = streamed_rows(&opened)?;
        let mut types = Vec::with_capacity(opened.len());
        let mut typed: Vec<(String, Input, bool)> = Vec::with_capacity(opened.len());
        for (name, o) in opened {
            let (mut t, input, given) = match o {
                Opened::Source(s) => {
                    let t = s.datashape();
                    let records = matches!(t.measure, Measure::Record { .. });
                    let by_rows = records
                        || (s.cannot_stream().is_none()
                            && (s.rows().is_none() || s.rows() == Some(rows)));
                    if by_rows && s.rows().is_none() {
                        return Err(program(format!(
                            "the rows of `{name}` ({}) are known only by reading it; a task plan \
                             needs them first: give its datashape with the row count",
                            s.path().display()
                        )));
                    }
                    if by_rows {
                        (t, Input::Rows(s), false)
                    } else {
                        types.push((name.clone(), t));
                        typed.push((name, Input::Whole(s), false));
                        continue;
                    }
                }
                Opened::Chunks(t) => {
                    let c = Chunked {
                        name: PathBuf::from(format!("<chunks of `{name}`>")),
                        t: t.clone(),
                    };
                    (t, Input::Rows(Box::new(c)), true)
                }
                Opened::Memory(t, v) => {
                    types.push((name.clone(), t));
                    typed.push((name, Input::Memory(v), false));
                    continue;
                }
            };
            if let Some(d) = t.dims.first_mut() {
                *d = Dim::TypeVar(ROWS.into());
            }
            types.push((name.clone(), t));
            typed.push((name, input, given));
        }
        let function = check(&Program::expr(source), &types)?
            .into_iter()
            .next()
            .ok_or_else(|| program("the expression gave no function".into()))?;
        let mut names = Vec::with_capacity(typed.len());
        let mut ordered = Vec::with_capacity(typed.len());
        let mut given = Vec::with_capacity(typed.len());
        for (name, _) in &function.params {
            let Some(i) = typed.iter().position(|(n, _, _)| n == name) else {
                return Err(BindError::Missing(name.clone()).into());
            };
            let (n, input, g) = typed.remove(i);
            names.push(n);
            ordered.push(input);
            given.push(g);
        }
        if let Some((name, _, _)) = typed.into_iter().next() {
            return Err(BindError::Unused {
                name,
                function: None,
            }
            .into());
        }
        let plan = plan(&function, &ordered, memory_limit, block_rows)?;
        if plan.slice.is_some() {
            return Err(program(
                "a row slice of a streamed input is not split into tasks; \
                 slice the rows before they reach blaze (or run it with eval)"
                    .into(),
            ));
        }
        let mut whole = Vec::with_capacity(ordered.len());
        for i in &ordered {
            whole.push(match i {
                Input::Whole(s) => Some(s.read_all()?),
                _ => None,
            });
        }
        Ok(TaskPlan {
            plan,
            inputs: ordered,
            names,
            given,
            whole,
            opts: Options {
                threads,
                ..Options::default()
            },
        })
    }

    /// The plan (its `Display` is the task graph `blaze graph` prints).
    pub fn plan(&self) -> &StreamPlan {
        &self.plan
    }

    /// The inputs' names, in the planned function's order.
    pub fn inputs(&self) -> &[String] {
        &self.names
    }

    /// Whether the rows of input `name` come with each block task.
    pub fn is_given(&self, name: &str) -> bool {
        self.names
            .iter()
            .zip(&self.given)
            .any(|(n, g)| n == name && *g)
    }

    /// The rows streamed.
    pub fn rows(&self) -> usize {
        self.plan.rows.unwrap_or(0)
    }

    /// The row range of every block, in order: blocks of the plan's size
    /// that never span the files of a glob; one empty block when there are
    /// no rows.
    pub fn ranges(&self) -> Vec<Range<usize>> {
        let block = self.plan.block.max(1);
        let spans: Vec<usize> = match &self.plan.pieces {
            Some(p) => p.iter().map(|(_, r)| *r).collect(),
            None => vec![self.rows()],
        };
        let mut out = Vec::new();
        let mut at = 0usize;
        for span in spans {
            let end = at.saturating_add(span);
            let mut s = at;
            while s < end {
                let e = s.saturating_add(block).min(end);
                out.push(s..e);
                s = e;
            }
            at = end;
        }
        if out.is_empty() {
            out.push(0..0);
        }
        out
    }

    fn pass(&self, k: usize) -> Result<&Pass, Error> {
        self.plan.passes.get(k).ok_or_else(|| {
            program(format!(
                "pass {k} does not exist: the plan has {} passes",
                self.plan.passes.len()
            ))
        })
    }

    /// The known values before the first pass (the small work it takes,
    /// if any).
    pub fn start(&self) -> Result<Known, Error> {
        let mut known = Known::default();
        if let Some(before) = &self.pass(0)?.before {
            let values = self.small(before, &known)?;
            known.push(&before.roots, values);
        }
        Ok(known)
    }

    /// Pass `pass`'s block function over rows `rows`: the inputs whose
    /// rows come with the tasks are `given` by name (exactly those rows),
    /// the other streamed inputs are read from their files here; values of
    /// earlier passes come from `known`.
    pub fn block(
        &self,
        pass: usize,
        rows: Range<usize>,
        given: &[(&str, Arg<'_>)],
        known: &Known,
    ) -> Result<Partial, Error> {
        let p = self.pass(pass)?;
        if rows.start > rows.end || rows.end > self.rows() {
            return Err(StreamError::Rows(format!(
                "rows {}..{} are not within the {} rows streamed",
                rows.start,
                rows.end,
                self.rows()
            ))
            .into());
        }
        let want = rows.end - rows.start;
        let mut args_given: Vec<Option<&Arg<'_>>> = vec![None; self.names.len()];
        for (name, arg) in given {
            let Some(i) = self.names.iter().position(|n| n == name) else {
                return Err(program(format!("the plan has no input `{name}`")));
            };
            if !self.given[i] {
                return Err(program(format!(
                    "the rows of `{name}` are read from its file, not given"
                )));
            }
            let n = match arg {
                Arg::View(v) => v.shape().first().copied(),
                Arg::Value(v) => value_rows(v),
            };
            if n != Some(want) {
                return Err(StreamError::Rows(format!(
                    "the chunk of `{name}` for rows {}..{} has {} rows",
                    rows.start,
                    rows.end,
                    n.map_or_else(|| "no".into(), |n| n.to_string())
                ))
                .into());
            }
            args_given[i] = Some(arg);
        }
        if let Some(i) = (0..self.names.len()).find(|&i| self.given[i] && args_given[i].is_none()) {
            return Err(program(format!(
                "the rows of `{}` must come with the task",
                self.names[i]
            )));
        }
        let mut readers: Vec<Option<Box<dyn RowReader + '_>>> = Vec::new();
        for (input, g) in self.inputs.iter().zip(&self.given) {
            readers.push(match input {
                Input::Rows(s) if !g => {
                    let mut r = s.blocks_from(rows.start)?;
                    r.prefer_direct(p.block_fn.calls_blas());
                    Some(r)
                }
                _ => None,
            });
        }
        let mut acc: Option<Partial> = None;
        let mut at = rows.start;
        loop {
            let left = rows.end - at;
            let (n, read) = self.read(&mut readers, at, left)?;
            if n < left && args_given.iter().any(Option::is_some) {
                return Err(StreamError::Rows(format!(
                    "rows {}..{} span files of a streamed input; the chunks given with a task \
                     must not",
                    rows.start, rows.end
                ))
                .into());
            }
            let args: Vec<Arg<'_>> = p
                .sources
                .iter()
                .map(|s| match s {
                    Source::Param(i) => match (args_given.get(*i), read.get(*i)) {
                        (Some(Some(a)), _) => Ok((*a).clone()),
                        (_, Some(Some(RowBlock::Array(a)))) => Ok(Arg::View(a.view())),
                        (_, Some(Some(RowBlock::Value(v)))) => Ok(Arg::Value(v)),
                        _ => self.param(*i).map(Arg::Value),
                    },
                    Source::Node(node) => known.get(*node).map(Arg::Value),
                })
                .collect::<Result<_, Error>>()?;
            let (value, _) = p.block_fn.run_args(&args, &self.opts)?;
            drop(args);
            drop(read);
            let part = block_partial(p, value, at, n)?;
            acc = Some(match acc {
                None => part,
                Some(a) => merge(p, a, part)?,
            });
            at += n;
            if at >= rows.end {
                break;
            }
        }
        acc.ok_or_else(|| program("a block task ran no block".into()))
    }

    /// Up to `left` rows of every streamed input read here, from row `at`:
    /// their count and the blocks (one empty block when `left` is 0).
    #[allow(clippy::type_complexity)]
    fn read(
        &self,
        readers: &mut [Option<Box<dyn RowReader + '_>>],
        at: usize,
        left: usize,
    ) -> Result<(usize, Vec<Option<RowBlock>>), Error> {
        let mut read: Vec<Option<RowBlock>> = (0..readers.len()).map(|_| None).collect();
        let mut count: Option<usize> = None;
        // Inputs of several files end their blocks at file boundaries:
        // they are read first, and the others give as many rows.
        let mut order: Vec<usize> = (0..readers.len()).collect();
        order.sort_by_key(|&i| match &self.inputs[i] {
            Input::Rows(s) => s.describe().is_none(),
            _ => true,
        });
        for i in order {
            let Some(r) = readers[i].as_mut() else {
                continue;
            };
            if left == 0 {
                read[i] = Some(r.empty_block()?);
                count = Some(0);
                continue;
            }
            let max = count.unwrap_or(left).max(1);
            match r.next_block(max)? {
                Some((b, n)) if n > 0 && count.is_none_or(|c| c == n) => {
                    count = Some(n);
                    read[i] = Some(b);
                }
                _ => {
                    return Err(StreamError::Rows(format!(
                        "`{}` has fewer rows than the block at row {at} asks for",
                        self.names[i]
                    ))
                    .into())
                }
            }
        }
        Ok((count.unwrap_or(left), read))
    }

    /// An input used whole (read when planned, or in memory).
    fn param(&self, p: usize) -> Result<&Value, Error> {
        match (self.inputs.get(p), self.whole.get(p)) {
            (Some(Input::Memory(v)), _) | (_, Some(Some(v))) => Ok(v),
            _ => Err(program(format!(
                "the streamed input `{}` reached small work",
                self.names.get(p).map_or("?", String::as_str)
            ))),
        }
    }

    /// Two partials of pass `pass` combined, `left` covering the rows
    /// before `right`'s.
    pub fn combine(&self, pass: usize, left: Partial, right: Partial) -> Result<Partial, Error> {
        merge(self.pass(pass)?, left, right)
    }

    /// Pass `pass`'s partial over all rows made final (means divided by
    /// the rows), added to `known` with the small work the next pass takes.
    pub fn finish(&self, pass: usize, partial: Partial, known: &Known) -> Result<Known, Error> {
        let p = self.pass(pass)?;
        check_len(p, &partial)?;
        let mut known = known.clone();
        for ((node, comb), v) in p.frontier.iter().zip(partial.values) {
            match comb {
                Some(Merge::Mean) => {
                    known
                        .nodes
                        .push((node.0, scale(v, 1.0 / partial.rows.max(1) as f64)?));
                }
                Some(_) => known.nodes.push((node.0, v)),
                None => {}
            }
        }
        if let Some(next) = self.plan.passes.get(pass + 1) {
            if let Some(before) = &next.before {
                let values = self.small(before, &known)?;
                known.push(&before.roots, values);
            }
        }
        Ok(known)
    }

    /// The result from the finished passes (for a plan whose result is not
    /// rows; a rows result is the blocks of the last pass).
    pub fn tail(&self, known: &Known) -> Result<Value, Error> {
        let t = self.plan.tail.as_ref().ok_or_else(|| {
            program("the result is rows: it is the last pass's blocks, in order".into())
        })?;
        self.small(t, known)?
            .pop()
            .ok_or_else(|| program("the tail gave no value".into()))
    }

    /// Small work once: one value per root.
    fn small(&self, t: &Tail, known: &Known) -> Result<Vec<Value>, Error> {
        let args: Vec<Arg<'_>> = t
            .sources
            .iter()
            .map(|s| match s {
                Source::Param(p) => self.param(*p).map(Arg::Value),
                Source::Node(n) => known.get(*n).map(Arg::Value),
            })
            .collect::<Result<_, Error>>()?;
        let (value, _) = t.f.run_args(&args, &self.opts)?;
        if t.roots.len() == 1 {
            return Ok(vec![value]);
        }
        match value {
            Value::Tuple(v) if v.len() == t.roots.len() => Ok(v),
            _ => Err(program("small work gave too few values".into())),
        }
    }
}

impl Known {
    fn push(&mut self, roots: &[NodeId], values: Vec<Value>) {
        self.nodes.extend(roots.iter().map(|n| n.0).zip(values));
    }
}

fn check_len(p: &Pass, x: &Partial) -> Result<(), Error> {
    if x.values.len() != p.frontier.len() {
        return Err(program(format!(
            "a partial of this pass has {} values, not {}",
            x.values.len(),
            p.frontier.len()
        )));
    }
    Ok(())
}

/// A block's value split by frontier entry: `argmax`/`argmin` indices
/// made global (the block starts at row `at`), means weighted by the
/// block's `n` rows.
pub(super) fn block_partial(p: &Pass, value: Value, at: usize, n: usize) -> Result<Partial, Error> {
    let mut parts: Vec<Option<Value>> = if p.frontier.len() == 1 {
        vec![Some(value)]
    } else {
        match value {
            Value::Tuple(v) if v.len() == p.frontier.len() => v.into_iter().map(Some).collect(),
            _ => return Err(program("a block gave too few values".into())),
        }
    };
    let mut out: Vec<Option<Value>> = vec![None; parts.len()];
    for (k, (_, comb)) in p.frontier.iter().enumerate() {
        let Some(Merge::Arg {
            max,
            values,
            stride,
        }) = comb
        else {
            continue;
        };
        let idx = parts.get_mut(k).and_then(Option::take);
        let vals = parts.get(*values).and_then(Option::as_ref);
        let (Some(idx), Some(vals)) = (idx, vals) else {
            return Err(program("an argmax partial is missing".into()));
        };
        let offset = at
            .checked_mul(*stride)
            .ok_or_else(|| StreamError::Rows("a flattened row index overflows".into()))?;
        out[k] = Some(combine_arg(*max, None, idx, vals, offset)?);
    }
    for (k, ((_, comb), part)) in p.frontier.iter().zip(parts).enumerate() {
        let Some(part) = part else { continue };
        out[k] = Some(match comb {
            Some(Merge::Mean) => scale(part, n as f64)?,
            _ => part,
        });
    }
    Ok(Partial {
        rows: n,
        values: out.into_iter().flatten().collect(),
    })
}

/// Two partials of pass `p` merged, `l` first: `argmax`/`argmin` by their
/// values (before those merge), the others by their merge, blocks of a
/// rows result joined (or, written to a sink by the executor and left as
/// empty tuples, not kept). The executor merges its blocks with it too.
pub(super) fn merge(p: &Pass, l: Partial, r: Partial) -> Result<Partial, Error> {
    check_len(p, &l)?;
    check_len(p, &r)?;
    let (l_rows, r_rows) = (l.rows, r.rows);
    let rows = l_rows
        .checked_add(r_rows)
        .ok_or_else(|| StreamError::Rows("the row count overflows".into()))?;
    let mut l: Vec<Option<Value>> = l.values.into_iter().map(Some).collect();
    let mut r: Vec<Option<Value>> = r.values.into_iter().map(Some).collect();
    let mut out: Vec<Option<Value>> = vec![None; l.len()];
    let missing = || program("a partial is missing".into());
    for (k, (_, comb)) in p.frontier.iter().enumerate() {
        let Some(Merge::Arg { max, values, .. }) = comb else {
            continue;
        };
        let (li, ri) = (l[k].take(), r[k].take());
        let (lv, rv) = (
            l.get(*values).and_then(Option::as_ref),
            r.get(*values).and_then(Option::as_ref),
        );
        let (Some(li), Some(ri), Some(lv), Some(rv)) = (li, ri, lv, rv) else {
            return Err(missing());
        };
        out[k] = Some(combine_arg(*max, Some((li, lv)), ri, rv, 0)?);
    }
    // Centred products by their means (sums weighted by rows), before
    // those merge.
    for (k, (_, comb)) in p.frontier.iter().enumerate() {
        let Some(Merge::Centred { mean }) = comb else {
            continue;
        };
        let (a, b) = (l[k].take(), r[k].take());
        let (ls, rs) = (
            l.get(*mean).and_then(Option::as_ref),
            r.get(*mean).and_then(Option::as_ref),
        );
        let (Some(a), Some(b), Some(ls), Some(rs)) = (a, b, ls, rs) else {
            return Err(missing());
        };
        out[k] = Some(combine_centred(
            a,
            b,
            (l_rows, &means(ls, l_rows)?),
            (r_rows, &means(rs, r_rows)?),
        )?);
    }
    for (k, (_, comb)) in p.frontier.iter().enumerate() {
        if matches!(comb, Some(Merge::Arg { .. } | Merge::Centred { .. })) {
            continue;
        }
        let (Some(a), Some(b)) = (l[k].take(), r[k].take()) else {
            return Err(missing());
        };
        out[k] = Some(match (comb, a, b) {
            (Some(c), a, b) => combine(*c, a, b)?,
            // Blocks of a rows result that went to a sink, not kept.
            (None, Value::Tuple(a), Value::Tuple(b)) if a.is_empty() && b.is_empty() => {
                Value::Tuple(vec![])
            }
            (None, a, b) => concat_values(vec![a, b])?,
        });
    }
    Ok(Partial {
        rows,
        values: out.into_iter().flatten().collect(),
    })
}

/// The rows streamed: those of the chunks given (all alike), else of the
/// largest file that knows them (by bytes), as a streamed run decides.
fn streamed_rows(opened: &[(String, Opened)]) -> Result<usize, Error> {
    let mut chunk_rows: Option<(String, usize)> = None;
    for (name, o) in opened {
        if let Opened::Chunks(t) = o {
            let Some(Dim::Fixed(n)) = t.dims.first() else {
                return Err(program(format!(
                    "the chunks of `{name}` need a fixed row count, not {t}"
                )));
            };
            let n = *n as usize;
            match &chunk_rows {
                Some((other, m)) if *m != n => {
                    return Err(
                        StreamError::Rows(format!("`{name}` has {n} rows, `{other}` {m}")).into(),
                    )
                }
                _ => chunk_rows = Some((name.clone(), n)),
            }
        }
    }
    if let Some((_, n)) = chunk_rows {
        return Ok(n);
    }
    opened
        .iter()
        .filter_map(|(_, o)| match o {
            Opened::Source(s) if !matches!(s.datashape().measure, Measure::Record { .. }) => {
                s.rows().map(|r| (s.bytes(), r))
            }
            _ => None,
        })
        .max()
        .map(|(_, r)| r)
        .or_else(|| {
            opened.iter().find_map(|(_, o)| match o {
                Opened::Source(s) => s.rows(),
                _ => None,
            })
        })
        .ok_or_else(|| {
            program(
                "no input streams with a known row count: a task plan needs a file or chunks \
                 whose rows are known before they are read"
                    .into(),
            )
        })
}

/// The rows of a value given with a task (its first axis; a record's
/// columns'), `None` for a 0-d value.
fn value_rows(v: &Value) -> Option<usize> {
    match v {
        Value::Array { data, .. } => data.shape().first().copied(),
        Value::Column(c) => c.shape.first().copied(),
        Value::Record(fields) => fields.first().and_then(|(_, f)| value_rows(f)),
        Value::Tuple(_) => None,
    }
}
