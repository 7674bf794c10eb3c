//! Lowering of a [`KernelKey`](crate::KernelKey) to LLVM IR by the
//! [`Emitter`].
//!
//! Every kernel has one signature (the C ABI the runtime calls):
//!
//! ```c
//! void kernel(char **ptrs, const int64_t *strides, const int64_t *shape,
//!             int64_t begin, int64_t end);
//! ```
//!
//! `ptrs` holds one pointer per input and then the output, each pointing at
//! the element with index 0 on every axis; `strides` holds, per operand, one
//! stride in elements per axis (0 broadcasts, negative walks backwards),
//! and after them, for each bit-addressed operand (`KernelKey::bits`, in
//! operand order), the bit position of its element 0; `shape` is the
//! iteration space. The kernel handles the flat C-order positions
//! `begin..end` of that space, so the runtime can split any shape into
//! chunks.
//!
//! Missing values travel as masks, operands like any other: an option
//! input is two operands, its values and then its mask, each with its own
//! pointer and strides. A mask is either a byte mask (`bool`, one byte per
//! element, true = missing; it may broadcast with stride 0, or be a single
//! `false` byte with stride 0 everywhere when nothing is missing) or
//! bit-addressed, a caller's Arrow validity bitmap read in place: its
//! pointer is the bitmap's first byte, its strides count bits (the C-order
//! strides of the view's own shape, 0 on broadcast axes), element 0 is at
//! the bit given after the strides, and a bit is 1 when the element is
//! valid (LSB first). The inner loop loads the byte `bit >> 3` and tests
//! bit `bit & 7`. A stored option result has a second output after the
//! first, its mask (`KernelSpec::missing`): a byte mask laid out like the
//! values, or a bitmap in C order whose bits the kernel sets one by one
//! with a read-modify-write of their byte, leaving the other bits as they
//! are (the runtime never gives two chunks one byte). So `ptrs` is: inputs
//! (each option's mask right after its values), the output, then the
//! output's mask if any. Kernels of plain values have no mask operand and
//! no code for one.
//!
//! The rows of the innermost axis are a separate loop whose
//! operands are `noalias` pointers with the layout of the key: contiguous
//! operands load and store vectors.
//!
//! User data never reaches undefined behaviour: integer division and
//! remainder check for 0 and −1, float→integer casts use the saturating
//! intrinsics, and nothing else in the instruction set used can trap.
//!
//! One concept a module, each using only those listed before it:
//! `emitter` (the emitter, scalar types, loads and stores), `calls`
//! (intrinsics, libm under blaze's names, integer power), `scalar` (casts,
//! truthiness, constants, unary functions), `binary` (binary functions),
//! `reduce` (combining into an accumulator), `expr` (a kernel's expression
//! for one element), `loops` (the kernel's signature and its loops over
//! the iteration space), and for the kernels over Arrow buffers
//! ([`ColumnKernel`](crate::arrow_kernels::ColumnKernel), which share the
//! signature but read `i32` offsets, values and bitmaps row by row):
//! `segmented` (reductions of each row of a `List` column; the prologue
//! every column kernel shares) and `strings` (predicates and `len` over a
//! `Utf8` column), `decimal` (checked `i128` arithmetic, comparisons, the
//! cast to `float64` and reductions of `Decimal128` values) and `select`
//! (the count of a selection mask). Which IR nodes become kernel nodes is `fuse`'s
//! business; the host is `target`'s, the optimizer `machine`'s.

mod binary;
mod calls;
mod decimal;
mod emitter;
mod expr;
mod loops;
mod reduce;
mod scalar;
mod segmented;
mod select;
mod strings;

pub(crate) use emitter::{mem_type, Emitter};
