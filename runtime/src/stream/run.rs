//! The executor: each pass's block function over blocks of rows, a reader
//! thread one block ahead (blocks are blaze arrays the kernels read in
//! place), partials combined in block order, the small work between passes
//! (the partials a later pass takes as small inputs), a rows result (last
//! pass) written to a [`RowSink`] (by the kernel into a reused buffer when
//! it is the only result), to a table block by block when its elements are
//! not plain numbers, or collected, then the tail.

use super::classify::Merge;
use super::combine::{concat_rows, concat_values, scale};
use super::slice::ReadSlice;
use super::tasks::{block_partial, merge as merge_partials, Partial};
use super::{Input, Pass, Source, StreamPlan, Tail, ROWS};
use crate::error::{Error, OutputError, StreamError};
use crate::exec::{Arg, Options, Report, Spare};
use crate::io::{self, BlockPool, RowBlock, RowReader, RowSink, ValueSink};
use crate::value::from_array;
use blaze_codegen::Dumps;
use blaze_datashape::{Dim, Measure, Scalar};
use blaze_interp::Value;
use blaze_ir::NodeId;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Mutex;
use std::time::Instant;

/// What a streamed run did.
#[derive(Debug)]
pub struct StreamRun {
    /// The result, unless it was written block by block to the output.
    pub value: Option<Value>,
    /// The engine's report: each pass's first block's kernels, calls and
    /// fallbacks, the tail's, and the compile time of all.
    pub report: Report,
    /// Blocks run (over all passes).
    pub blocks: usize,
    /// Rows read (in one pass).
    pub rows: usize,
    /// Seconds the kernels waited for the reader's next block (over all
    /// passes): reading, not computing, set the pace for that long.
    pub read_wait_seconds: f64,
}

/// A block from the reader: its row count and one block per input
/// (`None` for inputs not read by rows).
type Block = Option<(usize, Vec<Option<RowBlock>>)>;

/// Appends what `more` did to `report`.
fn merge(report: &mut Report, more: Report) {
    report.compile_seconds += more.compile_seconds;
    report.kernels.extend(more.kernels);
    report.calls.extend(more.calls);
    report.fallbacks.extend(more.fallbacks);
}

/// Where the rows result of the last pass goes.
struct Sinks<'a> {
    out: Option<&'a Path>,
    writer: Option<Box<dyn RowSink>>,
    table: Option<ValueSink>,
    collected: Vec<Value>,
    pool: BlockPool,
}

/// What the run has so far: inputs used whole, values of earlier passes.
struct Known<'a> {
    inputs: &'a [Input],
    whole: Vec<Option<Value>>,
    nodes: Vec<(NodeId, Value)>,
    nothing: Value,
}

impl Known<'_> {
    fn param(&self, p: usize) -> Option<&Value> {
        match (self.inputs.get(p), self.whole.get(p)) {
            (Some(Input::Memory(v)), _) | (_, Some(Some(v))) => Some(v),
            _ => None,
        }
    }

    fn node(&self, n: NodeId) -> Result<&Value, StreamError> {
        self.nodes
            .iter()
            .rev()
            .find(|(m, _)| *m == n)
            .map(|(_, v)| v)
            .ok_or_else(|| StreamError::Program(format!("the value of %{} is missing", n.0)))
    }

    /// The arguments of small work: inputs used whole and known nodes.
    fn values(&self, sources: &[Source]) -> Result<Vec<Value>, StreamError> {
        sources
            .iter()
            .map(|s| match s {
                Source::Param(p) => self.param(*p).cloned().ok_or_else(|| {
                    StreamError::Program("a streamed input reached the tail".into())
                }),
                Source::Node(n) => self.node(*n).cloned(),
            })
            .collect()
    }
}

