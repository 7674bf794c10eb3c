//! Printing values the way NumPy's `str()` does: nested brackets, one row a
//! line, columns aligned, floats with a common number of decimals (up to
//! 8), `True`/`False`, missing values as `--` (as NumPy's masked arrays).

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
    let scientific = max >= 1e16
        || (min_nz.is_finite() && min_nz < 1e-4)
        || (max > 0.0 && max / min_nz > 1e3 && min_nz < 1e-4);
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

fn format_array(a: &Array, missing: Option<&ndarray::ArrayD<bool>>) -> String {
    let shape = a.shape().to_vec();
    let mut texts: Vec<String> = with_array!(a, x => {
        let flat: Vec<_> = x.iter().cloned().collect();
        Show::texts(&flat)
    });
    if let Some(m) = missing {
        for (t, miss) in texts.iter_mut().zip(m.iter()) {
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
    let mut out = String::new();
    nest(&mut out, &padded, &shape, 0);
    out
}

fn nest(out: &mut String, items: &[String], shape: &[usize], depth: usize) {
    out.push('[');
    if shape.len() == 1 {
        out.push_str(&items.join(" "));
    } else {
        let step: usize = shape[1..].iter().product();
        for i in 0..shape[0] {
            if i > 0 {
                out.push('\n');
                if shape.len() > 2 {
                    out.push('\n');
                }
                out.push_str(&" ".repeat(depth + 1));
            }
            nest(
                out,
                &items[i * step..(i + 1) * step],
                &shape[1..],
                depth + 1,
            );
        }
    }
    out.push(']');
}
