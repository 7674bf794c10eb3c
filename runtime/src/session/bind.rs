//! Binding named files to a function: each file opened once (by its
//! header), typed for the run, and matched to the function's parameters.
//!
//! For a streamed run, the streamed rows are those of the largest array:
//! inputs whose first dimension is that row count (and record files) are
//! typed `ROWS * …` and read by blocks; the others (a row of means, a
//! weight matrix) are read whole. For a run in memory every input is typed
//! by its full shape.

use super::spec::InputSpec;
use crate::error::{BindError, Error};
use crate::io::{self, RowSource};
use crate::stream::{Input, ROWS};
use blaze_datashape::{Datashape, Dim, Measure};
use blaze_interp::Value;
use blaze_ir::{Function, NodeId, Op};

/// The input files of a run, opened by their headers, in the order given.
#[derive(Debug)]
pub(super) struct Opened {
    pub(super) sources: Vec<(String, Box<dyn RowSource>)>,
}

impl Opened {
    /// Opens every input once; a name given twice is an error.
    pub(super) fn open(specs: &[InputSpec]) -> Result<Opened, Error> {
        let mut sources: Vec<(String, Box<dyn RowSource>)> = Vec::with_capacity(specs.len());
        for s in specs {
            if sources.iter().any(|(n, _)| *n == s.name) {
                return Err(BindError::Duplicate(s.name.clone()).into());
            }
            sources.push((s.name.clone(), io::open(&s.path, s.datashape.as_ref())?));
        }
        Ok(Opened { sources })
    }

    /// Bytes of all inputs (from their headers; a CSV file counts its size).
    pub(super) fn bytes(&self) -> u64 {
        self.sources.iter().map(|(_, s)| s.bytes()).sum()
    }

    /// The inputs typed for a streamed run: `ROWS * …` for those read by
    /// blocks, their full type for those read whole.
    pub(super) fn for_stream(self) -> Vec<(String, Datashape, Input)> {
        let rows = self
            .sources
            .iter()
            .filter(|(_, s)| !is_records(s.as_ref()))
            .filter_map(|(_, s)| s.rows().map(|r| (s.bytes(), r)))
            .max()
            .map(|(_, r)| r);
        self.sources
            .into_iter()
            .map(|(name, s)| {
                let mut ty = s.datashape();
                // Rows known only by reading them (a CSV view) stream too.
                let by_rows = is_records(s.as_ref())
                    || (s.cannot_stream().is_none() && (s.rows().is_none() || s.rows() == rows));
                if by_rows {
                    ty.dims[0] = Dim::TypeVar(ROWS.into());
                    (name, ty, Input::Rows(s))
                } else {
                    (name, ty, Input::Whole(s))
                }
            })
            .collect()
    }

    /// Every input read whole, typed by its data.
    pub(super) fn read_all(self) -> Result<Vec<(String, Datashape, Value)>, Error> {
        self.sources
            .into_iter()
            .map(|(name, s)| {
                let v = s.read_all()?;
                let mut ty = s.datashape();
                if let Some(d) = ty.dims.first_mut() {
                    if !matches!(d, Dim::Fixed(_)) {
                        *d = Dim::Fixed(rows_of(&v) as u64);
                    }
                }
                Ok((name, ty, v))
            })
            .collect()
    }

    /// Every input typed by its header, without reading data (what a plan
    /// in memory needs to be explained).
    pub(super) fn header_types(&self) -> Vec<(String, Datashape)> {
        self.sources
            .iter()
            .map(|(n, s)| (n.clone(), s.datashape()))
            .collect()
    }
}

/// `f` and `inputs` with a stacked input read one file a row, when it is
/// the one streamed input, stacked by two levels or more, and `f` reduces
/// those levels together (`mean(I, axis=(0, 1))` over `images/*/*.png`):
/// blocks then hold single files rather than whole folders. `None` when
/// nothing changes.
pub(super) fn files_as_rows(f: &Function, inputs: &[Input]) -> Option<(Function, usize, Input)> {
    let mut streamed = inputs
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i, Input::Rows(_)));
    let (p, Input::Rows(s)) = streamed.next()? else {
        return None;
    };
    let k = s.stacked_levels();
    if streamed.next().is_some() || k < 2 {
        return None;
    }
    let merged = blaze_ir::analysis::merge_leading_axes(f, p, k, Dim::TypeVar(ROWS.into()))?;
    Some((merged, p, Input::Rows(s.files_as_rows()?)))
}