impl StreamPlan {
    /// Runs the plan. A rows result goes to `out` when given (and no value
    /// is returned), else it is collected; `progress(rows_done, rows)` is
    /// called after every block (over all passes: a second pass counts its
    /// rows after the first's). `opts.dumps` apply to the first block and
    /// the tail (the kernels are the same for every block).
    pub fn run(
        &self,
        inputs: &[Input],
        out: Option<&Path>,
        opts: &Options,
        progress: &(dyn Fn(usize, Option<usize>) + Sync),
    ) -> Result<StreamRun, Error> {
        // Inputs used whole are read now.
        let mut whole: Vec<Option<Value>> = Vec::with_capacity(inputs.len());
        for i in inputs {
            whole.push(match i {
                Input::Whole(s) => Some(s.read_all()?),
                _ => None,
            });
        }
        let mut known = Known {
            inputs,
            whole,
            nodes: Vec::new(),
            nothing: Value::Tuple(vec![]),
        };
        // A rows result of plain numbers goes to a row sink (any format);
        // of other elements (strings, options, records, …) to a table
        // written from each block's value.
        let plain = matches!(self.result.measure, Measure::Scalar { .. });
        let table = match (out, self.tail.is_none()) {
            (Some(path), true) if !plain => Some(
                io::create_values(path, &self.result)
                    .map_err(|e| Error::Output(OutputError::Io(e)))?,
            ),
            _ => None,
        };
        let writer: Option<Box<dyn RowSink>> = match (out, self.tail.is_none()) {
            (Some(_), true) if !plain => None,
            (Some(path), true) => {
                let (scalar, shape) = self.result_shape(self.rows.unwrap_or(0))?;
                Some(
                    if self.append {
                        io::append::rows_sink(path, scalar, &shape[1..])
                    } else {
                        io::create(path, scalar, &shape[1..], self.rows, self.block)
                    }
                    .map_err(|e| Error::Output(OutputError::Io(e)))?,
                )
            }
            _ => None,
        };
        if writer.is_none() && self.tail.is_none() {
            self.check_whole_result()?;
        }
        let mut sinks = Sinks {
            out,
            writer,
            table,
            collected: Vec::new(),
            pool: BlockPool::new(),
        };
        let mut report = Report::default();
        let mut blocks = 0usize;
        let mut total = 0usize;
        let mut waited = 0f64;
        let count = self.passes.len();
        for (k, pass) in self.passes.iter().enumerate() {
            if let Some(before) = &pass.before {
                let values = self.small(before, &known, opts, &mut report)?;
                known.nodes.extend(before.roots.iter().copied().zip(values));
            }
            let done = k * self.rows.unwrap_or(0);
            let all = self.rows.map(|r| r * count);
            let step = |rows: usize, _: Option<usize>| progress(done + rows, all);
            let (accs, b, rows, w) =
                self.stream_pass(pass, &known, &mut sinks, opts, &mut report, &step)?;
            blocks += b;
            waited += w;
            total = rows;
            for ((node, comb), acc) in pass.frontier.iter().zip(accs) {
                let Some(c) = comb else { continue };
                let Some(a) = acc else {
                    return Err(StreamError::Rows(
                        "the streamed inputs have no rows to reduce over".into(),
                    )
                    .into());
                };
                // Means are summed weighted by their rows and divided by
                // all rows at the end.
                let a = if *c == Merge::Mean {
                    scale(a, 1.0 / rows.max(1) as f64)?
                } else {
                    a
                };
                known.nodes.push((*node, a));
            }
        }
        let done = |value, report| StreamRun {
            value,
            report,
            blocks,
            rows: total,
            read_wait_seconds: waited,
        };
        if let Some(w) = sinks.writer {
            w.finish(total)
                .map_err(|e| Error::Output(OutputError::Io(e)))?;
            return Ok(done(None, report));
        }
        if let Some(t) = sinks.table {
            t.finish().map_err(|e| Error::Output(OutputError::Io(e)))?;
            return Ok(done(None, report));
        }
        match &self.tail {
            None => {
                let value = if sinks.collected.is_empty() {
                    Value::from(concat_rows(&[], self.result_shape(total)?)?)
                } else {
                    concat_values(sinks.collected)?
                };
                Ok(done(Some(value), report))
            }
            Some(t) => {
                let mut values = self.small(t, &known, opts, &mut report)?;
                let value = values.pop().ok_or_else(|| {
                    Error::from(StreamError::Program("the tail gave no value".into()))
                })?;
                Ok(done(Some(value), report))
            }
        }
    }

