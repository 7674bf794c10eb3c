//! Arrow record batches ⇄ interpreter values, the one conversion every
//! table format (Parquet, Arrow IPC, JSON, CSV) goes through.
//!
//! Reading, a batch's columns are first brought to the canonical Arrow type
//! of the datashape ([`conform`]: dictionaries decoded, `LargeUtf8` and
//! `Utf8View` as `Utf8`, `LargeList` as `List`, other time units and
//! decimal widths cast, missing values checked against the options), then
//! become a [`Value::Record`] of fields: dense numbers (fixed dimensions
//! included) as [`Value::Array`] with a missing mask for options, records
//! as nested [`Value::Record`]s, everything else (strings, decimals,
//! dates, ragged lists) as a [`Value::Column`] holding the Arrow array.
//! Writing goes the other way ([`batch_of`]).

use super::schema::{field_of, ITEM};
use arrow_array::cast::AsArray;
use arrow_array::{
    new_empty_array, Array as _, ArrayRef, FixedSizeListArray, ListArray, RecordBatch,
    RecordBatchOptions, StructArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use blaze_array::DenseArray;
use blaze_datashape::{Datashape, Dim, Measure};
use blaze_interp::{Column, Value};
use std::sync::Arc;

/// The column name a value that is not a record is written under.
pub const VALUE_COLUMN: &str = "value";

/// `array` brought to the canonical Arrow type `target` (see the module
/// doc); `nullable` says whether missing values may be there. Errors say
/// what does not fit, without the column's name (the caller adds it).
pub fn conform(array: &ArrayRef, target: &DataType, nullable: bool) -> Result<ArrayRef, String> {
    // A missing record is not refused: its fields become missing (below).
    if !nullable && array.null_count() > 0 && !matches!(target, DataType::Struct(_)) {
        let row = (0..array.len()).find(|&i| array.is_null(i)).unwrap_or(0);
        return Err(match target {
            DataType::List(_) | DataType::FixedSizeList(..) => format!(
                "row {row} is a missing list; a dimension cannot be missing (only elements can: `var * ?T`)"
            ),
            _ => format!("row {row} is missing, but the datashape has no `?` there"),
        });
    }
    let source = array.data_type();
    let mismatch = || format!("the file's Arrow type {source} is not {target}");
    match (source, target) {
        (DataType::Dictionary(_, values), _) => {
            let plain = arrow_cast::cast(array, values).map_err(|e| e.to_string())?;
            conform(&plain, target, nullable)
        }
        (DataType::LargeList(_) | DataType::List(_), DataType::List(item)) => {
            let (offsets, values, nulls) = list_parts(array)?;
            let values = conform(&values, item.data_type(), item.is_nullable())
                .map_err(|e| format!("in a list: {e}"))?;
            ListArray::try_new(item.clone(), offsets, values, nulls)
                .map(|a| Arc::new(a) as ArrayRef)
                .map_err(|e| e.to_string())
        }
        (DataType::FixedSizeList(_, n), DataType::FixedSizeList(item, m)) if n == m => {
            let a = array.as_fixed_size_list();
            let values = conform(a.values(), item.data_type(), item.is_nullable())
                .map_err(|e| format!("in a list: {e}"))?;
            FixedSizeListArray::try_new(item.clone(), *m, values, a.nulls().cloned())
                .map(|a| Arc::new(a) as ArrayRef)
                .map_err(|e| e.to_string())
        }
        (DataType::Struct(_), DataType::Struct(fields)) => {
            let s = array.as_struct();
            let mut children = Vec::with_capacity(fields.len());
            for f in fields.iter() {
                let child = s
                    .column_by_name(f.name())
                    .ok_or_else(|| format!("the record has no field `{}`", f.name()))?;
                // A missing record makes each of its fields missing.
                let child = with_nulls(child, s.nulls())?;
                children.push(
                    conform(&child, f.data_type(), f.is_nullable())
                        .map_err(|e| format!("field `{}`: {e}", f.name()))?,
                );
            }
            StructArray::try_new_with_length(fields.clone(), children, None, s.len())
                .map(|a| Arc::new(a) as ArrayRef)
                .map_err(|e| e.to_string())
        }
        _ if source == target => Ok(array.clone()),
        (DataType::LargeUtf8 | DataType::Utf8View, DataType::Utf8)
        | (DataType::LargeBinary | DataType::BinaryView, DataType::Binary)
        | (DataType::Date64, DataType::Date32)
        | (DataType::Time32(_) | DataType::Time64(_), DataType::Time64(TimeUnit::Microsecond)) => {
            arrow_cast::cast(array, target).map_err(|e| e.to_string())
        }
        (DataType::Timestamp(_, a), DataType::Timestamp(TimeUnit::Microsecond, b)) if a == b => {
            arrow_cast::cast(array, target).map_err(|e| e.to_string())
        }
        (
            DataType::Decimal32(p, s) | DataType::Decimal64(p, s) | DataType::Decimal256(p, s),
            DataType::Decimal128(q, t),
        ) if p == q && s == t => arrow_cast::cast(array, target).map_err(|e| e.to_string()),
        _ => Err(mismatch()),
    }
}

/// The offsets (as `i32`), values and nulls of a `List` or `LargeList`.
fn list_parts(
    array: &ArrayRef,
) -> Result<(OffsetBuffer<i32>, ArrayRef, Option<NullBuffer>), String> {
    if let Some(l) = array.as_list_opt::<i32>() {
        return Ok((l.offsets().clone(), l.values().clone(), l.nulls().cloned()));
    }
    let l = array
        .as_list_opt::<i64>()
        .ok_or_else(|| format!("Arrow {} is not a list", array.data_type()))?;
    let small: Vec<i32> = l
        .offsets()
        .iter()
        .map(|&o| i32::try_from(o))
        .collect::<Result<_, _>>()
        .map_err(|_| "a list column holds more than 2^31 elements".to_string())?;
    // The offsets of a valid list, narrowed: still increasing from zero up.
    let offsets = OffsetBuffer::new(ScalarBuffer::from(small));
    Ok((offsets, l.values().clone(), l.nulls().cloned()))
}

/// `array` with the nulls of `outer` added to its own.
fn with_nulls(array: &ArrayRef, outer: Option<&NullBuffer>) -> Result<ArrayRef, String> {
    let Some(outer) = outer.filter(|n| n.null_count() > 0) else {
        return Ok(array.clone());
    };
    let nulls = NullBuffer::union(Some(outer), array.nulls());
    let data = array
        .to_data()
        .into_builder()
        .nulls(nulls)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(arrow_array::make_array(data))
}

/// The Arrow schema of rows of `fields`.
pub fn schema_of(fields: &[(String, Datashape)]) -> Result<SchemaRef, String> {
    Ok(Arc::new(Schema::new(
        fields
            .iter()
            .map(|(n, t)| field_of(n, t).map_err(|e| format!("field `{n}`: {e}")))
            .collect::<Result<Vec<Field>, String>>()?,
    )))
}

/// `batch`'s columns named by `fields`, each brought to its field's
/// canonical type: the batch a reader hands on.
pub fn conform_batch(
    batch: &RecordBatch,
    fields: &[(String, Datashape)],
    schema: &SchemaRef,
) -> Result<RecordBatch, String> {
    let mut columns = Vec::with_capacity(fields.len());
    for (f, (name, ty)) in schema.fields().iter().zip(fields) {
        let column = batch
            .column_by_name(name)
            .ok_or_else(|| format!("the data has no column `{name}`"))?;
        columns.push(
            conform(column, f.data_type(), f.is_nullable())
                .map_err(|e| format!("column `{name}` (`{ty}`): {e}"))?,
        );
    }
    RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )
    .map_err(|e| e.to_string())
}

