//! The executor: the block function over blocks of rows, a reader thread
//! one block ahead (blocks are blaze arrays the kernels read in place),
//! partials combined in block order, a rows result written to a
//! [`RowSink`] (by the kernel into a reused buffer when it is the only
//! result), to a table block by block when its elements are not plain
//! numbers, or collected, then the tail.

use super::classify::Merge;
use super::{Input, StreamPlan, ROWS};
use crate::error::{Error, OutputError, StreamError};
use crate::exec::{Arg, Options, Report};
use crate::io::rows::join_rows;
use crate::io::{self, BlockPool, RowBlock, RowReader, RowSink};
use crate::value::from_array;
use blaze_codegen::Dumps;
use blaze_datashape::{Dim, Measure, Scalar};
use blaze_interp::{kernels, Array, EvalError, Value};
use blaze_ir::analysis::ParamSource;
use blaze_ir::ops::BinaryFn;
use std::path::Path;
use std::sync::mpsc::sync_channel;

/// What a streamed run did.
#[derive(Debug)]
pub struct StreamRun {
    /// The result, unless it was written block by block to the output.
    pub value: Option<Value>,
    /// The engine's report: the first block's kernels, calls and
    /// fallbacks, the tail's, and the compile time of all.
    pub report: Report,
    /// Blocks run.
    pub blocks: usize,
    /// Rows read.
    pub rows: usize,
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

impl StreamPlan {
    /// Runs the plan. A rows result goes to `out` when given (and no value
    /// is returned), else it is collected; `progress(rows_done, rows)` is
    /// called after every block. `opts.dumps` apply to the first block and
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
        let whole_value = |p: usize| -> Option<&Value> {
            match (&inputs[p], &whole[p]) {
                (Input::Memory(v), _) | (_, Some(v)) => Some(v),
                _ => None,
            }
        };
        let nothing = Value::Tuple(vec![]);
        // A rows result of plain numbers goes to a row sink (any format);
        // of other elements (strings, options, records, …) to a table
        // written from each block's value.
        let plain = matches!(self.result.measure, Measure::Scalar { .. });
        let mut table = match (out, self.tail.is_none()) {
            (Some(path), true) if !plain => Some(
                io::create_values(path, &self.result)
                    .map_err(|e| Error::Output(OutputError::Io(e)))?,
            ),
            _ => None,
        };
        let mut writer: Option<Box<dyn RowSink>> = match (out, self.tail.is_none()) {
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
        let later = Options {
            dumps: Dumps::default(),
            ..opts.clone()
        };
        let mut report = Report::default();
        let mut collected: Vec<Value> = Vec::new();
        let mut acc: Vec<Option<Value>> = vec![None; self.frontier.len()];
        let block = self.block;
        let mut total = 0usize;
        let mut blocks = 0usize;
        let mut out_pool = BlockPool::new();
        std::thread::scope(|scope| -> Result<(), Error> {
            let (tx, rx) = sync_channel::<Result<Block, Error>>(1);
            scope.spawn(move || {
                if let Err(e) = read_blocks(inputs, block, &tx) {
                    let _ = tx.send(Err(e));
                }
            });
            while let Some((n, read)) = rx
                .recv()
                .map_err(|_| StreamError::Program("the reader stopped".into()))??
            {
                let r0 = total;
                // Array blocks reach the kernels as views, read in place;
                // inputs used whole are lent, not cloned.
                let args: Vec<Arg<'_>> = self
                    .block_params
                    .iter()
                    .map(|&p| match &read[p] {
                        Some(RowBlock::Array(a)) => Arg::View(a.view()),
                        Some(RowBlock::Value(v)) => Arg::Value(v),
                        None => Arg::Value(whole_value(p).unwrap_or(&nothing)),
                    })
                    .collect();
                let run_opts = if blocks == 0 { opts } else { &later };
                // A rows result alone, written to a file: the kernel writes
                // it into a reused buffer, which the sink writes from.
                let direct = writer.is_some()
                    && n > 0
                    && self.frontier.len() == 1
                    && self.frontier[0].1.is_none();
                let (value, r, written) = match (out, direct) {
                    (Some(path), true) => {
                        let (scalar, shape) = self.result_shape(n)?;
                        let mut r = Report::default();
                        let rows = out_pool.write::<Error>(path, scalar, &shape, |view| {
                            r = self.block_fn.run_into(&args, view, run_opts)?;
                            Ok(())
                        })?;
                        (Value::Tuple(vec![]), r, Some(rows))
                    }
                    _ => {
                        let (value, r) = self.block_fn.run_args(&args, run_opts)?;
                        (value, r, None)
                    }
                };
                if blocks == 0 {
                    merge(&mut report, r);
                } else {
                    report.compile_seconds += r.compile_seconds;
                }
                blocks += 1;
                // The input blocks are spent: their buffers go back to the
                // readers' pools.
                drop(args);
                drop(read);
                if let (Some(rows), Some(w)) = (written, &mut writer) {
                    w.write_rows(r0, &rows.view())
                        .map_err(|e| Error::Output(OutputError::Io(e)))?;
                    total += n;
                    progress(total, self.rows);
                    continue;
                }
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
                            let part = if *c == Merge::Mean {
                                scale(part, n as f64)?
                            } else {
                                part
                            };
                            acc[k] = Some(match acc[k].take() {
                                None => part,
                                Some(a) => combine(*c, a, part)?,
                            });
                        }
                        None if table.is_some() => {
                            if let Some(t) = table.as_mut() {
                                t.write_value(&part)
                                    .map_err(|e| Error::Output(OutputError::Io(e)))?;
                            }
                        }
                        None if writer.is_none() => collected.push(part),
                        None => {
                            let Value::Array {
                                data,
                                missing: None,
                            } = part
                            else {
                                return Err(StreamError::Program(
                                    "a streamed result must be a plain array (no missing values)"
                                        .into(),
                                )
                                .into());
                            };
                            match &mut writer {
                                Some(w) => {
                                    let rows = from_array(data).map_err(|e| {
                                        StreamError::Program(format!("a block of the result: {e}"))
                                    })?;
                                    w.write_rows(r0, &rows.view())
                                        .map_err(|e| Error::Output(OutputError::Io(e)))?
                                }
                                None => collected.push(Value::from(data)),
                            }
                        }
                    }
                }
                total += n;
                progress(total, self.rows);
            }
            Ok(())
        })?;
        for (k, (_, comb)) in self.frontier.iter().enumerate() {
            if *comb == Some(Merge::Mean) {
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
            return Err(StreamError::Rows(
                "the streamed inputs have no rows to reduce over".into(),
            )
            .into());
        }
        let done = |value, report| StreamRun {
            value,
            report,
            blocks,
            rows: total,
        };
        if let Some(w) = writer {
            w.finish(total)
                .map_err(|e| Error::Output(OutputError::Io(e)))?;
            return Ok(done(None, report));
        }
        if let Some(t) = table {
            t.finish().map_err(|e| Error::Output(OutputError::Io(e)))?;
            return Ok(done(None, report));
        }
        match &self.tail {
            None => {
                let value = if collected.is_empty() {
                    Value::from(concat_rows(&[], self.result_shape(total)?)?)
                } else {
                    concat_values(collected)?
                };
                Ok(done(Some(value), report))
            }
            Some(t) => {
                let args: Vec<Value> = t
                    .sources
                    .iter()
                    .map(|s| match s {
                        ParamSource::Param(p) => whole_value(*p).cloned().ok_or_else(|| {
                            StreamError::Program("a streamed input reached the tail".into())
                        }),
                        ParamSource::Cut(k) => acc[*k].clone().ok_or_else(|| {
                            StreamError::Program("a partial result is missing".into())
                        }),
                    })
                    .collect::<Result<_, _>>()?;
                let (value, r) = t.f.run(&args, opts)?;
                merge(&mut report, r);
                Ok(done(Some(value), report))
            }
        }
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

/// The reader thread: blocks of every streamed input, in order, until
/// they end (together: inputs that end at different rows are an error).
fn read_blocks(
    inputs: &[Input],
    block: usize,
    tx: &std::sync::mpsc::SyncSender<Result<Block, Error>>,
) -> Result<(), Error> {
    let mut readers: Vec<Option<Box<dyn RowReader + '_>>> = Vec::with_capacity(inputs.len());
    for i in inputs {
        readers.push(match i {
            Input::Rows(s) => Some(s.blocks()?),
            Input::Memory(_) | Input::Whole(_) => None,
        });
    }
    // Inputs of several files end their blocks at file boundaries: they
    // are read first, and the others give as many rows.
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&i| match &inputs[i] {
        Input::Rows(s) => s.describe().is_none(),
        Input::Memory(_) | Input::Whole(_) => true,
    });
    let mut r0 = 0;
    let mut sent_empty = false;
    loop {
        let mut read: Vec<Option<RowBlock>> = (0..readers.len()).map(|_| None).collect();
        let mut counts: Vec<usize> = Vec::new();
        for &i in &order {
            let Some(r) = &mut readers[i] else {
                continue;
            };
            let max = counts.iter().copied().min().unwrap_or(block).max(1);
            match r.next_block(max)? {
                Some((v, n)) => {
                    counts.push(n);
                    read[i] = Some(v);
                }
                None => counts.push(0),
            }
        }
        let n = counts.first().copied().unwrap_or(0);
        if counts.iter().any(|&c| c != n) {
            return Err(StreamError::Rows(format!(
                "the streamed inputs have different numbers of rows (one ends at row {}, another goes on)",
                r0 + counts.iter().copied().min().unwrap_or(0)
            ))
            .into());
        }
        if n == 0 && r0 == 0 && !sent_empty {
            // No rows at all: one empty block, so reductions give what
            // they give on empty arrays.
            sent_empty = true;
            let empty: Vec<Option<RowBlock>> = readers
                .iter_mut()
                .map(|r| r.as_mut().map(|r| r.empty_block()).transpose())
                .collect::<Result<_, _>>()?;
            if tx.send(Ok(Some((0, empty)))).is_err() {
                return Ok(());
            }
            continue;
        }
        if n == 0 {
            for r in readers.iter_mut().flatten() {
                r.finish()?;
            }
            let _ = tx.send(Ok(None));
            return Ok(());
        }
        if tx.send(Ok(Some((n, read)))).is_err() {
            return Ok(());
        }
        r0 += n;
    }
}