    /// Runs small work once (between passes, or the tail): one value per
    /// root.
    fn small(
        &self,
        t: &Tail,
        known: &Known<'_>,
        opts: &Options,
        report: &mut Report,
    ) -> Result<Vec<Value>, Error> {
        let args = known.values(&t.sources)?;
        let (value, r) = t.f.run(&args, opts)?;
        merge(report, r);
        if t.roots.len() == 1 {
            return Ok(vec![value]);
        }
        match value {
            Value::Tuple(v) if v.len() == t.roots.len() => Ok(v),
            _ => Err(StreamError::Program("small work gave too few values".into()).into()),
        }
    }

    /// One pass over the rows: the accumulated partials of its frontier
    /// (`None` for a rows result), the blocks and rows it ran, and the
    /// seconds its kernels waited for blocks.
    #[allow(clippy::type_complexity)]
    fn stream_pass(
        &self,
        pass: &Pass,
        known: &Known<'_>,
        sinks: &mut Sinks<'_>,
        opts: &Options,
        report: &mut Report,
        progress: &(dyn Fn(usize, Option<usize>) + Sync),
    ) -> Result<(Vec<Option<Value>>, usize, usize, f64), Error> {
        let threads = opts.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        if pass.parallel && threads >= 2 {
            return self.stream_pass_two(pass, known, sinks, opts, threads, report, progress);
        }
        let later = Options {
            dumps: Dumps::default(),
            ..opts.clone()
        };
        let inputs = known.inputs;
        let mut acc: Option<Partial> = None;
        let block = self.block;
        let slice = self.slice;
        // A pass on BLAS reads its cold blocks with O_DIRECT.
        let direct = pass.block_fn.calls_blas();
        let mut total = 0usize;
        let mut blocks = 0usize;
        let mut waited = 0f64;
        let mut spare = Spare::default();
        std::thread::scope(|scope| -> Result<(), Error> {
            let (tx, rx) = sync_channel::<Result<Block, Error>>(1);
            scope.spawn(move || {
                if let Err(e) = read_blocks(inputs, block, slice, direct, &tx) {
                    let _ = tx.send(Err(e));
                }
            });
            loop {
                let t_wait = Instant::now();
                let next = rx
                    .recv()
                    .map_err(|_| StreamError::Program("the reader stopped".into()))??;
                waited += t_wait.elapsed().as_secs_f64();
                let Some((n, read)) = next else { break };
                let r0 = total;
                let args = block_args(pass, known, &read)?;
                let run_opts = if blocks == 0 { opts } else { &later };
                // A rows result alone, written to a file: the kernel writes
                // it into a reused buffer, which the sink writes from.
                let direct = sinks.writer.is_some()
                    && n > 0
                    && pass.frontier.len() == 1
                    && pass.frontier[0].1.is_none();
                // A sink that lends its buffers: the kernel writes the
                // rows where they go to the disk from.
                let lent = match (&mut sinks.writer, direct) {
                    (Some(w), true) => w
                        .rows_buffer(r0, n)
                        .map_err(|e| Error::Output(OutputError::Io(e)))?,
                    _ => None,
                };
                if let (Some(mut buf), Some(w)) = (lent, &mut sinks.writer) {
                    let r = pass.block_fn.run_into(&args, buf.view_mut(), run_opts)?;
                    w.write_buffer(buf)
                        .map_err(|e| Error::Output(OutputError::Io(e)))?;
                    if blocks == 0 {
                        merge(report, r);
                    } else {
                        report.compile_seconds += r.compile_seconds;
                    }
                    blocks += 1;
                    total += n;
                    progress(total, self.rows);
                    continue;
                }
                let (value, r, written) = match (sinks.out, direct) {
                    (Some(path), true) => {
                        let (scalar, shape) = self.result_shape(n)?;
                        let mut r = Report::default();
                        let rows = sinks.pool.write::<Error>(path, scalar, &shape, |view| {
                            r = pass.block_fn.run_into(&args, view, run_opts)?;
                            Ok(())
                        })?;
                        (Value::Tuple(vec![]), r, Some(rows))
                    }
                    _ => {
                        let (value, r) = pass
                            .block_fn
                            .run_args_reusing(&args, run_opts, &mut spare)?;
                        (value, r, None)
                    }
                };
                if blocks == 0 {
                    merge(report, r);
                } else {
                    report.compile_seconds += r.compile_seconds;
                }
                blocks += 1;
                // The input blocks are spent: their buffers go back to the
                // readers' pools.
                drop(args);
                drop(read);
                if let (Some(rows), Some(w)) = (written, &mut sinks.writer) {
                    w.write_rows(r0, &rows.view())
                        .map_err(|e| Error::Output(OutputError::Io(e)))?;
                    total += n;
                    progress(total, self.rows);
                    continue;
                }
                self.take_block(pass, &mut acc, sinks, r0, n, value)?;
                total += n;
                progress(total, self.rows);
            }
            Ok(())
        })?;
        Ok((values(pass, acc), blocks, total, waited))
    }

