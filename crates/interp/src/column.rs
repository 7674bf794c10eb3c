//! [`Column`]: values stored in Apache Arrow's columnar layout — strings,
//! bytes, decimals, dates and times, and ragged (`var`) dimensions below
//! the first — as the reference interpreter holds them.
//!
//! A column is a fixed leading shape over one Arrow array holding the
//! shape's elements in C order. `N * var * float64` is shape `[N]` over a
//! `List<Float64>`; `3 * 4 * ?string` is shape `[3, 4]` over a nullable
//! `Utf8` array of 12; a single string is shape `[]` over an array of one.
//! [`blaze_array::schema`] says which datashapes are columns
//! ([`columnar_split`](blaze_array::schema::columnar_split)) and their
//! Arrow types.

use crate::EvalError;
use arrow_array::{Array as _, ArrayRef};
use blaze_array::schema;
use blaze_datashape::{Datashape, Measure};

/// Values in Arrow's columnar layout under a fixed leading shape.
#[derive(Clone, Debug)]
pub struct Column {
    /// The fixed leading dimensions; `array` holds their elements in C
    /// order (`shape.iter().product()` slots).
    pub shape: Vec<usize>,
    /// The elements.
    pub array: ArrayRef,
}

impl PartialEq for Column {
    fn eq(&self, other: &Column) -> bool {
        self.shape == other.shape && self.array.as_ref() == other.array.as_ref()
    }
}

impl Column {
    /// A column of `shape` over `array`, which must have one slot per
    /// element of the shape.
    pub fn new(shape: Vec<usize>, array: ArrayRef) -> Result<Column, EvalError> {
        let slots = shape
            .iter()
            .try_fold(1usize, |acc, &n| acc.checked_mul(n))
            .ok_or_else(|| EvalError::Shape(format!("the shape {shape:?} overflows")))?;
        if slots != array.len() {
            return Err(EvalError::Shape(format!(
                "a column of shape {shape:?} needs {slots} elements, its Arrow array has {}",
                array.len()
            )));
        }
        Ok(Column { shape, array })
    }

    /// A 0-d column: one element, `array` of length 1.
    pub fn scalar(array: ArrayRef) -> Result<Column, EvalError> {
        Column::new(Vec::new(), array)
    }

    /// A 1-d column over all of `array`.
    pub fn vector(array: ArrayRef) -> Column {
        Column {
            shape: vec![array.len()],
            array,
        }
    }

    /// The number of elements of the leading shape (the Arrow array's
    /// length).
    pub fn len(&self) -> usize {
        self.array.len()
    }

    /// Whether the column has no elements.
    pub fn is_empty(&self) -> bool {
        self.array.is_empty()
    }

    /// Whether the column fits the elements of datashape `ty`: its leading
    /// dimensions are `ty`'s first `shape.len()` (lengths are checked
    /// elsewhere), the rest of `ty` has the Arrow type of the array (field
    /// names and nullability aside), and a non-option measure has no nulls
    /// at the top level.
    pub fn fits(&self, ty: &Datashape) -> Result<(), String> {
        let k = self.shape.len();
        if ty.dims.len() < k {
            return Err(format!(
                "a column of shape {:?} does not fit `{ty}`",
                self.shape
            ));
        }
        let expected =
            schema::arrow_type(&ty.dims[k..], &ty.measure).map_err(|e| format!("`{ty}`: {e}"))?;
        let found = schema::datashape_of_data(self.array.as_ref())
            .map_err(|e| format!("the array: {e}"))?;
        let want = schema::datashape_of(&expected.0, false).map_err(|e| e.to_string())?;
        if strip_options(&found) != strip_options(&want) {
            return Err(format!(
                "it holds `{found}`, not `{}`",
                Datashape::new(ty.dims[k..].to_vec(), ty.measure.clone())
            ));
        }
        if self.array.null_count() > 0 && !expected.1 && ty.dims.len() == k {
            return Err(format!(
                "it has missing elements, but `{ty}` is not an option type"
            ));
        }
        Ok(())
    }
}

/// `ds` with every option removed, records and lists included.
fn strip_options(ds: &Datashape) -> Datashape {
    fn measure(m: &Measure) -> Measure {
        match m {
            Measure::Option { inner } => measure(inner),
            Measure::Record { fields } => Measure::Record {
                fields: fields
                    .iter()
                    .map(|(n, d)| (n.clone(), strip_options(d)))
                    .collect(),
            },
            m => m.clone(),
        }
    }
    Datashape::new(ds.dims.clone(), measure(&ds.measure))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{Float64Builder, ListBuilder};
    use arrow_array::StringArray;
    use std::sync::Arc;

    #[test]
    fn slots_must_match_the_shape() {
        let a: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "c"]));
        assert!(Column::new(vec![3], a.clone()).is_ok());
        assert!(Column::new(vec![2, 2], a.clone()).is_err());
        assert!(Column::new(vec![usize::MAX, 2], a).is_err());
    }

    #[test]
    fn fits_checks_the_arrow_type_and_nulls() {
        let mut b = ListBuilder::new(Float64Builder::new());
        b.values().append_value(1.0);
        b.append(true);
        b.append(true);
        let lists = Column::vector(Arc::new(b.finish()));
        let ty = |t: &str| blaze_datashape::parse(t).unwrap();
        assert!(lists.fits(&ty("2 * var * float64")).is_ok());
        assert!(lists.fits(&ty("N * var * ?float64")).is_ok());
        let err = lists.fits(&ty("N * var * int32")).unwrap_err();
        assert!(err.contains("var * int32"), "{err}");
        let names = Column::vector(Arc::new(StringArray::from(vec![Some("x"), None])));
        assert!(names.fits(&ty("N * ?string")).is_ok());
        let err = names.fits(&ty("N * string")).unwrap_err();
        assert!(err.contains("missing"), "{err}");
    }
}
