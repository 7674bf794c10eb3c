//! Printing values the way NumPy's `str()` does: nested brackets, one row a
//! line, columns aligned, floats with a common number of decimals (up to
//! 8), `True`/`False`, missing values as `--` (as NumPy's masked arrays).
//! Columns in Arrow's layout print as nested lists (`format_column`).

use crate::value::{Array, Value};
use crate::with_array;
use half::f16;
use num_complex::{Complex32, Complex64};

/// Formats a value as NumPy would print it.
///
/// ```
/// use blaze_interp::{format_value, Array, Value};
/// use ndarray::{arr1, arr2};
/// let v = Value::from(Array::Float64(arr2(&[[1.0, 2.5], [3.0, 4.0]]).into_dyn()));
/// assert_eq!(format_value(&v), "[[1.  2.5]\n [3.  4. ]]");
/// let v = Value::from(Array::Int32(arr1(&[1, -20, 3]).into_dyn()));
/// assert_eq!(format_value(&v), "[  1 -20   3]");
/// ```
pub fn format_value(v: &Value) -> String {
    match v {
        Value::Array { data, missing } => format_array(data, missing.as_ref()),
        Value::Record(fields) => {
            let parts: Vec<String> = fields
                .iter()
                .map(|(n, v)| format!("{n}: {}", indent(&format_value(v), n.len() + 2)))
                .collect();
            format!("{{{}}}", parts.join(",\n "))
        }
        Value::Column(c) => crate::format_column::format_column(c),
        Value::Tuple(items) => {
            let parts: Vec<String> = items.iter().map(|v| indent(&format_value(v), 1)).collect();
            if parts.len() == 1 {
                format!("({},)", parts[0])
            } else {
                format!("({})", parts.join(",\n "))
            }
        }
    }
}

fn indent(s: &str, n: usize) -> String {
    s.replace('\n', &format!("\n{}", " ".repeat(n)))
}

/// Element texts, before alignment.
trait Show {
    fn texts(values: &[Self]) -> Vec<String>
    where
        Self: Sized;
}

macro_rules! show_int {
    ($($t:ty),*) => {$(
        impl Show for $t {
            fn texts(values: &[Self]) -> Vec<String> {
                values.iter().map(|v| v.to_string()).collect()
            }
        }
    )*};
}
show_int!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Show for bool {
    fn texts(values: &[Self]) -> Vec<String> {
        values
            .iter()
            .map(|v| if *v { "True" } else { "False" }.to_string())
            .collect()
    }
}

/// Floats with a shared number of decimals: the fewest (up to 8) that show
/// every value exactly at 8 significant decimals, as NumPy's default.
fn float_texts(values: &[f64], precision: usize) -> Vec<String> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let max = finite.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let min_nz = finite
        .iter()
        .filter(|v| **v != 0.0)
        .fold(f64::INFINITY, |m, v| m.min(v.abs()));
    // NumPy's rule: exponent notation when the values span more than three
    // decades, or are very large or very small.
    let scientific = max >= 1e8 || (min_nz.is_finite() && (min_nz < 1e-4 || max / min_nz > 1e3));
    let special = |v: f64| -> Option<String> {
        if v.is_nan() {
            Some("nan".into())
        } else if v.is_infinite() {
            Some(if v > 0.0 { "inf".into() } else { "-inf".into() })
        } else {
            None
        }
    };
    if scientific {
        // Shortest exponent form that shows `precision` digits at most.
        let mut digits = 0;
        for v in &finite {
            let s = format!("{:.*e}", precision, v);
            let (mant, _) = s.split_once('e').unwrap_or((&s, ""));
            let frac = mant
                .split_once('.')
                .map_or("", |(_, f)| f)
                .trim_end_matches('0');
            digits = digits.max(frac.len());
        }
        return values
            .iter()
            .map(|&v| {
                special(v).unwrap_or_else(|| {
                    let s = format!("{:.*e}", digits, v);
                    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
                    let e: i32 = exp.parse().unwrap_or(0);
                    let mant = if digits == 0 {
                        format!("{mant}.")
                    } else {
                        mant.to_string()
                    };
                    format!("{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
                })
            })
            .collect();
    }
    let mut decimals = 0;
    for v in &finite {
        let s = format!("{:.*}", precision, v);
        let frac = s
            .split_once('.')
            .map_or("", |(_, f)| f)
            .trim_end_matches('0');
        decimals = decimals.max(frac.len());
    }
    values
        .iter()
        .map(|&v| {
            special(v).unwrap_or_else(|| {
                let s = format!("{:.*}", decimals, v);
                if decimals == 0 {
                    format!("{s}.")
                } else {
                    // NumPy pads the shorter fractions with spaces, not zeros.
                    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
                    let trimmed = frac.trim_end_matches('0');
                    format!("{int}.{trimmed}{}", " ".repeat(frac.len() - trimmed.len()))
                }
            })
        })
        .collect()
}

impl Show for f64 {
    fn texts(values: &[Self]) -> Vec<String> {
        float_texts(values, 8)
    }
}

impl Show for f32 {
    fn texts(values: &[Self]) -> Vec<String> {
        let v: Vec<f64> = values.iter().map(|x| *x as f64).collect();
        // Show what an f32 holds: round through its own shortest text.
        let v: Vec<f64> = values
            .iter()
            .zip(v)
            .map(|(x, _)| x.to_string().parse().unwrap_or(*x as f64))
            .collect();
        float_texts(&v, 8)
    }
}

impl Show for f16 {
    fn texts(values: &[Self]) -> Vec<String> {
        let v: Vec<f64> = values
            .iter()
            .map(|x| x.to_string().parse().unwrap_or(x.to_f64()))
            .collect();
        float_texts(&v, 4)
    }
}