    /// A pass of partials run on two worker threads, each block on half
    /// the threads (its kernels and its BLAS calls): a worker takes the
    /// next block as soon as it is free, so a core slowed by other work
    /// holds up only its own block, while the reader reads ahead. This
    /// thread merges the partials in block order, as one block at a time
    /// would: a block's partial does not depend on the threads it ran on
    /// (BLAS's reductions over the rows of a block do not split by
    /// thread), so neither does the result. At most three blocks' partials
    /// wait for their turn, and each worker keeps the arrays of its last
    /// block for its next ([`Spare`]).
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn stream_pass_two(
        &self,
        pass: &Pass,
        known: &Known<'_>,
        sinks: &mut Sinks<'_>,
        opts: &Options,
        threads: usize,
        report: &mut Report,
        progress: &(dyn Fn(usize, Option<usize>) + Sync),
    ) -> Result<(Vec<Option<Value>>, usize, usize, f64), Error> {
        const WORKERS: usize = 2;
        let first = Options {
            threads: Some((threads / WORKERS).max(1)),
            ..opts.clone()
        };
        let later = Options {
            dumps: Dumps::default(),
            ..first.clone()
        };
        let inputs = known.inputs;
        let mut acc: Option<Partial> = None;
        let (block, slice) = (self.block, self.slice);
        let mut total = 0usize;
        let mut blocks = 0usize;
        let (tx, rx) = sync_channel::<Result<Block, Error>>(1);
        let feed = Mutex::new(Feed {
            rx: Some(rx),
            next: 0,
            rows: 0,
            ended: false,
            waited: 0.0,
        });
        // A block is taken with a ticket, given back once its partial is
        // merged: partials waiting for an earlier block stay few.
        let (ticket, tickets) = sync_channel::<()>(WORKERS + 1);
        for _ in 0..=WORKERS {
            let _ = ticket.send(());
        }
        let tickets = Mutex::new(tickets);
        std::thread::scope(|scope| -> Result<(), Error> {
            scope.spawn(move || {
                if let Err(e) = read_blocks(inputs, block, slice, true, &tx) {
                    let _ = tx.send(Err(e));
                }
            });
            let (done, results) = sync_channel::<Done>(WORKERS + 1);
            for _ in 0..WORKERS {
                let done = done.clone();
                let (feed, tickets, first, later) = (&feed, &tickets, &first, &later);
                scope.spawn(move || {
                    let mut spare = Spare::default();
                    loop {
                        let ticket = tickets.lock().map(|t| t.recv());
                        if !matches!(ticket, Ok(Ok(()))) {
                            return;
                        }
                        let msg = match take(feed) {
                            Ok(Some((i, r0, n, read))) => {
                                let o = if i == 0 { first } else { later };
                                let r = block_args(pass, known, &read)
                                    .map_err(Error::from)
                                    .and_then(|args| {
                                        pass.block_fn.run_args_reusing(&args, o, &mut spare)
                                    });
                                drop(read);
                                Done::Block { i, r0, n, r }
                            }
                            Ok(None) => Done::End,
                            Err(e) => Done::Failed(e),
                        };
                        let last = !matches!(msg, Done::Block { .. });
                        if done.send(msg).is_err() || last {
                            return;
                        }
                    }
                });
            }
            drop(done);
            let ticket = ticket;
            let mut merge_in_order = || -> Result<(), Error> {
                let mut waiting: BTreeMap<usize, (usize, usize, Result<(Value, Report), Error>)> =
                    BTreeMap::new();
                let mut ended = 0;
                while ended < WORKERS {
                    match results.recv() {
                        Ok(Done::Block { i, r0, n, r }) => {
                            waiting.insert(i, (r0, n, r));
                        }
                        Ok(Done::End) => ended += 1,
                        Ok(Done::Failed(e)) => return Err(e),
                        Err(_) => {
                            return Err(
                                StreamError::Program("a block's thread failed".into()).into()
                            )
                        }
                    }
                    while let Some((r0, n, r)) = waiting.remove(&blocks) {
                        let (value, r) = r?;
                        if blocks == 0 {
                            merge(report, r);
                        } else {
                            report.compile_seconds += r.compile_seconds;
                        }
                        blocks += 1;
                        self.take_block(pass, &mut acc, sinks, r0, n, value)?;
                        total += n;
                        progress(total, self.rows);
                        let _ = ticket.send(());
                    }
                }
                if !waiting.is_empty() {
                    return Err(StreamError::Program("a block's partial is missing".into()).into());
                }
                Ok(())
            };
            let merged = merge_in_order();
            // Done, or failed: the workers stop at their next ticket, and
            // the reader at its next block.
            drop(ticket);
            if let Ok(mut f) = feed.lock() {
                f.rx = None;
            }
            merged
        })?;
        let feed = feed.into_inner().unwrap_or_else(|e| e.into_inner());
        // The workers waited together: the time one core stood idle.
        Ok((
            values(pass, acc),
            blocks,
            total,
            feed.waited / WORKERS as f64,
        ))
    }

