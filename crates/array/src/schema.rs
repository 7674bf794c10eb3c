//! Datashapes in Apache Arrow's terms: the one canonical Arrow type of each
//! datashape ([`arrow_type`], [`arrow_field`]) and the datashape of an Arrow
//! type ([`datashape_of`]), and where a value of a datashape is stored
//! ([`columnar_split`]).
//!
//! | datashape | Arrow |
//! |---|---|
//! | `bool`, integers, `float16/32/64` | the primitive of the same width |
//! | `string` | `Utf8` (i32 offsets) |
//! | `string[n]` | `FixedSizeBinary(n)` (code units × their width) |
//! | `bytes` | `Binary` |
//! | `decimal[p, s]` | `Decimal128(p, s)` |
//! | `date` / `time` / `datetime[tz]` | `Date32` / `Time64(µs)` / `Timestamp(µs, tz)` |
//! | `timedelta[unit]` | `Duration(unit)` for `s`, `ms`, `us`, `ns` |
//! | `var * T` | `List` of `T` (child field `item`) |
//! | `n * T` below a `var` | `FixedSizeList(n)` of `T` |
//! | `{a: A, b: B}` | `Struct` with a child per field |
//! | `?T` | `T`'s type, nullable |
//!
//! Reading goes wider: `LargeUtf8`, `Utf8View`, `LargeList`, `Date64`,
//! `Time32`, timestamps of every unit and dictionaries of any of these have
//! the datashape of their canonical type; the I/O layer normalizes their
//! values.

use crate::ArrayError;
use arrow_schema::{DataType, Field, Fields, TimeUnit as ArrowUnit};
use blaze_datashape::{Datashape, Dim, Encoding, Measure, Scalar, TimeUnit};
use std::sync::Arc;

fn unsupported(what: String) -> ArrayError {
    ArrayError::Unsupported { what }
}

/// The Arrow type of a primitive scalar; complex numbers have none.
pub fn scalar_type(scalar: Scalar) -> Result<DataType, ArrayError> {
    crate::arrow::data_type_of(scalar).ok_or_else(|| {
        unsupported(format!(
            "{} has no Arrow type (Arrow has no complex numbers)",
            scalar.name()
        ))
    })
}

/// The Arrow type of elements `dims * measure` stored in Arrow's layout
/// (the dimensions below a value's leading fixed ones), and whether it is
/// nullable (`?T`). `var` is a `List`, a fixed or symbolic length below it
/// must be fixed (`FixedSizeList`); a symbolic one is an error.
pub fn arrow_type(dims: &[Dim], measure: &Measure) -> Result<(DataType, bool), ArrayError> {
    let Some((first, rest)) = dims.split_first() else {
        return measure_type(measure);
    };
    let (child, nullable) = arrow_type(rest, measure)?;
    let item = Arc::new(Field::new("item", child, nullable));
    let ty = match first {
        Dim::Var(_) => DataType::List(item),
        Dim::Fixed(n) => {
            let n = i32::try_from(*n).map_err(|_| {
                unsupported(format!(
                    "a fixed dimension of {n} below `var` (Arrow's limit is 2^31-1)"
                ))
            })?;
            DataType::FixedSizeList(item, n)
        }
        Dim::TypeVar(name) => {
            return Err(unsupported(format!(
                "the symbolic dimension `{name}` has no Arrow layout below `var`; give it a length"
            )))
        }
        Dim::Ellipsis(_) => {
            return Err(unsupported(
                "an ellipsis has no Arrow layout; the datashape must be concrete".into(),
            ))
        }
    };
    Ok((ty, false))
}

/// An Arrow field named `name` for elements `dims * measure`
/// (see [`arrow_type`]).
pub fn arrow_field(name: &str, dims: &[Dim], measure: &Measure) -> Result<Field, ArrayError> {
    let (ty, nullable) = arrow_type(dims, measure)?;
    Ok(Field::new(name, ty, nullable))
}

fn time_unit(unit: TimeUnit) -> Option<ArrowUnit> {
    Some(match unit {
        TimeUnit::Seconds => ArrowUnit::Second,
        TimeUnit::Millis => ArrowUnit::Millisecond,
        TimeUnit::Micros => ArrowUnit::Microsecond,
        TimeUnit::Nanos => ArrowUnit::Nanosecond,
        TimeUnit::Weeks | TimeUnit::Days | TimeUnit::Hours | TimeUnit::Minutes => return None,
    })
}

