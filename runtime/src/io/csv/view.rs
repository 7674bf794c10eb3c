//! Views of a CSV file: its columns, in order, fill the leaves of the row
//! datashape. `Ax,Ay,Az,Bx,By,Bz` read as `var * {A: 3 * float64, B: 3 *
//! float64}` gives records whose fields take three columns each; read as
//! `var * 2 * 3 * float64` each row is a 2 × 3 array of the six cells in C
//! order; `var * {a: int32, b: string}` is one column a field, as always.
//! A field (or a row) of several columns holds numbers or bools.
//!
//! The reader parses cells into one value per column (the *leaves*);
//! [`Layout::assemble`] turns a block of leaves into the rows' value.

use super::CellKind;
use blaze_datashape::{Datashape, Dim, Measure, Scalar, ScalarKind};
use blaze_interp::{with_scalar, Array, Element, Value};
use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

/// A leaf column: its name in messages, its cell type, whether it may be
/// missing.
pub(crate) type Leaf = (String, CellKind, bool);

/// A field of the row (or the row itself): its name, its fixed
/// dimensions, and the columns it takes.
#[derive(Clone, Debug)]
pub(crate) struct Part {
    name: String,
    dims: Vec<usize>,
    first: usize,
    count: usize,
}

/// How the leaves make a row.
#[derive(Clone, Debug)]
pub(crate) enum Layout {
    /// A record, one part a field.
    Record(Vec<Part>),
    /// A row that is not a record (`var * 2 * 3 * float64`, `var * string`).
    Plain(Part),
}

/// The cell type of a leaf measure, or `None` when a CSV cell cannot hold
/// it.
fn cell_kind(measure: &Measure) -> Option<CellKind> {
    match measure {
        Measure::Scalar { scalar }
            if *scalar != Scalar::Float16 && scalar.kind() != ScalarKind::Complex =>
        {
            Some(CellKind::Number(*scalar))
        }
        Measure::String { len: None, .. } => Some(CellKind::String),
        Measure::Decimal { precision, scale } => {
            match (u8::try_from(*precision), i8::try_from(*scale)) {
                (Ok(p @ 1..=38), Ok(s)) if s as u8 <= p => Some(CellKind::Decimal(p, s)),
                _ => None,
            }
        }
        Measure::Date => Some(CellKind::Date),
        Measure::DateTime { tz } => Some(CellKind::DateTime(tz.clone())),
        _ => None,
    }
}

/// The fixed sizes of `dims`, or `None` when one is not fixed.
fn fixed(dims: &[Dim]) -> Option<Vec<usize>> {
    dims.iter()
        .map(|d| match d {
            Dim::Fixed(n) => usize::try_from(*n).ok(),
            _ => None,
        })
        .collect()
}

/// `dims` as `2 * 3` in messages.
pub(crate) fn dims_text(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(ToString::to_string).collect();
    parts.join(" * ")
}

/// The leaves of one part of `ty` (a field's type, or the row's) named
/// `name`, appended to `leaves`.
fn part(name: &str, ty: &Datashape, leaves: &mut Vec<Leaf>) -> Result<Part, String> {
    let what = if name.is_empty() {
        format!("a row of `{ty}`:")
    } else {
        format!("field `{name}` has type `{ty}`;")
    };
    let kinds = format!(
        "{what} CSV fields are numbers, bools, strings, decimals (up to 38 digits), dates or datetimes, or fixed-size arrays of numbers"
    );
    let Some(dims) = fixed(&ty.dims) else {
        return Err(kinds);
    };
    let (measure, option) = match &ty.measure {
        Measure::Option { inner } => (inner.as_ref(), true),
        m => (m, false),
    };
    let kind = cell_kind(measure).ok_or(kinds)?;
    if !dims.is_empty() && !matches!(kind, CellKind::Number(_)) {
        return Err(format!(
            "{what} several CSV columns make an array of numbers or bools only"
        ));
    }
    let count = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| format!("{what} too many cells"))?;
    let first = leaves.len();
    for k in 0..count {
        let leaf = if dims.is_empty() {
            name.to_string()
        } else {
            format!("{name}[{}]", index_text(k, &dims))
        };
        leaves.push((leaf, kind.clone(), option));
    }
    Ok(Part {
        name: name.to_string(),
        dims,
        first,
        count,
    })
}

/// The multi-index of the `k`th element of `dims` in C order, `1, 2`.
fn index_text(mut k: usize, dims: &[usize]) -> String {
    let mut idx = vec![0; dims.len()];
    for (i, &d) in dims.iter().enumerate().rev() {
        if d > 0 {
            idx[i] = k % d;
            k /= d;
        }
    }
    let parts: Vec<String> = idx.iter().map(ToString::to_string).collect();
    parts.join(", ")
}