    /// A block's value into the pass's accumulated partial (merged in
    /// block order as the tasks of a [`TaskPlan`](super::TaskPlan) merge
    /// theirs) and, a rows result, to its sink; `r0` is the block's first
    /// row, `n` its rows.
    fn take_block(
        &self,
        pass: &Pass,
        acc: &mut Option<Partial>,
        sinks: &mut Sinks<'_>,
        r0: usize,
        n: usize,
        value: Value,
    ) -> Result<(), Error> {
        let mut part = block_partial(pass, value, r0, n)?;
        if let Some(k) = pass.frontier.iter().position(|(_, c)| c.is_none()) {
            let rows = std::mem::replace(&mut part.values[k], Value::Tuple(vec![]));
            self.rows_part(sinks, r0, rows)?;
        }
        *acc = Some(match acc.take() {
            None => part,
            Some(a) => merge_partials(pass, a, part)?,
        });
        Ok(())
    }

    /// A block of the rows result to its sink, or collected.
    fn rows_part(&self, sinks: &mut Sinks<'_>, r0: usize, part: Value) -> Result<(), Error> {
        if let Some(t) = sinks.table.as_mut() {
            return t
                .write_value(&part)
                .map_err(|e| Error::Output(OutputError::Io(e)));
        }
        let Some(w) = &mut sinks.writer else {
            sinks.collected.push(part);
            return Ok(());
        };
        let Value::Array {
            data,
            missing: None,
        } = part
        else {
            return Err(StreamError::Program(
                "a streamed result must be a plain array (no missing values)".into(),
            )
            .into());
        };
        let rows = from_array(data)
            .map_err(|e| StreamError::Program(format!("a block of the result: {e}")))?;
        w.write_rows(r0, &rows.view())
            .map_err(|e| Error::Output(OutputError::Io(e)))
    }