fn measure_type(measure: &Measure) -> Result<(DataType, bool), ArrayError> {
    let ty = match measure {
        Measure::Scalar { scalar } => scalar_type(*scalar)?,
        Measure::String {
            len: None,
            encoding,
        } => match encoding {
            Encoding::Utf8 | Encoding::Ascii => DataType::Utf8,
            e => {
                return Err(unsupported(format!(
                    "variable-length strings in {} (Arrow strings are UTF-8)",
                    e.name()
                )))
            }
        },
        Measure::String {
            len: Some(n),
            encoding,
        } => {
            let unit = match encoding {
                Encoding::Utf8 | Encoding::Ascii => 1,
                Encoding::Utf16 => 2,
                Encoding::Utf32 => 4,
            };
            let bytes = n
                .checked_mul(unit)
                .and_then(|b| i32::try_from(b).ok())
                .ok_or_else(|| unsupported(format!("string[{n}] is too wide for Arrow")))?;
            DataType::FixedSizeBinary(bytes)
        }
        Measure::Bytes => DataType::Binary,
        Measure::Decimal { precision, scale } => {
            if *precision == 0 || *precision > 38 || scale > precision {
                return Err(unsupported(format!(
                    "decimal[{precision}, {scale}] (Decimal128 holds precisions 1 to 38, scale at most the precision)"
                )));
            }
            DataType::Decimal128(*precision as u8, *scale as i8)
        }
        Measure::Date => DataType::Date32,
        Measure::Time { .. } => DataType::Time64(ArrowUnit::Microsecond),
        Measure::DateTime { tz } => {
            DataType::Timestamp(ArrowUnit::Microsecond, tz.as_deref().map(Arc::from))
        }
        Measure::TimeDelta { unit } => DataType::Duration(time_unit(*unit).ok_or_else(|| {
            unsupported(format!(
                "timedelta[unit='{}'] (Arrow durations are in s, ms, us or ns)",
                unit.name()
            ))
        })?),
        Measure::Null => DataType::Null,
        Measure::Option { inner } => {
            let (ty, _) = measure_type(inner)?;
            return Ok((ty, true));
        }
        Measure::Record { fields } => {
            let fields: Vec<Field> = fields
                .iter()
                .map(|(name, ds)| arrow_field(name, &ds.dims, &ds.measure))
                .collect::<Result<_, _>>()?;
            DataType::Struct(Fields::from(fields))
        }
        Measure::Void
        | Measure::Tuple { .. }
        | Measure::Function { .. }
        | Measure::TypeVar { .. }
        | Measure::Named { .. } => {
            return Err(unsupported(format!(
                "`{}` has no Arrow type",
                Datashape::scalar(measure.clone())
            )))
        }
    };
    Ok((ty, false))
}

