//! `std::ops` on [`Expr`]: `+ - * / %` between expressions, and between an
//! expression and a number on either side; unary `-`; `&`, `|` and `!` as
//! the DSL's `and`, `or` and `not` on booleans. Each makes a typed node (see
//! [`Expr`]).

use super::{binary, unary, Expr};
use std::ops::{Add, BitAnd, BitOr, Div, Mul, Neg, Not, Rem, Sub};

macro_rules! operator {
    ($trait:ident, $method:ident, $op:literal) => {
        impl $trait<Expr> for Expr {
            type Output = Expr;
            fn $method(self, b: Expr) -> Expr {
                binary($op, self, b)
            }
        }
        impl $trait<&Expr> for Expr {
            type Output = Expr;
            fn $method(self, b: &Expr) -> Expr {
                binary($op, self, b.clone())
            }
        }
        impl $trait<Expr> for &Expr {
            type Output = Expr;
            fn $method(self, b: Expr) -> Expr {
                binary($op, self.clone(), b)
            }
        }
        impl $trait<&Expr> for &Expr {
            type Output = Expr;
            fn $method(self, b: &Expr) -> Expr {
                binary($op, self.clone(), b.clone())
            }
        }
    };
}

macro_rules! with_numbers {
    ($trait:ident, $method:ident, $op:literal, $($t:ty),*) => {$(
        impl $trait<$t> for Expr {
            type Output = Expr;
            fn $method(self, b: $t) -> Expr {
                binary($op, self, Expr::from(b))
            }
        }
        impl $trait<$t> for &Expr {
            type Output = Expr;
            fn $method(self, b: $t) -> Expr {
                binary($op, self.clone(), Expr::from(b))
            }
        }
        impl $trait<Expr> for $t {
            type Output = Expr;
            fn $method(self, b: Expr) -> Expr {
                binary($op, Expr::from(self), b)
            }
        }
        impl $trait<&Expr> for $t {
            type Output = Expr;
            fn $method(self, b: &Expr) -> Expr {
                binary($op, Expr::from(self), b.clone())
            }
        }
    )*};
}

operator!(Add, add, "+");
operator!(Sub, sub, "-");
operator!(Mul, mul, "*");
operator!(Div, div, "/");
operator!(Rem, rem, "%");
operator!(BitAnd, bitand, "and");
operator!(BitOr, bitor, "or");
with_numbers!(Add, add, "+", f64, i64, i32);
with_numbers!(Sub, sub, "-", f64, i64, i32);
with_numbers!(Mul, mul, "*", f64, i64, i32);
with_numbers!(Div, div, "/", f64, i64, i32);
with_numbers!(Rem, rem, "%", f64, i64, i32);

impl Neg for Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        unary("-", self)
    }
}

impl Neg for &Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        unary("-", self.clone())
    }
}

impl Not for Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        unary("not ", self)
    }
}

impl Not for &Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        unary("not ", self.clone())
    }
}