fn complex_texts(re: Vec<f64>, im: Vec<f64>) -> Vec<String> {
    let r = float_texts(&re, 8);
    let i = float_texts(&im.iter().map(|x| x.abs()).collect::<Vec<_>>(), 8);
    r.iter()
        .zip(i.iter())
        .zip(im.iter())
        .map(|((r, i), sign)| {
            let op = if sign.is_sign_negative() { '-' } else { '+' };
            format!("{}{op}{}j", r.trim_end(), i.trim_end())
        })
        .collect()
}

impl Show for Complex64 {
    fn texts(values: &[Self]) -> Vec<String> {
        complex_texts(
            values.iter().map(|c| c.re).collect(),
            values.iter().map(|c| c.im).collect(),
        )
    }
}

impl Show for Complex32 {
    fn texts(values: &[Self]) -> Vec<String> {
        complex_texts(
            values.iter().map(|c| c.re as f64).collect(),
            values.iter().map(|c| c.im as f64).collect(),
        )
    }
}

/// Arrays with more elements than this print summarized, as NumPy's
/// default `threshold`.
const THRESHOLD: usize = 1000;
/// Items kept at each end of a summarized axis (NumPy's `edgeitems`).
const EDGE: usize = 3;

fn format_array(a: &Array, missing: Option<&ndarray::ArrayD<bool>>) -> String {
    let shape = a.shape().to_vec();
    // Summarize: keep EDGE items at both ends of every long axis.
    let summarize = a.len() > THRESHOLD;
    let kept: Vec<Vec<usize>> = shape
        .iter()
        .map(|&n| {
            if summarize && n > 2 * EDGE {
                (0..EDGE).chain(n - EDGE..n).collect()
            } else {
                (0..n).collect()
            }
        })
        .collect();
    let gaps: Vec<bool> = shape.iter().zip(&kept).map(|(&n, k)| k.len() < n).collect();
    let mut texts: Vec<String> = with_array!(a, x => {
        let shown = if summarize { select(x, &kept) } else { x.clone() };
        let flat: Vec<_> = shown.iter().cloned().collect();
        Show::texts(&flat)
    });
    if let Some(m) = missing {
        let shown = if summarize {
            select(m, &kept)
        } else {
            m.clone()
        };
        for (t, miss) in texts.iter_mut().zip(shown.iter()) {
            if *miss {
                *t = "--".to_string();
            }
        }
    }
    let width = texts.iter().map(|t| t.chars().count()).max().unwrap_or(0);
    let padded: Vec<String> = texts
        .iter()
        .map(|t| format!("{}{t}", " ".repeat(width - t.chars().count())))
        .collect();
    if shape.is_empty() {
        return texts
            .first()
            .cloned()
            .unwrap_or_default()
            .trim()
            .to_string();
    }
    let kept_shape: Vec<usize> = kept.iter().map(|k| k.len()).collect();
    let mut out = String::new();
    nest(&mut out, &padded, &kept_shape, &gaps, 0);
    out
}

/// The elements of `x` at the kept indices of every axis.
fn select<T: Clone>(x: &ndarray::ArrayD<T>, kept: &[Vec<usize>]) -> ndarray::ArrayD<T> {
    let mut v: Option<ndarray::ArrayD<T>> = None;
    for (axis, idx) in kept.iter().enumerate() {
        if idx.len() < x.shape()[axis] {
            v = Some(match v {
                None => x.select(ndarray::Axis(axis), idx),
                Some(v) => v.select(ndarray::Axis(axis), idx),
            });
        }
    }
    v.unwrap_or_else(|| x.clone())
}

/// Writes nested brackets; `gaps[axis]` puts `...` after the first EDGE
/// items of that axis.
fn nest(out: &mut String, items: &[String], shape: &[usize], gaps: &[bool], depth: usize) {
    out.push('[');
    if shape.len() == 1 {
        if gaps[0] {
            let (head, tail) = items.split_at(EDGE.min(items.len()));
            out.push_str(&head.join(" "));
            out.push_str(" ... ");
            out.push_str(&tail.join(" "));
        } else {
            out.push_str(&items.join(" "));
        }
    } else {
        let step: usize = shape[1..].iter().product();
        let sep = |out: &mut String| {
            out.push('\n');
            if shape.len() > 2 {
                out.push('\n');
            }
            out.push_str(&" ".repeat(depth + 1));
        };
        for i in 0..shape[0] {
            if i > 0 {
                sep(out);
            }
            if gaps[0] && i == EDGE {
                out.push_str("...");
                sep(out);
            }
            nest(
                out,
                &items[i * step..(i + 1) * step],
                &shape[1..],
                &gaps[1..],
                depth + 1,
            );
        }
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    #[test]
    fn long_arrays_are_summarized_as_numpy_does() {
        let v = Value::from(Array::Float64(ArrayD::from_shape_fn(IxDyn(&[2000]), |i| {
            i[0] as f64
        })));
        assert_eq!(
            format_value(&v),
            "[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]"
        );
        let m = Value::from(Array::Int64(ArrayD::from_shape_fn(
            IxDyn(&[100, 100]),
            |i| (i[0] * 100 + i[1]) as i64,
        )));
        let text = format_value(&m);
        assert!(
            text.starts_with(
                "[[   0    1    2 ...   97   98   99]\n [ 100  101  102 ...  197  198  199]"
            ),
            "{text}"
        );
        assert!(
            text.contains("\n ...\n [9700 9701 9702 ... 9797 9798 9799]"),
            "{text}"
        );
        let small = Value::from(Array::Int64(ArrayD::from_shape_fn(IxDyn(&[10]), |i| {
            i[0] as i64
        })));
        assert_eq!(format_value(&small), "[0 1 2 3 4 5 6 7 8 9]");
    }
}
