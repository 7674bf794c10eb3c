//! Elementwise and reduction kernels of the reference interpreter.
//!
//! Everything here follows NumPy semantics and is written to be obviously
//! correct rather than fast. No function in this module panics on any data:
//! integer arithmetic wraps, integer division by zero gives 0, float-to-int
//! conversions saturate, and every shape is checked before it is used.
//!
//! Where NumPy is undefined, warns, or raises, the rules are:
//!
//! * **float → int casts**: NaN → 0; values out of range saturate to the
//!   integer's min/max (Rust `as`); finite values truncate toward zero.
//! * **int → narrower int casts** wrap (two's complement), as NumPy.
//! * **anything → bool** is `x != 0` (NaN is true; complex: either part
//!   non-zero); **bool → number** is 0/1; **complex → real** drops the
//!   imaginary part (NumPy's `ComplexWarning` behaviour).
//! * **integer `//` and `%` by zero** give 0 (NumPy gives 0 with a warning);
//!   `MIN // -1` wraps to `MIN`, `MIN % -1` is 0.
//! * **integer `**` with a negative exponent** (NumPy raises): `1/base^n`
//!   truncated toward zero: 1 for base 1, ±1 for base −1, 0 otherwise
//!   (including base 0).
//! * **bool arithmetic** (NumPy gives errors or int8 for some of these) is
//!   computed on 0/1 integers and the result made bool again: `+` is `or`,
//!   `*` is `and`, `//` is `and` (`x // 0 == 0`), `%` is always false,
//!   `**` is `a or not b`, `minimum`/`maximum` are `and`/`or`; `sign`, `abs`,
//!   `floor`, `ceil`, `round` are the identity.
//! * **complex `sign`** is `z/|z|`, 0 for 0; NaN in either part gives
//!   NaN+NaNj; an infinite modulus gives the unit vector of the infinite
//!   part(s) (`sign(inf+1j) == 1`, `sign(-inf+inf j) == NaN+NaNj`).
//! * **complex `round`, `floor`, `ceil`** act on both parts.
//! * **float16** is computed through float32 and rounded back, one rounding
//!   per operation; its sums, products, means and variances accumulate in
//!   float32.
//! * **float sums** use pairwise summation (blocks of 8 summed left to
//!   right, then halves); this is as accurate as NumPy's but not bitwise
//!   identical to it on every input.
//! * **reductions with a missing mask** skip masked elements, like NumPy's
//!   `nan*` functions; in `reduce` a reduction whose every element is
//!   missing behaves as an empty one, in `reduce_skipna` (the reductions of
//!   option operands) it follows pandas: missing for `mean var std min max
//!   argmin argmax`, the empty value for the others.
//!
//! Submodules, one concept each: `broadcast` shapes, `cast` conversions,
//! `scalar_ops` what each operation does to one element of each type,
//! `elementwise` the elementwise entry points, `reduce` reductions,
//! `strings`, `decimal` and `temporal` the elements of strings, decimals
//! and dates (which are Arrow columns), `ragged` values with a ragged axis
//! (Arrow lists) and their reductions.

mod broadcast;
mod cast;
pub mod decimal;
mod elementwise;
pub mod ragged;
mod reduce;
mod scalar_ops;
pub mod strings;
pub mod temporal;
#[cfg(test)]
mod tests;

pub use broadcast::{broadcast_mask, broadcast_shapes, broadcast_to};
pub use cast::cast;
pub use elementwise::{binary, fillna, unary, where_};
pub use reduce::{reduce, reduce_skipna};
