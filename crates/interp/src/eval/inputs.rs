//! Input checking: values against the parameter types of a function
//! (count, element type, rank, fixed lengths, one length per dimension
//! variable).

use std::collections::HashMap;

use blaze_datashape::{Datashape, Dim, Scalar};
use blaze_ir::Function;

use crate::value::Value;
use crate::EvalError;

/// Checks `inputs` against the parameter types of `f` (count, dtype,
/// rank, fixed lengths, and one length per dimension variable); returns the
/// length bound to each dimension variable.
pub fn check_inputs(f: &Function, inputs: &[Value]) -> Result<HashMap<String, usize>, EvalError> {
    let described: Vec<InputShape> = inputs.iter().map(InputShape::of_value).collect();
    check_input_shapes(f, &described)
}

/// What input checking looks at: the element type of an array (`None` for
/// records and tuples) and its shape.
#[derive(Clone, Debug)]
pub struct InputShape {
    /// The element type, for an array.
    pub scalar: Option<Scalar>,
    /// The shape (of a record: its fields').
    pub shape: Vec<usize>,
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
    let fixed: Vec<&Dim> = ty.dims.iter().collect();
    if fixed.iter().any(|d| matches!(d, Dim::Ellipsis(_))) {
        return Ok(());
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
    }
}