/// The value of a batch already conformed to `fields` (see
/// [`conform_batch`]): a record of its columns, or with `plain` the one
/// column's value itself.
pub fn batch_value(
    batch: &RecordBatch,
    fields: &[(String, Datashape)],
    plain: bool,
) -> Result<Value, String> {
    let n = batch.num_rows();
    let mut out = Vec::with_capacity(fields.len());
    for ((name, ty), column) in fields.iter().zip(batch.columns()) {
        let v = field_value(column, ty, vec![n]).map_err(|e| format!("column `{name}`: {e}"))?;
        if plain {
            return Ok(v);
        }
        out.push((name.clone(), v));
    }
    Ok(Value::Record(out))
}

/// The value of the elements `array` (canonical for `ty`, one slot per
/// element of the leading shape `lead`) holds.
fn field_value(array: &ArrayRef, ty: &Datashape, mut lead: Vec<usize>) -> Result<Value, String> {
    let option = matches!(ty.measure, Measure::Option { .. });
    let base = match &ty.measure {
        Measure::Option { inner } => inner.as_ref(),
        m => m,
    };
    match (ty.dims.split_first(), base) {
        (Some((Dim::Fixed(k), rest)), _) => {
            let list = array
                .as_fixed_size_list_opt()
                .ok_or_else(|| format!("Arrow {} is not a fixed-size list", array.data_type()))?;
            lead.push(usize::try_from(*k).map_err(|_| "a dimension too long".to_string())?);
            field_value(
                list.values(),
                &Datashape::new(rest.to_vec(), ty.measure.clone()),
                lead,
            )
        }
        (None, Measure::Record { fields }) => {
            let s = array
                .as_struct_opt()
                .ok_or_else(|| format!("Arrow {} is not a struct", array.data_type()))?;
            let mut out = Vec::with_capacity(fields.len());
            for (name, fty) in fields {
                let child = s
                    .column_by_name(name)
                    .ok_or_else(|| format!("no field `{name}`"))?;
                out.push((
                    name.clone(),
                    field_value(child, fty, lead.clone())
                        .map_err(|e| format!("field `{name}`: {e}"))?,
                ));
            }
            Ok(Value::Record(out))
        }
        (None, Measure::Scalar { .. }) => {
            let dense = DenseArray::from_arrow(array.as_ref()).map_err(|e| e.to_string())?;
            let Value::Array { data, missing } =
                crate::value::to_value(&dense).map_err(|e| e.to_string())?
            else {
                return Err("a dense column is not an array".into());
            };
            let shape = ndarray::IxDyn(&lead);
            let data = blaze_interp::with_array!(data, a => {
                a.into_shape_with_order(shape.clone())
                    .map(blaze_interp::Element::wrap)
                    .map_err(|e| e.to_string())
            })?;
            let missing = match (option, missing) {
                (false, _) => None,
                (true, Some(m)) => Some(m.into_shape_with_order(shape).map_err(|e| e.to_string())?),
                (true, None) => Some(ndarray::ArrayD::from_elem(shape, false)),
            };
            // What lies under the mask is zero, whatever the file held there,
            // so equal data read from any format gives equal values.
            let data = match &missing {
                Some(m) if m.iter().any(|&x| x) => {
                    blaze_interp::with_array!(data, a => {
                        let mut a = a;
                        ndarray::Zip::from(&mut a).and(m).for_each(|x, &gone| {
                            if gone {
                                *x = Default::default();
                            }
                        });
                        blaze_interp::Element::wrap(a)
                    })
                }
                _ => data,
            };
            Ok(Value::Array { data, missing })
        }
        _ => Column::new(lead, array.clone())
            .map(Value::Column)
            .map_err(|e| e.to_string()),
    }
}

