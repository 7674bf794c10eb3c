//! The IR itself: a function is an arena of nodes, each with an operation,
//! argument nodes, a datashape and the span of the source it came from. Nodes
//! only refer to earlier nodes, so the arena order is a valid evaluation
//! order and `let` bindings are shared nodes (a DAG).

use crate::ops::{BinaryFn, LinalgFn, ReduceFn, Routine, UnaryFn};
use blaze_datashape::{Datashape, Dim, Scalar, Span, TypeEnv};

/// Index of a node in its function's arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The arena index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of an index variable (`forall i`, `sum(k: …)`) in its function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexVar(pub u32);

/// A scalar constant; its type is the node's measure.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `true` / `false`
    Bool(bool),
    /// An integer, before conversion to the node's type.
    Int(i128),
    /// A float.
    Float(f64),
    /// A complex number `(re, im)`.
    Complex(f64, f64),
    /// A string (type `string`).
    Str(String),
}

/// One entry of basic indexing, after the checker has expanded `...` and
/// filled missing trailing entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexItem {
    /// A single position (negative counts from the end); removes the axis.
    At(i64),
    /// `start:stop:step` with NumPy defaults for missing parts.
    Range {
        /// The start.
        start: Option<i64>,
        /// The stop.
        stop: Option<i64>,
        /// The step (never 0).
        step: i64,
    },
}

/// An index in index notation: a variable or a fixed position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GatherItem {
    /// The current value of an index variable.
    Var(IndexVar),
    /// A fixed position (negative counts from the end).
    At(i64),
}

/// What a node computes from its arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Parameter `i` of the function.
    Param(usize),
    /// A scalar constant.
    Literal(Literal),
    /// A constant array from a list literal, C order.
    ArrayLiteral {
        /// Its shape.
        shape: Vec<usize>,
        /// Its elements.
        values: Vec<Literal>,
    },
    /// The missing value `na` (type `?T` or `null`).
    Na,
    /// Elementwise function of one argument.
    Unary(UnaryFn),
    /// Elementwise function of two arguments.
    Binary(BinaryFn),
    /// `where(cond, x, y)`.
    Where,
    /// `fillna(x, v)`: `x` with its missing elements replaced by `v`
    /// (broadcast); both have the node's element type and the result is
    /// not an option.
    FillNa,
    /// Conversion of the element type.
    Cast(Scalar),
    /// Conversion to `decimal[precision, scale]` from an integer, a float
    /// or another decimal: rounded half away from zero to the scale; a
    /// value that does not fit the precision is a run-time error.
    ToDecimal {
        /// Total number of digits (1 to 38).
        precision: u32,
        /// Digits after the decimal point.
        scale: u32,
    },
    /// A reduction over `axes` (`None`: all of them).
    Reduce {
        /// Which.
        f: ReduceFn,
        /// Normalized axes, ascending.
        axes: Option<Vec<usize>>,
        /// Keep reduced axes as length 1.
        keepdims: bool,
    },
    /// Basic indexing and slicing, one item per axis of the argument.
    Index(Vec<IndexItem>),
    /// Axis permutation.
    Transpose(Vec<usize>),
    /// New shape (one entry may be −1).
    Reshape(Vec<i64>),
    /// Concatenation of the arguments along an axis.
    Concat(usize),
    /// Stacking of the arguments along a new axis.
    Stack(usize),
    /// Matrix product (`@`, `dot`), NumPy's `matmul` rules.
    MatMul,
    /// A linear-algebra function.
    Linalg(LinalgFn),
    /// A BLAS/LAPACK routine chosen by the rewrites (never produced by the
    /// type checker).
    Call(Routine),
    /// Boolean selection along axis 0 (`x[mask]`, NumPy's boolean
    /// indexing): argument 0 is the array, argument 1 a 1-d `bool` or
    /// `?bool` mask of its length (missing counts as false); the result's
    /// first axis is `var`.
    Select,
    /// Integer gather along axis 0 (`x[idx]`): argument 0 is the array,
    /// argument 1 the integer indices (any rank; negative counts from the
    /// end); the result's axes are the indices' then argument 0's after
    /// the first.
    Take,
    /// The first two axes merged into one, in C order (`flatten(x)`: a
    /// `N * var * T` becomes `var * T`).
    Flatten,
    /// The length along an axis (`len(x, axis=1)`) at every position of
    /// the axes before it: `int64`, shaped as those axes; the axis is
    /// ragged or fixed.
    Length(usize),
    /// Record field projection.
    Field(String),
    /// Record construction, one argument per field.
    MakeRecord(Vec<String>),
    /// Tuple construction.
    MakeTuple,
    /// Element `i` of a tuple.
    TupleGet(usize),
    /// `forall vars: body`: an array indexed by `vars`; argument 0 is the
    /// body, evaluated once per index tuple.
    Forall(Vec<IndexVar>),
    /// `sum(vars: body)` and friends in index notation.
    IndexReduce(ReduceFn, Vec<IndexVar>),
    /// `A[i, k]` in index notation: argument 0 indexed at the current index
    /// values; fewer items than axes leave the trailing axes.
    Gather(Vec<GatherItem>),
    /// The current value of an index variable (int64).
    IndexValue(IndexVar),
    /// The Levi-Civita symbol at the current index values (int64).
    Eps(Vec<IndexVar>),
    /// The Kronecker delta at the current index values (int64).
    Delta(Vec<IndexVar>),
}

/// A node of the IR.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What it computes.
    pub op: Op,
    /// Its operands (earlier nodes).
    pub args: Vec<NodeId>,
    /// Its type.
    pub ty: Datashape,
    /// Whether it is a weakly typed literal (or arithmetic of only such).
    pub weak: bool,
    /// The source it came from.
    pub span: Span,
}

/// An index variable's name and extent.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexInfo {
    /// The name written.
    pub name: String,
    /// Its range `0..extent`.
    pub extent: Dim,
}

/// A typed function: parameters, nodes, the result node.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// Its name (`main` for an expression).
    pub name: String,
    /// Parameter names and types.
    pub params: Vec<(String, Datashape)>,
    /// The arena, in evaluation order.
    pub nodes: Vec<Node>,
    /// The result.
    pub root: NodeId,
    /// Index variables of index notation.
    pub index_vars: Vec<IndexInfo>,
}

impl Function {
    /// The node `id`.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// The result type.
    pub fn result_type(&self) -> &Datashape {
        &self.node(self.root).ty
    }
}

/// A checked module.
#[derive(Clone, Debug)]
pub struct Program {
    /// The type definitions in scope.
    pub types: TypeEnv,
    /// The functions, in source order.
    pub functions: Vec<Function>,
}

impl Program {
    /// The function called `name`.
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }
}