/// Every streamed input of records that `f` uses only through some of its
/// fields (`I.g` of an image) read with those fields alone, when its format
/// can leave the others out: `f`'s parameter types follow.
pub(super) fn project_fields(f: &mut Function, inputs: &mut [Input]) {
    for (p, input) in inputs.iter_mut().enumerate() {
        let Input::Rows(s) = input else { continue };
        let Some(fields) = fields_taken(f, p) else {
            continue;
        };
        let Some(projected) = s.project(&fields) else {
            continue;
        };
        let mut ty = projected.datashape();
        let old = &f.params[p].1;
        if ty.dims.len() != old.dims.len() || ty.dims.is_empty() {
            continue;
        }
        ty.dims[0] = old.dims[0].clone();
        f.params[p].1 = ty.clone();
        for n in &mut f.nodes {
            if n.op == Op::Param(p) {
                n.ty = ty.clone();
            }
        }
        *input = Input::Rows(projected);
    }
}

/// The fields of record parameter `p` that `f` takes, in the record's
/// order, when `f` uses it only through fields and not all of them.
fn fields_taken(f: &Function, p: usize) -> Option<Vec<String>> {
    let Measure::Record { fields } = &f.params.get(p)?.1.measure else {
        return None;
    };
    let param = |id: &NodeId| f.node(*id).op == Op::Param(p);
    if param(&f.root) {
        return None;
    }
    let mut used: Vec<&str> = Vec::new();
    for n in &f.nodes {
        if n.args.iter().any(param) {
            match &n.op {
                Op::Field(name) => used.push(name),
                _ => return None,
            }
        }
    }
    let taken: Vec<String> = fields
        .iter()
        .filter(|(name, _)| used.contains(&name.as_str()))
        .map(|(name, _)| name.clone())
        .collect();
    (taken.len() < fields.len()).then_some(taken)
}

/// Inputs back from a streamed binding, for a run in memory instead.
pub(super) fn reopened(inputs: Vec<(String, Input)>) -> Opened {
    Opened {
        sources: inputs
            .into_iter()
            .filter_map(|(n, i)| match i {
                Input::Rows(s) | Input::Whole(s) => Some((n, s)),
                Input::Memory(_) => None,
            })
            .collect(),
    }
}

fn is_records(s: &dyn RowSource) -> bool {
    matches!(s.datashape().measure, Measure::Record { .. })
}

/// Rows of a value read whole (the length of a record's columns).
fn rows_of(v: &Value) -> usize {
    match v {
        Value::Array { data, .. } => data.shape().first().copied().unwrap_or(1),
        Value::Record(fs) => fs.first().map_or(0, |(_, f)| rows_of(f)),
        Value::Tuple(_) => 0,
        Value::Column(c) => c.shape.first().copied().unwrap_or(1),
    }
}

/// The declared types followed by the inputs' types (an expression's names
/// get both; a name may not have both).
pub(super) fn all_types<'a>(
    declared: &[(String, Datashape)],
    inputs: impl Iterator<Item = (&'a String, &'a Datashape)>,
) -> Result<Vec<(String, Datashape)>, Error> {
    let mut types = declared.to_vec();
    for (name, ty) in inputs {
        if declared.iter().any(|(n, _)| n == name) {
            return Err(BindError::InputAndType(name.clone()).into());
        }
        types.push((name.clone(), ty.clone()));
    }
    Ok(types)
}

/// `named` in the order of `f`'s parameters; a parameter without an input
/// or an input no parameter takes is an error naming it.
pub(super) fn by_params<T>(
    f: &Function,
    mut named: Vec<(String, T)>,
    expression: bool,
) -> Result<Vec<(String, T)>, Error> {
    let mut out = Vec::with_capacity(f.params.len());
    for (name, _) in &f.params {
        match named.iter().position(|(n, _)| n == name) {
            Some(i) => out.push(named.remove(i)),
            None => return Err(BindError::Missing(name.clone()).into()),
        }
    }
    if let Some((name, _)) = named.into_iter().next() {
        return Err(BindError::Unused {
            name,
            function: (!expression).then(|| f.name.clone()),
        }
        .into());
    }
    Ok(out)
}