/// The datashape of the elements of an Arrow type (`nullable`: the field's
/// flag, which makes the leaf measure an option). Lists become `var`,
/// fixed-size lists fixed dimensions, structs records; a nullable list or
/// struct has the datashape of its non-null form (its missing rows are the
/// data layer's business).
pub fn datashape_of(ty: &DataType, nullable: bool) -> Result<Datashape, ArrayError> {
    let wrap = |m: Measure| {
        if nullable {
            Measure::option(m)
        } else {
            m
        }
    };
    let scalar = |s: Scalar| Ok(Datashape::scalar(wrap(Measure::scalar(s))));
    match ty {
        DataType::Boolean => scalar(Scalar::Bool),
        DataType::Int8 => scalar(Scalar::Int8),
        DataType::Int16 => scalar(Scalar::Int16),
        DataType::Int32 => scalar(Scalar::Int32),
        DataType::Int64 => scalar(Scalar::Int64),
        DataType::UInt8 => scalar(Scalar::UInt8),
        DataType::UInt16 => scalar(Scalar::UInt16),
        DataType::UInt32 => scalar(Scalar::UInt32),
        DataType::UInt64 => scalar(Scalar::UInt64),
        DataType::Float16 => scalar(Scalar::Float16),
        DataType::Float32 => scalar(Scalar::Float32),
        DataType::Float64 => scalar(Scalar::Float64),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            Ok(Datashape::scalar(wrap(Measure::String {
                len: None,
                encoding: Encoding::Utf8,
            })))
        }
        DataType::FixedSizeBinary(n) => Ok(Datashape::scalar(wrap(Measure::String {
            len: Some(u64::try_from(*n).map_err(|_| unsupported(format!("{ty}")))?),
            encoding: Encoding::Utf8,
        }))),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            Ok(Datashape::scalar(wrap(Measure::Bytes)))
        }
        DataType::Decimal128(p, s) if *s >= 0 && (*s as u8) <= *p => {
            Ok(Datashape::scalar(wrap(Measure::Decimal {
                precision: u32::from(*p),
                scale: *s as u32,
            })))
        }
        DataType::Date32 | DataType::Date64 => Ok(Datashape::scalar(wrap(Measure::Date))),
        DataType::Time32(_) | DataType::Time64(_) => {
            Ok(Datashape::scalar(wrap(Measure::Time { tz: None })))
        }
        DataType::Timestamp(_, tz) => Ok(Datashape::scalar(wrap(Measure::DateTime {
            tz: tz.as_deref().map(str::to_string),
        }))),
        DataType::Duration(u) => Ok(Datashape::scalar(wrap(Measure::TimeDelta {
            unit: match u {
                ArrowUnit::Second => TimeUnit::Seconds,
                ArrowUnit::Millisecond => TimeUnit::Millis,
                ArrowUnit::Microsecond => TimeUnit::Micros,
                ArrowUnit::Nanosecond => TimeUnit::Nanos,
            },
        }))),
        DataType::Null => Ok(Datashape::scalar(Measure::Null)),
        DataType::List(f) | DataType::LargeList(f) | DataType::ListView(f) => {
            let mut inner = datashape_of(f.data_type(), f.is_nullable())?;
            inner.dims.insert(0, Dim::Var(None));
            Ok(inner)
        }
        DataType::FixedSizeList(f, n) => {
            let mut inner = datashape_of(f.data_type(), f.is_nullable())?;
            let n = u64::try_from(*n).map_err(|_| unsupported(format!("{ty}")))?;
            inner.dims.insert(0, Dim::Fixed(n));
            Ok(inner)
        }
        DataType::Struct(fields) => {
            let fields = fields
                .iter()
                .map(|f| {
                    Ok((
                        f.name().clone(),
                        datashape_of(f.data_type(), f.is_nullable())?,
                    ))
                })
                .collect::<Result<Vec<_>, ArrayError>>()?;
            Ok(Datashape::scalar(Measure::Record { fields }))
        }
        DataType::Dictionary(_, value) => datashape_of(value, nullable),
        other => Err(unsupported(format!(
            "the Arrow type {other} has no datashape"
        ))),
    }
}

/// The datashape of the elements of an Arrow array as its data has them:
/// [`datashape_of`] its type, with an option exactly where the array (or,
/// below lists and structs, the child array) has missing elements, rather
/// than where its fields are flagged nullable (pyarrow flags every field).
pub fn datashape_of_data(array: &dyn arrow_array::Array) -> Result<Datashape, ArrayError> {
    use arrow_array::cast::AsArray;
    let nulls = array.logical_null_count() > 0;
    let mut inner = match array.data_type() {
        DataType::List(_) => Some(datashape_of_data(array.as_list::<i32>().values().as_ref())?),
        DataType::LargeList(_) => {
            Some(datashape_of_data(array.as_list::<i64>().values().as_ref())?)
        }
        DataType::FixedSizeList(_, _) => Some(datashape_of_data(
            array.as_fixed_size_list().values().as_ref(),
        )?),
        DataType::Struct(_) => {
            let s = array.as_struct();
            let fields = s
                .fields()
                .iter()
                .zip(s.columns())
                .map(|(f, c)| Ok((f.name().clone(), datashape_of_data(c.as_ref())?)))
                .collect::<Result<Vec<_>, ArrayError>>()?;
            return Ok(Datashape::scalar(Measure::Record { fields }));
        }
        _ => None,
    };
    let mut ds = datashape_of(array.data_type(), nulls)?;
    if let Some(inner) = inner.take() {
        // The list's own dimension, then its child's datashape.
        ds.dims.truncate(1);
        ds.dims.extend(inner.dims);
        ds.measure = inner.measure;
    }
    Ok(ds)
}

/// Whether a measure's values are stored in Arrow's layout rather than as
/// dense numbers: strings, bytes, decimals, dates and times (and options
/// of them).
pub fn is_columnar_measure(measure: &Measure) -> bool {
    match measure {
        Measure::Option { inner } => is_columnar_measure(inner),
        Measure::String { .. }
        | Measure::Bytes
        | Measure::Decimal { .. }
        | Measure::Date
        | Measure::Time { .. }
        | Measure::DateTime { .. }
        | Measure::TimeDelta { .. } => true,
        _ => false,
    }
}