/// A record batch holding `value`: a record's fields as columns, any other
/// value (rows of numbers, strings, lists) as one column named
/// [`VALUE_COLUMN`]. With `ty`, the value's datashape, the columns get its
/// canonical types and nullability; without, they follow the value (an
/// array with a missing mask or a column with nulls is nullable).
pub fn batch_of(value: &Value, ty: Option<&Datashape>) -> Result<RecordBatch, String> {
    let rows = leading_rows(value)?;
    let named: Vec<(String, &Value)> = match value {
        Value::Record(fields) => fields.iter().map(|(n, v)| (n.clone(), v)).collect(),
        other => vec![(VALUE_COLUMN.to_string(), other)],
    };
    let mut fields = Vec::with_capacity(named.len());
    let mut columns = Vec::with_capacity(named.len());
    for (name, v) in &named {
        let (array, nullable) = value_array(v, 1).map_err(|e| format!("field `{name}`: {e}"))?;
        fields.push(Field::new(name, array.data_type().clone(), nullable));
        columns.push(array);
    }
    let mut schema = Arc::new(Schema::new(fields));
    if let Some(ty) = ty {
        let row = Datashape::new(
            ty.dims.iter().skip(1).cloned().collect(),
            ty.measure.clone(),
        );
        let typed: Vec<(String, Datashape)> = match (&value, &row.measure, row.dims.is_empty()) {
            (Value::Record(_), Measure::Record { fields }, true) => fields.clone(),
            (Value::Record(_), _, _) => {
                return Err(format!("a record value with datashape `{ty}`"))
            }
            _ => vec![(VALUE_COLUMN.to_string(), row)],
        };
        schema = schema_of(&typed)?;
        columns = columns
            .iter()
            .zip(schema.fields().iter())
            .map(|(c, f)| {
                conform(c, f.data_type(), f.is_nullable())
                    .map_err(|e| format!("field `{}`: {e}", f.name()))
            })
            .collect::<Result<_, String>>()?;
    }
    RecordBatch::try_new_with_options(
        schema,
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .map_err(|e| e.to_string())
}

/// The number of rows (the first axis) of a value to be written as a
/// table; a 0-d value has none.
fn leading_rows(value: &Value) -> Result<usize, String> {
    let first = match value {
        Value::Array { data, .. } => data.shape().first().copied(),
        Value::Column(c) => c.shape.first().copied(),
        Value::Record(fs) => match fs.first() {
            Some((_, v)) => return leading_rows(v),
            None => Some(0),
        },
        Value::Tuple(_) => return Err("a tuple is not rows of a table".into()),
    };
    first.ok_or_else(|| {
        "a single value (0-d) is not rows of a table; write it to `.npy` or give it a first axis"
            .to_string()
    })
}

/// The Arrow array of `value`'s elements, its first `lead` axes being the
/// slots (more axes become fixed-size lists), and whether it is nullable.
fn value_array(value: &Value, lead: usize) -> Result<(ArrayRef, bool), String> {
    match value {
        Value::Array { data, missing } => {
            let shape = data.shape().to_vec();
            let total = shape.iter().product::<usize>();
            let flat = ndarray::IxDyn(&[total]);
            let data = blaze_interp::with_array!(data, a => {
                a.as_standard_layout()
                    .into_owned()
                    .into_shape_with_order(flat.clone())
                    .map(blaze_interp::Element::wrap)
                    .map_err(|e| e.to_string())
            })?;
            let missing = missing
                .as_ref()
                .map(|m| {
                    m.as_standard_layout()
                        .into_owned()
                        .into_shape_with_order(flat.clone())
                        .map_err(|e| e.to_string())
                })
                .transpose()?;
            let nullable = missing.is_some();
            let dense = crate::value::from_value(&Value::Array { data, missing })
                .map_err(|e| e.to_string())?;
            let array = dense.to_arrow().map_err(|e| e.to_string())?;
            wrap_fixed(array, nullable, shape.get(lead..).unwrap_or(&[]))
        }
        Value::Column(c) => {
            let nullable = c.array.null_count() > 0;
            wrap_fixed(
                c.array.clone(),
                nullable,
                c.shape.get(lead..).unwrap_or(&[]),
            )
        }
        Value::Record(fields) => {
            let mut fs = Vec::with_capacity(fields.len());
            let mut children = Vec::with_capacity(fields.len());
            let mut len = None;
            for (name, v) in fields {
                let (a, nullable) = value_array(v, lead)?;
                len = Some(a.len());
                fs.push(Field::new(name, a.data_type().clone(), nullable));
                children.push(a);
            }
            let len = len.ok_or_else(|| "a record with no fields".to_string())?;
            let s = StructArray::try_new_with_length(Fields::from(fs), children, None, len)
                .map_err(|e| e.to_string())?;
            Ok((Arc::new(s), false))
        }
        Value::Tuple(_) => Err("a tuple has no table layout".into()),
    }
}

/// `array` (whose slots are the elements of `inner` fixed axes, innermost
/// last) grouped into nested fixed-size lists, one per axis.
fn wrap_fixed(
    array: ArrayRef,
    nullable: bool,
    inner: &[usize],
) -> Result<(ArrayRef, bool), String> {
    let mut array = array;
    let mut item_nullable = nullable;
    for &k in inner.iter().rev() {
        let size = i32::try_from(k).map_err(|_| format!("an axis of {k} is too long for Arrow"))?;
        let item = Arc::new(Field::new(ITEM, array.data_type().clone(), item_nullable));
        array = Arc::new(
            FixedSizeListArray::try_new(item, size, array, None).map_err(|e| e.to_string())?,
        );
        item_nullable = false;
    }
    Ok((array, item_nullable))
}

/// An empty value of rows of `fields` (what a reader of no rows hands on).
pub fn empty_value(fields: &[(String, Datashape)], plain: bool) -> Result<Value, String> {
    let schema = schema_of(fields)?;
    let columns = schema
        .fields()
        .iter()
        .map(|f| new_empty_array(f.data_type()))
        .collect();
    let batch = RecordBatch::try_new(schema, columns).map_err(|e| e.to_string())?;
    batch_value(&batch, fields, plain)
}
