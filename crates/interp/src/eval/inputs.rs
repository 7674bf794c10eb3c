//! Input checking: values against the parameter types of a function
//! (count, element type, rank, fixed lengths, one length per dimension
//! variable).

use std::collections::HashMap;

use blaze_datashape::{Datashape, Dim, Measure, Scalar};
use blaze_ir::Function;

use crate::value::Value;
use crate::Column;
use crate::EvalError;
use blaze_array::schema;

/// Checks `inputs` against the parameter types of `f` (count, dtype,
/// rank, fixed lengths, and one length per dimension variable); returns the
/// length bound to each dimension variable.
pub fn check_inputs(f: &Function, inputs: &[Value]) -> Result<HashMap<String, usize>, EvalError> {
    let described: Vec<InputShape> = inputs.iter().map(InputShape::of_value).collect();
    check_input_shapes(f, &described)
}

/// What input checking looks at: the element type of an array (`None` for
/// records, tuples and columns), its shape, and for a column in Arrow's
/// layout the column itself (cheap to clone: its array is shared).
#[derive(Clone, Debug)]
pub struct InputShape {
    /// The element type, for an array.
    pub scalar: Option<Scalar>,
    /// The shape (of a record: its fields'; of a column: its leading
    /// fixed shape).
    pub shape: Vec<usize>,
    /// The column, for a value in Arrow's layout.
    pub column: Option<Column>,
    /// The fields, for a record (empty otherwise).
    pub fields: Vec<(String, InputShape)>,
}

impl InputShape {
    /// The description of a value.
    pub fn of_value(v: &Value) -> InputShape {
        InputShape {
            scalar: match v {
                Value::Array { data, .. } => Some(data.scalar()),
                _ => None,
            },
            shape: value_shape(v),
            column: match v {
                Value::Column(c) => Some(c.clone()),
                _ => None,
            },
            fields: match v {
                Value::Record(fields) => fields
                    .iter()
                    .map(|(n, f)| (n.clone(), InputShape::of_value(f)))
                    .collect(),
                _ => Vec::new(),
            },
        }
    }
}

/// [`check_inputs`] on descriptions of the inputs, for engines that read
/// data they do not hold as [`Value`]s.
pub fn check_input_shapes(
    f: &Function,
    inputs: &[InputShape],
) -> Result<HashMap<String, usize>, EvalError> {
    if inputs.len() != f.params.len() {
        return Err(EvalError::Input(format!(
            "`{}` takes {} input{}, got {}",
            f.name,
            f.params.len(),
            if f.params.len() == 1 { "" } else { "s" },
            inputs.len()
        )));
    }
    let mut sizes: HashMap<String, usize> = HashMap::new();
    for ((name, ty), v) in f.params.iter().zip(inputs) {
        check_input(name, ty, v, &mut sizes)?;
    }
    Ok(sizes)
}

/// Checks that `v` fits type `ty` (after expansion of definitions), binding
/// symbolic dimensions to sizes.
fn check_input(
    name: &str,
    ty: &Datashape,
    v: &InputShape,
    sizes: &mut HashMap<String, usize>,
) -> Result<(), EvalError> {
    let shape = v.shape.as_slice();
    let mut fixed: Vec<&Dim> = ty.dims.iter().collect();
    if fixed.iter().any(|d| matches!(d, Dim::Ellipsis(_))) {
        return Ok(());
    }
    if let (Measure::Record { fields }, false) = (&ty.measure, v.fields.is_empty()) {
        for (field, fty) in fields {
            let Some((_, fv)) = v.fields.iter().find(|(n, _)| n == field) else {
                return Err(EvalError::Input(format!(
                    "input `{name}` has no field `{field}`, which its type `{ty}` has"
                )));
            };
            let mut dims = ty.dims.clone();
            dims.extend(fty.dims.iter().cloned());
            let full = Datashape::new(dims, fty.measure.clone());
            check_input(&format!("{name}.{field}"), &full, fv, sizes)?;
        }
        return Ok(());
    }
    if let Some(column) = &v.column {
        column.fits(ty).map_err(|why| {
            EvalError::Input(format!("input `{name}` does not fit `{ty}`: {why}"))
        })?;
        fixed.truncate(column.shape.len());
    } else if schema::columnar_split(ty).is_some() {
        return Err(EvalError::Input(format!(
            "input `{name}` of type `{ty}` must be held in Arrow's columnar layout, not as a dense array"
        )));
    }
    if shape.len() < fixed.len() {
        return Err(EvalError::Input(format!(
            "input `{name}` has shape {shape:?}, but its type `{ty}` has {} dimensions",
            fixed.len()
        )));
    }
    for (i, d) in fixed.iter().enumerate() {
        let n = shape[i];
        match d {
            Dim::Fixed(m) if *m as usize != n => {
                return Err(EvalError::Input(format!(
                    "input `{name}` has length {n} on axis {i}, but its type `{ty}` says {m}"
                )));
            }
            Dim::TypeVar(var) => match sizes.get(var) {
                Some(&m) if m != n => {
                    return Err(EvalError::Input(format!("input `{name}` has length {n} on axis {i} for `{var}`, which is {m} elsewhere")));
                }
                Some(_) => {}
                None => {
                    sizes.insert(var.clone(), n);
                }
            },
            _ => {}
        }
    }
    if let (Some(scalar), Some(s)) = (v.scalar, ty.measure.element_scalar()) {
        if scalar != s {
            return Err(EvalError::Input(format!(
                "input `{name}` holds {scalar}, but its type is `{ty}`"
            )));
        }
        if shape.len() != fixed.len() {
            return Err(EvalError::Input(format!(
                "input `{name}` has shape {shape:?}, but its type is `{ty}`"
            )));
        }
    }
    Ok(())
}

/// The shape of a value (of a record: its fields'; of a tuple: none).
pub(super) fn value_shape(v: &Value) -> Vec<usize> {
    match v {
        Value::Array { data, .. } => data.shape().to_vec(),
        Value::Record(fields) => fields.first().map_or(vec![], |(_, f)| value_shape(f)),
        Value::Tuple(_) => vec![],
        Value::Column(c) => c.shape.clone(),
    }
}