/// Where a value of datashape `ds` lives: `None` when it is dense (numbers,
/// options of numbers, and records or tuples of those at the top level),
/// `Some(k)` when it is a column in Arrow's layout whose first `k`
/// dimensions are its fixed leading shape and the rest are the elements'
/// Arrow type. The cut is the first `var` after the first dimension (a
/// leading `var` is just the value's length); with no such `var`, a
/// columnar measure makes every dimension part of the shape. A record with
/// no `var` below its first dimension stays a record of values.
pub fn columnar_split(ds: &Datashape) -> Option<usize> {
    if let Some(k) = ds
        .dims
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, d)| matches!(d, Dim::Var(_)))
        .map(|(k, _)| k)
    {
        return Some(k);
    }
    is_columnar_measure(&ds.measure).then_some(ds.dims.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use blaze_datashape::parse;

    fn round(text: &str) -> String {
        let ds = parse(text).unwrap();
        let k = columnar_split(&ds).unwrap_or(0);
        let (ty, nullable) = arrow_type(&ds.dims[k..], &ds.measure).unwrap();
        let mut back = datashape_of(&ty, nullable).unwrap();
        let mut dims = ds.dims[..k].to_vec();
        dims.append(&mut back.dims);
        back.dims = dims;
        back.to_string()
    }

    #[test]
    fn canonical_types_round_trip() {
        for text in [
            "string",
            "?string",
            "10 * string",
            "string[8]",
            "bytes",
            "decimal[18, 4]",
            "?decimal[10, 2]",
            "date",
            "datetime",
            "datetime[tz='UTC']",
            "timedelta[unit='ns']",
            "5 * var * float64",
            "5 * var * ?float64",
            "4 * var * var * int32",
            "3 * var * 3 * float64",
            "7 * var * {a: var * string, b: ?int64}",
            "{x: float64, y: ?int32}",
        ] {
            assert_eq!(round(text), text, "{text}");
        }
    }

    #[test]
    fn list_layout_and_split() {
        let ds = parse("5 * var * 3 * ?float64").unwrap();
        assert_eq!(columnar_split(&ds), Some(1));
        let (ty, nullable) = arrow_type(&ds.dims[1..], &ds.measure).unwrap();
        assert!(!nullable);
        let DataType::List(item) = ty else {
            panic!("{ty}")
        };
        let DataType::FixedSizeList(leaf, 3) = item.data_type() else {
            panic!("{item:?}")
        };
        assert_eq!(leaf.data_type(), &DataType::Float64);
        assert!(leaf.is_nullable());
        assert_eq!(columnar_split(&parse("var * float64").unwrap()), None);
        assert_eq!(columnar_split(&parse("var * string").unwrap()), Some(1));
        assert_eq!(columnar_split(&parse("var * var * int8").unwrap()), Some(1));
        assert_eq!(columnar_split(&parse("3 * 4 * float64").unwrap()), None);
    }

    #[test]
    fn options_follow_the_data_not_the_flags() {
        use arrow_array::builder::{Float64Builder, ListBuilder};
        use arrow_array::Array as _;
        let mut b = ListBuilder::new(Float64Builder::new());
        b.values().append_value(1.0);
        b.append(true);
        let l = b.finish();
        assert_eq!(
            datashape_of(l.data_type(), false).unwrap().to_string(),
            "var * ?float64"
        );
        assert_eq!(datashape_of_data(&l).unwrap().to_string(), "var * float64");
        b.values().append_null();
        b.append(true);
        let l = b.finish();
        assert_eq!(datashape_of_data(&l).unwrap().to_string(), "var * ?float64");
    }

    #[test]
    fn types_without_a_counterpart_are_errors() {
        for text in [
            "complex[float64]",
            "var * N * float64",
            "decimal[40, 2]",
            "timedelta[unit='D']",
            "string['utf16']",
        ] {
            let ds = parse(text).unwrap();
            let err = arrow_type(&ds.dims, &ds.measure).unwrap_err();
            assert!(
                matches!(err, ArrayError::Unsupported { .. }),
                "{text}: {err}"
            );
        }
        assert!(datashape_of(&DataType::Decimal256(50, 2), false).is_err());
        assert_eq!(
            datashape_of(&DataType::LargeUtf8, true)
                .unwrap()
                .to_string(),
            "?string"
        );
    }
}
