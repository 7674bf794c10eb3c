//! # blaze-array
//!
//! blaze's runtime array type, below the runtime and beside the reference
//! interpreter:
//!
//! - [`DenseArray`] — DLPack's view of a buffer (element type, shape, byte
//!   strides that may be negative or 0, byte offset) with Apache Arrow's
//!   validity bitmap for option types. The buffer is an
//!   [`arrow_buffer::Buffer`], owned by blaze or borrowed from a caller with
//!   a keep-alive owner, so arrow-rs arrays convert in and out without
//!   copying ([`arrow`](mod@arrow)).
//! - [`DenseView`] — a lifetime-bound view of elements someone else owns
//!   (what an engine reads per operand: element pointer, strides,
//!   bitmap).
//! - [`ArrayMut`] — an owned C-order array being written (an engine's
//!   output), frozen into a [`DenseArray`].
//! - [`schema`] — datashapes in Arrow's terms: the canonical Arrow type of
//!   each datashape, the datashape of an Arrow type, and which values are
//!   stored in Arrow's columnar layout.
//!
//! Every constructor checks, with checked arithmetic, that every reachable
//! element lies inside the buffer and is aligned; failures are
//! [`ArrayError`]s naming the problem.

#![warn(missing_docs)]

pub mod alloc;
pub mod arrow;
mod dense;
pub mod element;
mod error;
mod layout;
pub mod schema;
mod view;

pub use arrow_buffer::alloc::Allocation;
pub use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer};
pub use dense::{ArrayMut, DenseArray, ALLOC_ALIGN};
pub use element::Element;
pub use error::ArrayError;
pub use view::{DenseView, DenseViewMut};
