//! What a kernel computes, independent of LLVM: a small expression DAG over
//! the kernel's inputs (one scalar per element), and whether its result is
//! stored elementwise or reduced. This, with the layout of each operand,
//! is the specialization key of the kernel cache.

use blaze_datashape::{Scalar, ScalarKind};
use blaze_ir::ops::{BinaryFn, ReduceFn, UnaryFn};
use std::fmt::{self, Write};

/// The scalar types kernels support (complex numbers run on the reference
/// kernels for now).
pub fn supported(s: Scalar) -> bool {
    s.kind() != ScalarKind::Complex
}

/// A constant, already of the node's scalar type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Const {
    /// A bool.
    Bool(bool),
    /// An integer (any width; truncated to the node's type).
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A float.
    Float(f64),
}

/// The operation of a kernel node.
#[derive(Clone, Debug, PartialEq)]
pub enum KOp {
    /// The element of input `k`.
    Input(usize),
    /// A constant.
    Const(Const),
    /// An elementwise function; the argument has the type the function
    /// computes in (the IR's casts are explicit).
    Unary(UnaryFn),
    /// An elementwise function of two arguments of one type.
    Binary(BinaryFn),
    /// `where(c, x, y)`.
    Where,
    /// Conversion from the argument's type to the node's.
    Cast,
}

/// A node of a kernel: operation, arguments (earlier nodes), element type.
#[derive(Clone, Debug, PartialEq)]
pub struct KNode {
    /// What it computes.
    pub op: KOp,
    /// Earlier nodes.
    pub args: Vec<usize>,
    /// Its scalar type.
    pub ty: Scalar,
}

/// What happens to the value of the root node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Combine {
    /// Stored at the output position of each element.
    Store,
    /// Combined into the output with a reduction: `sum`, `prod`, `min`,
    /// `max`, `any` or `all`. The output has stride 0 along reduced axes and
    /// holds the identity (or a partial result) before the call.
    Reduce(ReduceFn),
}

/// What a kernel computes (a fused group): nodes in evaluation order, the
/// root, and what to do with it. Its text form (`Display`) is part of the
/// cache key.
///
/// Missing values are plain data here: an option operand is two inputs,
/// its values and its missing mask (`bool`, true = missing), and an option
/// node is two nodes, its value and its missing flag, computed like any
/// other (`or` of the arguments' flags, a `where` selecting the branch's
/// flag, …). A stored option result writes its flags into a second output
/// ([`KernelSpec::missing`]); a reduction over options reduces a `where`
/// that puts the reduction's identity in the missing slots. Kernels of
/// plain values have none of these nodes. Not to be confused with the facade's `blaze::Kernel`, a
/// compiled user function that runs many of these.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelSpec {
    /// Scalar type of each input.
    pub inputs: Vec<Scalar>,
    /// The expression.
    pub nodes: Vec<KNode>,
    /// The node whose value is stored or reduced.
    pub root: usize,
    /// Store or reduce.
    pub combine: Combine,
    /// The element type of the output (for a reduction, the accumulator).
    pub output: Scalar,
    /// For a store of an option result: the node (`bool`, true = missing)
    /// whose value is stored into a second output, a byte mask laid out
    /// like the first. `None` for plain results and reductions.
    pub missing: Option<usize>,
}

impl KernelSpec {
    /// The number of operands: inputs, the output, and the missing mask
    /// output of a stored option result.
    pub fn operands(&self) -> usize {
        self.inputs.len() + 1 + usize::from(self.missing.is_some())
    }
}

/// How an operand is laid out along the innermost axis of the iteration,
/// which decides the code of the inner loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Stride 1: loads and stores vectorize.
    Contiguous,
    /// Stride 0: loaded once per row.
    Broadcast,
    /// Any other stride (negative included).
    Strided,
}

impl Layout {
    /// The layout class of a stride in elements.
    pub fn of_stride(stride: i64) -> Layout {
        match stride {
            1 => Layout::Contiguous,
            0 => Layout::Broadcast,
            _ => Layout::Strided,
        }
    }

    fn letter(self) -> char {
        match self {
            Layout::Contiguous => 'c',
            Layout::Broadcast => 'b',
            Layout::Strided => 's',
        }
    }
}

/// Everything a compiled kernel is specialized on: its spec, the rank of
/// the iteration and the layout of each operand (inputs, then the output).
/// The target CPU is the host's and is the same for the whole process.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelKey {
    /// The computation.
    pub spec: KernelSpec,
    /// Rank of the iteration space.
    pub rank: usize,
    /// Innermost-axis layout of every input, then of the output (and of
    /// the missing mask output, when the spec stores one).
    pub layouts: Vec<Layout>,
    /// The operands (indices into the operand list, ascending) that are
    /// bit-addressed validity bitmaps (one bit per element, 1 = valid)
    /// rather than byte masks (true = missing): a caller's Arrow bitmap
    /// read in place, or an output bitmap written in place. Only `bool`
    /// mask operands may be; empty for every kernel without one.
    pub bits: Vec<usize>,
}

impl KernelKey {
    /// A stable text form: equal keys have equal text, and the cache is
    /// keyed by it.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = write!(s, "rank {} layout ", self.rank);
        s.extend(self.layouts.iter().map(|l| l.letter()));
        if !self.bits.is_empty() {
            let bits: Vec<String> = self.bits.iter().map(|b| b.to_string()).collect();
            let _ = write!(s, " bits {}", bits.join(","));
        }
        let _ = write!(s, " | {}", self.spec);
        s
    }
}

impl fmt::Display for KernelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ins: Vec<String> = self.inputs.iter().map(|s| s.to_string()).collect();
        write!(f, "({}) ", ins.join(", "))?;
        for (i, n) in self.nodes.iter().enumerate() {
            let op = match &n.op {
                KOp::Input(k) => format!("in{k}"),
                KOp::Const(c) => format!("{c:?}"),
                KOp::Unary(u) => u.name().to_string(),
                KOp::Binary(b) => b.name().to_string(),
                KOp::Where => "where".to_string(),
                KOp::Cast => "cast".to_string(),
            };
            let args: Vec<String> = n.args.iter().map(|a| format!("v{a}")).collect();
            write!(f, "v{i}={op}({}):{}; ", args.join(","), n.ty)?;
        }
        match self.combine {
            Combine::Store => {
                write!(f, "store v{} as {}", self.root, self.output)?;
                match self.missing {
                    Some(m) => write!(f, ", missing v{m}"),
                    None => Ok(()),
                }
            }
            Combine::Reduce(r) => write!(f, "{} v{} into {}", r.name(), self.root, self.output),
        }
    }
}