/// Blocks of a rows result joined along their rows: arrays (with their
/// missing masks), columns in Arrow's layout (concatenated), records field
/// by field.
fn concat_values(parts: Vec<Value>) -> Result<Value, Error> {
    let bad = |what: &str| -> Error {
        StreamError::Program(format!("blocks of the result differ: {what}")).into()
    };
    match parts.first() {
        Some(Value::Array { .. }) => {
            let mut data = Vec::with_capacity(parts.len());
            let mut masks = Vec::with_capacity(parts.len());
            let mut any_mask = false;
            for p in parts {
                let Value::Array { data: d, missing } = p else {
                    return Err(bad("an array and something else"));
                };
                any_mask |= missing.is_some();
                masks.push(missing.unwrap_or_else(|| {
                    ndarray::ArrayD::from_elem(ndarray::IxDyn(d.shape()), false)
                }));
                data.push(d);
            }
            let data = join_rows(&data).map_err(|m| Error::Eval(EvalError::Shape(m)))?;
            let missing = if any_mask {
                let views: Vec<_> = masks.iter().map(|m| m.view()).collect();
                Some(
                    ndarray::concatenate(ndarray::Axis(0), &views)
                        .map_err(|e| Error::Eval(EvalError::Shape(e.to_string())))?,
                )
            } else {
                None
            };
            Ok(Value::Array { data, missing })
        }
        Some(Value::Column(first)) => {
            let rest: Vec<usize> = first.shape.iter().skip(1).copied().collect();
            let mut arrays = Vec::with_capacity(parts.len());
            let mut rows = 0usize;
            for p in &parts {
                let Value::Column(c) = p else {
                    return Err(bad("a column and something else"));
                };
                if c.shape.get(1..) != Some(rest.as_slice()) {
                    return Err(bad("column shapes"));
                }
                rows += c.shape.first().copied().unwrap_or(1);
                arrays.push(c.array.as_ref());
            }
            let array = arrow_select::concat::concat(&arrays)
                .map_err(|e| Error::Eval(EvalError::Value(format!("joining blocks: {e}"))))?;
            let mut shape = vec![rows];
            shape.extend(rest);
            Ok(Value::Column(blaze_interp::Column::new(shape, array)?))
        }
        Some(Value::Record(first)) => {
            let names: Vec<String> = first.iter().map(|(n, _)| n.clone()).collect();
            let mut columns: Vec<Vec<Value>> = vec![Vec::new(); names.len()];
            for p in parts {
                let Value::Record(fields) = p else {
                    return Err(bad("a record and something else"));
                };
                if fields.len() != names.len() {
                    return Err(bad("record fields"));
                }
                for (k, (_, v)) in fields.into_iter().enumerate() {
                    columns[k].push(v);
                }
            }
            let fields = names
                .into_iter()
                .zip(columns)
                .map(|(n, vs)| Ok((n, concat_values(vs)?)))
                .collect::<Result<Vec<_>, Error>>()?;
            Ok(Value::Record(fields))
        }
        Some(Value::Tuple(_)) => Err(bad("a tuple result is not rows")),
        None => Err(bad("no blocks")),
    }
}