    /// A rows result that is not written to a file is held whole: before
    /// any block runs, its size is checked against the memory limit.
    fn check_whole_result(&self) -> Result<(), Error> {
        let Some(rows) = self.rows else {
            return Ok(());
        };
        let Ok((scalar, shape)) = self.result_shape(rows) else {
            return Ok(());
        };
        let bytes = shape.iter().try_fold(scalar.size_bytes() as u128, |b, &d| {
            b.checked_mul(d as u128)
        });
        match bytes {
            Some(b) if b <= self.limit as u128 => Ok(()),
            _ => Err(Error::Memory {
                limit: self.limit,
                reason: StreamError::Program(format!(
                    "the result ({}) needs {} and is held whole, not written by blocks to a file",
                    blaze_array::alloc::describe(&shape, scalar),
                    bytes.map_or_else(
                        || "more than the address space".into(),
                        blaze_array::alloc::human
                    )
                )),
            }),
        }
    }

    fn result_shape(&self, rows: usize) -> Result<(Scalar, Vec<usize>), StreamError> {
        let scalar = match &self.result.measure {
            Measure::Scalar { scalar } => *scalar,
            other => {
                return Err(StreamError::Program(format!(
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
                    return Err(StreamError::Program(format!(
                        "the result's dimension {other} is not known before the run"
                    )))
                }
            });
        }
        Ok((scalar, shape))
    }
}

/// A pass's accumulated partial as one value per frontier entry (`None`
/// when no block ran).
fn values(pass: &Pass, acc: Option<Partial>) -> Vec<Option<Value>> {
    match acc {
        Some(p) => p.values.into_iter().map(Some).collect(),
        None => vec![None; pass.frontier.len()],
    }
}

/// The reader's side of [`StreamPlan::stream_pass_two`], shared by its
/// workers: the blocks, the index and first row of the next one, whether
/// the end was seen, and the seconds the workers waited for blocks.
struct Feed {
    rx: Option<Receiver<Result<Block, Error>>>,
    next: usize,
    rows: usize,
    ended: bool,
    waited: f64,
}

/// What a worker of [`StreamPlan::stream_pass_two`] reports (one per
/// block, moved once: not worth a box).
#[allow(clippy::large_enum_variant)]
enum Done {
    /// Block `i` (first row `r0`, `n` rows) ran.
    Block {
        i: usize,
        r0: usize,
        n: usize,
        r: Result<(Value, Report), Error>,
    },
    /// No block is left.
    End,
    /// Reading failed.
    Failed(Error),
}

/// The next block with its index and first row, `None` at the end.
#[allow(clippy::type_complexity)]
fn take(feed: &Mutex<Feed>) -> Result<Option<(usize, usize, usize, Vec<Option<RowBlock>>)>, Error> {
    let t = Instant::now();
    let mut f = feed
        .lock()
        .map_err(|_| StreamError::Program("a block's thread failed".into()))?;
    let got = match f.rx.as_ref() {
        Some(rx) => rx.recv(),
        None => return Ok(None),
    };
    f.waited += t.elapsed().as_secs_f64();
    match got {
        Ok(Ok(Some((n, read)))) => {
            let (i, r0) = (f.next, f.rows);
            f.next += 1;
            f.rows += n;
            Ok(Some((i, r0, n, read)))
        }
        Ok(Ok(None)) => {
            f.ended = true;
            Ok(None)
        }
        Ok(Err(e)) => Err(e),
        Err(_) if f.ended => Ok(None),
        Err(_) => Err(StreamError::Program("the reader stopped".into()).into()),
    }
}

/// The arguments of a pass's block function for one block: array blocks as
/// views, read in place; inputs used whole and earlier passes' values lent,
/// not cloned.
fn block_args<'a>(
    pass: &Pass,
    known: &'a Known<'_>,
    read: &'a [Option<RowBlock>],
) -> Result<Vec<Arg<'a>>, StreamError> {
    pass.sources
        .iter()
        .map(|s| {
            Ok(match s {
                Source::Param(p) => match read.get(*p) {
                    Some(Some(RowBlock::Array(a))) => Arg::View(a.view()),
                    Some(Some(RowBlock::Value(v))) => Arg::Value(v),
                    _ => Arg::Value(known.param(*p).unwrap_or(&known.nothing)),
                },
                Source::Node(node) => Arg::Value(known.node(*node)?),
            })
        })
        .collect()
}

