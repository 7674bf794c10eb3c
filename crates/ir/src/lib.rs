//! # blaze-ir
//!
//! The typed array IR: programs from the syntax tree after name resolution
//! and type inference, every node carrying its datashape.

#![warn(missing_docs)]

pub mod ops;
