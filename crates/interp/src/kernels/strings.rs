//! String kernels: what each string operation does to one element, and
//! reading and building Arrow string arrays. Strings compare by code point
//! (the byte order of UTF-8), `len` counts code points, `upper`/`lower`
//! are Rust's Unicode `to_uppercase`/`to_lowercase`.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, StringArray};
use arrow_schema::DataType;
use blaze_ir::ops::{BinaryFn, UnaryFn};

use crate::EvalError;

/// The strings of `a`, `None` where one is missing: `Utf8`, `LargeUtf8`,
/// `Utf8View`, and `FixedSizeBinary` (`string[n]`: UTF-8 bytes, trailing
/// NUL padding removed).
pub fn texts(a: &dyn Array) -> Result<Vec<Option<&str>>, EvalError> {
    let not_utf8 =
        |i: usize| EvalError::Value(format!("element {i} of a `string[n]` column is not UTF-8"));
    Ok(match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().iter().collect(),
        DataType::LargeUtf8 => a.as_string::<i64>().iter().collect(),
        DataType::Utf8View => a.as_string_view().iter().collect(),
        DataType::FixedSizeBinary(_) => {
            let b = a.as_fixed_size_binary();
            let mut out = Vec::with_capacity(b.len());
            for (i, v) in b.iter().enumerate() {
                out.push(match v {
                    None => None,
                    Some(bytes) => {
                        let end = bytes.iter().rposition(|&c| c != 0).map_or(0, |k| k + 1);
                        Some(std::str::from_utf8(&bytes[..end]).map_err(|_| not_utf8(i))?)
                    }
                });
            }
            out
        }
        other => {
            return Err(EvalError::Value(format!(
                "expected strings, found an Arrow array of `{other}`"
            )))
        }
    })
}

/// A `Utf8` array of `values`.
pub fn string_array(values: Vec<Option<String>>) -> ArrayRef {
    Arc::new(StringArray::from(values))
}

/// `len`, `upper`, `lower` of one string.
pub enum Mapped {
    /// `len`: the number of code points.
    Len(i64),
    /// `upper`, `lower`: the new string.
    Text(String),
}

/// A unary function of one string; `None` for functions that are not
/// functions of strings.
pub fn unary(f: UnaryFn, s: &str) -> Result<Mapped, EvalError> {
    Ok(match f {
        UnaryFn::Len => Mapped::Len(
            i64::try_from(s.chars().count())
                .map_err(|_| EvalError::Value("a string longer than int64 counts".into()))?,
        ),
        UnaryFn::Upper => Mapped::Text(s.to_uppercase()),
        UnaryFn::Lower => Mapped::Text(s.to_lowercase()),
        other => {
            return Err(EvalError::Value(format!(
                "`{}` is not a function of strings",
                other.name()
            )))
        }
    })
}

/// A comparison or predicate of two strings.
pub fn test(f: BinaryFn, a: &str, b: &str) -> Result<bool, EvalError> {
    use BinaryFn::*;
    // `str`'s order is the byte order of UTF-8, which is code-point order.
    Ok(match f {
        Eq => a == b,
        Ne => a != b,
        Lt => a < b,
        Le => a <= b,
        Gt => a > b,
        Ge => a >= b,
        StartsWith => a.starts_with(b),
        EndsWith => a.ends_with(b),
        Contains => a.contains(b),
        other => {
            return Err(EvalError::Value(format!(
                "`{}` does not test strings",
                other.name()
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::FixedSizeBinaryArray;

    #[test]
    fn code_point_order_and_counts() {
        assert!(test(BinaryFn::Lt, "Z", "a").unwrap());
        assert!(test(BinaryFn::Lt, "z", "é").unwrap());
        assert!(test(BinaryFn::Lt, "\u{ffff}", "😀").unwrap());
        assert!(test(BinaryFn::Contains, "abc", "").unwrap());
        assert!(test(BinaryFn::Add, "a", "b").is_err());
        assert!(matches!(
            unary(UnaryFn::Len, "héllo😀").unwrap(),
            Mapped::Len(6)
        ));
        assert!(
            matches!(unary(UnaryFn::Upper, "straße").unwrap(), Mapped::Text(t) if t == "STRASSE")
        );
        assert!(unary(UnaryFn::Sqrt, "x").is_err());
    }

    #[test]
    fn fixed_width_strings_drop_padding() {
        let a = FixedSizeBinaryArray::try_from_sparse_iter_with_size(
            vec![Some(b"ab\0\0".to_vec()), None, Some(b"\xff\0\0\0".to_vec())].into_iter(),
            4,
        )
        .unwrap();
        let err = texts(&a).unwrap_err().to_string();
        assert!(err.contains("element 2"), "{err}");
        let s = a.slice(0, 2);
        assert_eq!(texts(&s).unwrap(), vec![Some("ab"), None]);
        assert!(texts(&arrow_array::Int32Array::from(vec![1])).is_err());
    }
}