/// The leaves and layout of a row datashape `row` (the file's datashape
/// without its first dimension).
pub(crate) fn plan(row: &Datashape) -> Result<(Vec<Leaf>, Layout), String> {
    let mut leaves = Vec::new();
    match (&row.measure, row.dims.is_empty()) {
        (Measure::Record { fields }, true) => {
            let parts = fields
                .iter()
                .map(|(name, t)| part(name, t, &mut leaves))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((leaves, Layout::Record(parts)))
        }
        (Measure::Record { .. }, false) => Err(format!(
            "rows of `{row}`: records under dimensions are not read from CSV; write the record's fields as arrays (`{{A: 3 * float64}}`)"
        )),
        _ => {
            let p = part("", row, &mut leaves)?;
            Ok((leaves, Layout::Plain(p)))
        }
    }
}

impl Layout {
    /// Whether the leaves are the row's fields themselves (a record of
    /// scalars, one column a field).
    pub(crate) fn is_flat(&self) -> bool {
        matches!(self, Layout::Record(ps) if ps.iter().all(|p| p.dims.is_empty()))
    }

    /// The cells one row takes, with the sizes that make them, for a
    /// message about a line of another length (`2 * 3 = 6`).
    pub(crate) fn describe(&self, leaves: usize) -> String {
        match self {
            Layout::Plain(p) if !p.dims.is_empty() => {
                format!("{} ({})", leaves, dims_text(&p.dims))
            }
            Layout::Record(ps) if !self.is_flat() => {
                let parts: Vec<String> = ps
                    .iter()
                    .map(|p| match p.dims.as_slice() {
                        [] => "1".to_string(),
                        d => dims_text(d),
                    })
                    .collect();
                format!("{} ({})", leaves, parts.join(" + "))
            }
            _ => leaves.to_string(),
        }
    }

    /// The row value of a block of `rows` rows from its leaves (a record
    /// of one value per column, in order).
    pub(crate) fn assemble(&self, leaves: Value, rows: usize) -> Result<Value, String> {
        if self.is_flat() {
            return Ok(leaves);
        }
        let Value::Record(mut fields) = leaves else {
            return Err("the columns of a block are not a record".into());
        };
        let mut take = |p: &Part| -> Result<Value, String> {
            let cols = fields
                .get_mut(p.first..p.first + p.count)
                .ok_or("a block lost a column")?;
            if p.dims.is_empty() {
                return cols
                    .first_mut()
                    .map(|(_, v)| std::mem::replace(v, Value::Tuple(Vec::new())))
                    .ok_or_else(|| "a block lost a column".to_string());
            }
            let vals: Vec<&Value> = cols.iter().map(|(_, v)| v).collect();
            stack(&vals, rows, &p.dims).map_err(|m| match p.name.as_str() {
                "" => m,
                name => format!("field `{name}`: {m}"),
            })
        };
        match self {
            Layout::Plain(p) => take(p),
            Layout::Record(ps) => {
                let mut out = Vec::with_capacity(ps.len());
                for p in ps {
                    out.push((p.name.clone(), take(p)?));
                }
                Ok(Value::Record(out))
            }
        }
    }
}

fn stack_of<T: Element>(parts: &[&Array], shape: &[usize]) -> Result<Array, String> {
    let views: Vec<ArrayViewD<'_, T>> = parts
        .iter()
        .map(|a| {
            T::get(a)
                .map(|a| a.view())
                .ok_or_else(|| "columns of different types".to_string())
        })
        .collect::<Result<_, _>>()?;
    stack_views(&views, shape).map(T::wrap)
}

fn stack_views<T: Clone>(
    views: &[ArrayViewD<'_, T>],
    shape: &[usize],
) -> Result<ArrayD<T>, String> {
    let joined = ndarray::stack(Axis(1), views).map_err(|e| e.to_string())?;
    let joined = if joined.is_standard_layout() {
        joined
    } else {
        joined.as_standard_layout().into_owned()
    };
    joined
        .into_shape_with_order(IxDyn(shape))
        .map_err(|e| e.to_string())
}

/// Columns (values of `rows` rows) stacked into one array of rows of
/// `dims`: the columns fill each row in C order.
fn stack(cols: &[&Value], rows: usize, dims: &[usize]) -> Result<Value, String> {
    let mut datas = Vec::with_capacity(cols.len());
    let mut masks = Vec::with_capacity(cols.len());
    for c in cols {
        let Value::Array { data, missing } = c else {
            return Err("a column of several cells is not numbers".into());
        };
        datas.push(data);
        masks.push(missing.as_ref());
    }
    let mut shape = vec![rows];
    shape.extend_from_slice(dims);
    let scalar = datas
        .first()
        .map(|a| a.scalar())
        .ok_or("no columns to stack")?;
    let data = with_scalar!(scalar, T => stack_of::<T>(&datas, &shape)?);
    let missing = if masks.iter().any(Option::is_some) {
        let filled: Vec<ArrayD<bool>> = masks
            .iter()
            .map(|m| match m {
                Some(m) => (*m).clone(),
                None => ArrayD::from_elem(IxDyn(&[rows]), false),
            })
            .collect();
        let views: Vec<ArrayViewD<'_, bool>> = filled.iter().map(|m| m.view()).collect();
        Some(stack_views(&views, &shape)?)
    } else {
        None
    };
    Ok(Value::Array { data, missing })
}