/// The reader thread: blocks of every streamed input, in order, until
/// they end (together: inputs that end at different rows are an error),
/// through the row slice when there is one (input rows `block` at a time,
/// narrowed to the slice's rows).
fn read_blocks(
    inputs: &[Input],
    block: usize,
    slice: Option<ReadSlice>,
    direct: bool,
    tx: &std::sync::mpsc::SyncSender<Result<Block, Error>>,
) -> Result<(), Error> {
    let mut readers: Vec<Option<Box<dyn RowReader + '_>>> = Vec::with_capacity(inputs.len());
    for i in inputs {
        readers.push(match i {
            Input::Rows(s) => Some(match slice {
                Some(sl) if sl.start > 0 => s.blocks_from(sl.start)?,
                _ => s.blocks()?,
            }),
            Input::Memory(_) | Input::Whole(_) => None,
        });
    }
    for r in readers.iter_mut().flatten() {
        r.prefer_direct(direct);
    }
    // Inputs of several files end their blocks at file boundaries: they
    // are read first, and the others give as many rows.
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&i| match &inputs[i] {
        Input::Rows(s) => s.describe().is_none(),
        Input::Memory(_) | Input::Whole(_) => true,
    });
    // Input rows read, and rows sent (of the slice).
    let mut at = slice.map_or(0, |s| s.start);
    let mut sent = 0usize;
    loop {
        let want = match slice {
            Some(s) => s.request(at, block),
            None => block,
        };
        let mut read: Vec<Option<RowBlock>> = (0..readers.len()).map(|_| None).collect();
        let mut counts: Vec<usize> = Vec::new();
        if want > 0 {
            for &i in &order {
                let Some(r) = &mut readers[i] else {
                    continue;
                };
                let max = counts.iter().copied().min().unwrap_or(want).max(1);
                match r.next_block(max)? {
                    Some((v, n)) => {
                        counts.push(n);
                        read[i] = Some(v);
                    }
                    None => counts.push(0),
                }
            }
        }
        let n = counts.first().copied().unwrap_or(0);
        if counts.iter().any(|&c| c != n) {
            return Err(StreamError::Rows(format!(
                "the streamed inputs have different numbers of rows (one ends at row {}, another goes on)",
                at + counts.iter().copied().min().unwrap_or(0)
            ))
            .into());
        }
        if n == 0 {
            if sent == 0 {
                // No rows at all: one empty block, so reductions give what
                // they give on empty arrays.
                let empty: Vec<Option<RowBlock>> = readers
                    .iter_mut()
                    .map(|r| r.as_mut().map(|r| r.empty_block()).transpose())
                    .collect::<Result<_, _>>()?;
                if tx.send(Ok(Some((0, empty)))).is_err() {
                    return Ok(());
                }
            }
            // A slice that stops early leaves the rest unread and
            // unchecked.
            if want > 0 {
                for r in readers.iter_mut().flatten() {
                    r.finish()?;
                }
            }
            let _ = tx.send(Ok(None));
            return Ok(());
        }
        let (read, m) = match slice {
            None => (read, n),
            Some(s) => {
                let mut m = 0;
                let mut narrowed = Vec::with_capacity(read.len());
                for b in read {
                    narrowed.push(match b {
                        Some(b) => {
                            let (b, k) = s.narrow(b, at, n)?;
                            m = k;
                            Some(b)
                        }
                        None => None,
                    });
                }
                (narrowed, m)
            }
        };
        at += n;
        if m == 0 {
            continue;
        }
        if tx.send(Ok(Some((m, read)))).is_err() {
            return Ok(());
        }
        sent += m;
    }
}