/// Two partial decimal results (0-d or equal-shaped `Decimal128` columns)
/// combined exactly: `+` for sums, the smaller or larger for `min` and
/// `max`; a missing partial (a block without values) gives way to the
/// other.
fn combine_decimals(
    c: Merge,
    a: &blaze_interp::Column,
    b: &blaze_interp::Column,
) -> Result<Value, Error> {
    use blaze_interp::kernels::decimal;
    let (xs, pa, sa) = decimal::decimals(a.array.as_ref())?;
    let (ys, pb, sb) = decimal::decimals(b.array.as_ref())?;
    if xs.len() != ys.len() || (pa, sa) != (pb, sb) {
        return Err(StreamError::Program("partial decimal results differ in type".into()).into());
    }
    let out = xs
        .into_iter()
        .zip(ys)
        .map(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => Ok(Some(match c {
                Merge::Add => decimal::arith(BinaryFn::Add, (x, sa), (y, sb), (pa, sa))?,
                Merge::Min => x.min(y),
                Merge::Max => x.max(y),
                _ => {
                    return Err(Error::from(StreamError::Program(
                        "decimals combine by sum, min or max only".into(),
                    )))
                }
            })),
            (x, None) => Ok(x),
            (None, y) => Ok(y),
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let array = decimal::decimal_array(out, pa, sa)?;
    Ok(Value::Column(blaze_interp::Column::new(
        a.shape.clone(),
        array,
    )?))
}

fn arr(v: Value) -> Result<Array, Error> {
    match v {
        Value::Array {
            data,
            missing: None,
        } => Ok(data),
        _ => Err(StreamError::Program("partial results must be plain arrays".into()).into()),
    }
}

fn combine(c: Merge, a: Value, b: Value) -> Result<Value, Error> {
    if let (Value::Column(x), Value::Column(y)) = (&a, &b) {
        return combine_decimals(c, x, y);
    }
    let (a, ma) = masked(a)?;
    let (b, mb) = masked(b)?;
    let a = match (c, &ma, &mb) {
        (Merge::Add | Merge::Mean, None, None) => match add_in_place(a, &b) {
            Ok(sum) => return Ok(Value::from(sum)),
            Err(a) => a,
        },
        _ => a,
    };
    let f = match c {
        Merge::Add | Merge::Mean => BinaryFn::Add,
        Merge::Mul => BinaryFn::Mul,
        Merge::Min => BinaryFn::Minimum,
        Merge::Max => BinaryFn::Maximum,
        Merge::Or => BinaryFn::Or,
        Merge::And => BinaryFn::And,
    };
    let both = kernels::binary(f, &a, &b)?;
    if ma.is_none() && mb.is_none() {
        return Ok(Value::from(both));
    }
    // Partials over options (`min`, `max` of `?T`): a block with no value
    // gives a missing partial, which the other block's value replaces; both
    // missing stays missing.
    let shape = both.shape().to_vec();
    let none = || ndarray::ArrayD::from_elem(ndarray::IxDyn(&shape), false);
    let ma = ma.unwrap_or_else(none);
    let mb = mb.unwrap_or_else(none);
    let from_b = kernels::where_(&Array::Bool(ma.clone()), &b, &both)?;
    let data = kernels::where_(&Array::Bool(mb.clone()), &a, &from_b)?;
    let missing = ndarray::Zip::from(&ma)
        .and(&mb)
        .map_collect(|x, y| *x && *y);
    Ok(Value::Array {
        data,
        missing: Some(missing),
    })
}

/// A partial result's data and missing mask (records and tuples are not
/// partials).
fn masked(v: Value) -> Result<(Array, Option<ndarray::ArrayD<bool>>), Error> {
    match v {
        Value::Array { data, missing } => Ok((data, missing)),
        _ => Err(StreamError::Program("partial results must be arrays".into()).into()),
    }
}

/// `a + b` into `a`'s buffer, for the partials that [`in_place`] says
/// combine so; `a` back otherwise.
fn add_in_place(a: Array, b: &Array) -> Result<Array, Array> {
    match (a, b) {
        (Array::Float64(mut x), Array::Float64(y)) if x.shape() == y.shape() => {
            ndarray::Zip::from(&mut x).and(y).for_each(|x, y| *x += *y);
            Ok(Array::Float64(x))
        }
        (Array::Float32(mut x), Array::Float32(y)) if x.shape() == y.shape() => {
            ndarray::Zip::from(&mut x).and(y).for_each(|x, y| *x += *y);
            Ok(Array::Float32(x))
        }
        (Array::Int64(mut x), Array::Int64(y)) if x.shape() == y.shape() => {
            ndarray::Zip::from(&mut x)
                .and(y)
                .for_each(|x, y| *x = x.wrapping_add(*y));
            Ok(Array::Int64(x))
        }
        (Array::UInt64(mut x), Array::UInt64(y)) if x.shape() == y.shape() => {
            ndarray::Zip::from(&mut x)
                .and(y)
                .for_each(|x, y| *x = x.wrapping_add(*y));
            Ok(Array::UInt64(x))
        }
        (a, _) => Err(a),
    }
}

/// Whether partials of `measure` merged by `c` combine in place (the
/// running result and one block's partial are then all a merge holds).
pub(super) fn in_place(c: Merge, measure: &Measure) -> bool {
    matches!(c, Merge::Add | Merge::Mean)
        && matches!(
            measure,
            Measure::Scalar {
                scalar: Scalar::Float64 | Scalar::Float32 | Scalar::Int64 | Scalar::UInt64
            }
        )
}

fn scale(v: Value, w: f64) -> Result<Value, Error> {
    let a = arr(v)?;
    // A float partial is scaled in its own buffer.
    let a = match a {
        Array::Float64(mut x) => {
            x.mapv_inplace(|e| e * w);
            return Ok(Value::from(Array::Float64(x)));
        }
        Array::Float32(mut x) => {
            let w = w as f32;
            x.mapv_inplace(|e| e * w);
            return Ok(Value::from(Array::Float32(x)));
        }
        a => a,
    };
    let s = kernels::cast(&Array::Float64(ndarray::arr0(w).into_dyn()), a.scalar());
    Ok(Value::from(kernels::binary(BinaryFn::Mul, &a, &s)?))
}

fn concat_rows(parts: &[Array], (scalar, shape): (Scalar, Vec<usize>)) -> Result<Array, Error> {
    if parts.is_empty() {
        return Ok(Array::zeros(scalar, &shape));
    }
    join_rows(parts).map_err(|m| Error::Eval(EvalError::Shape(m)))
}
