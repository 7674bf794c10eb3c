//! Index notation in a driver: the extents of the index variables (fixed
//! by the type, else the length of an axis they index), every indexed
//! array's strides placed on the axes of its variables and its fixed
//! positions checked and folded into its first element, then one kernel
//! launch over the variables' space — a reduction over the inner ones
//! into `out` along the outer ones.

use super::{err, Checked, Wrapper, R};
use crate::aot::abi::SHAPE;
use crate::aot::index::{IndexOperand, IndexPlan};
use crate::aot::kernels::Kernels;
use crate::aot::types::plain;
use blaze_datashape::Dim;
use blaze_ir::{GatherItem, IndexVar, NodeId};
use inkwell::values::{IntValue, PointerValue};
use inkwell::IntPredicate;
use std::collections::HashMap;

impl<'ctx> Wrapper<'_, 'ctx> {
    /// Runs index kernel `p` with kernels `k` into `dest`.
    pub(super) fn run_index(
        &mut self,
        p: &IndexPlan,
        k: &Kernels<'ctx>,
        dest: &Checked<'ctx>,
        views: &[Option<Checked<'ctx>>],
        syms: &HashMap<String, PointerValue<'ctx>>,
    ) -> R<()> {
        let f = self.f;
        let vars: Vec<IndexVar> = p.outer.iter().chain(&p.inner).copied().collect();
        let name = |v: &IndexVar| {
            f.index_vars
                .get(v.0 as usize)
                .map_or_else(|| format!("#{}", v.0), |i| i.name.clone())
        };
        let view = |id: NodeId| -> R<Checked<'ctx>> {
            views
                .get(id.index())
                .cloned()
                .flatten()
                .ok_or_else(|| err(format!("node %{} is not materialized", id.index())))
        };
        // Extents: fixed by the type, else the length of an axis indexed.
        let mut extent: HashMap<IndexVar, IntValue<'ctx>> = HashMap::new();
        for v in &vars {
            match f.index_vars.get(v.0 as usize).map(|i| &i.extent) {
                Some(Dim::Fixed(n)) => {
                    extent.insert(*v, self.c64(*n));
                }
                Some(Dim::TypeVar(t)) if syms.contains_key(t) => {
                    let len = self
                        .b
                        .build_load(self.i64(), syms[t], "ext")
                        .map_err(err)?
                        .into_int_value();
                    extent.insert(*v, len);
                }
                _ => {}
            }
        }
        for o in &p.operands {
            if let IndexOperand::Gather { array, items } = o {
                let a = view(*array)?;
                for (axis, g) in items.iter().enumerate() {
                    if let (GatherItem::Var(v), Some(len)) = (g, a.lens.get(axis)) {
                        extent.entry(*v).or_insert(*len);
                    }
                }
            }
        }
        let lens: Vec<IntValue<'ctx>> = vars
            .iter()
            .map(|v| {
                extent.get(v).copied().ok_or_else(|| {
                    err(format!(
                        "`{}`: cannot determine the range of index `{}`",
                        f.name,
                        name(v)
                    ))
                })
            })
            .collect::<R<_>>()?;
        let rank = lens.len();
        let mut empty = self.ctx.bool_type().const_zero();
        for l in &lens {
            let z = self.eq(*l, self.c64(0))?;
            empty = self.b.build_or(empty, z, "empty").map_err(err)?;
        }
        for (kk, l) in lens.iter().take(p.outer.len()).enumerate() {
            let d = *dest
                .lens
                .get(kk)
                .ok_or_else(|| err("an axis of the result"))?;
            let same = self.eq(d, *l)?;
            self.check(
                same,
                SHAPE,
                &format!(
                    "the range of index `{}` is not the result's length on axis {kk}",
                    name(&vars[kk])
                ),
            )?;
        }
        let pos = |v: &IndexVar| vars.iter().position(|x| x == v);
        let mut operands = Vec::with_capacity(p.operands.len());
        for o in &p.operands {
            match o {
                IndexOperand::Scalar(id) => {
                    operands.push((view(*id)?.first, vec![self.c64(0); rank], false));
                }
                IndexOperand::Gather { array, items } => {
                    let a = view(*array)?;
                    let s = plain(&f.node(*array).ty, "an indexed array", &f.name)?;
                    let mut st = vec![self.c64(0); rank];
                    let mut offset = self.c64(0);
                    for (axis, g) in items.iter().enumerate() {
                        let (len, stride) = match (a.lens.get(axis), a.strides.get(axis)) {
                            (Some(l), Some(s)) => (*l, *s),
                            _ => return Err(err("an index past the array's axes")),
                        };
                        match g {
                            GatherItem::Var(v) => {
                                let kk =
                                    pos(v).ok_or_else(|| err("index variable outside its loop"))?;
                                let fits = self
                                    .b
                                    .build_int_compare(IntPredicate::SLE, lens[kk], len, "fits")
                                    .map_err(err)?;
                                let ok = self.b.build_or(fits, empty, "ok").map_err(err)?;
                                self.check(
                                    ok,
                                    SHAPE,
                                    &format!(
                                        "index `{}` runs out of bounds of axis {axis} of node %{}",
                                        name(v),
                                        array.index()
                                    ),
                                )?;
                                st[kk] = self.b.build_int_add(st[kk], stride, "st").map_err(err)?;
                            }
                            GatherItem::At(i) => {
                                let i_v = self.i64().const_int(*i as u64, true);
                                let j = if *i < 0 {
                                    self.b.build_int_add(i_v, len, "j").map_err(err)?
                                } else {
                                    i_v
                                };
                                let lo = self
                                    .b
                                    .build_int_compare(IntPredicate::SGE, j, self.c64(0), "lo")
                                    .map_err(err)?;
                                let hi = self
                                    .b
                                    .build_int_compare(IntPredicate::SLT, j, len, "hi")
                                    .map_err(err)?;
                                let inside = self.and(lo, hi)?;
                                let ok = self.b.build_or(inside, empty, "ok").map_err(err)?;
                                self.check(
                                    ok,
                                    SHAPE,
                                    &format!(
                                        "index {i} is out of bounds for axis {axis} of node %{}",
                                        array.index()
                                    ),
                                )?;
                                // An empty loop reads nothing.
                                let j = self
                                    .b
                                    .build_select(empty, self.c64(0), j, "j")
                                    .map_err(err)?
                                    .into_int_value();
                                let o = self.b.build_int_mul(j, stride, "o").map_err(err)?;
                                offset = self.b.build_int_add(offset, o, "off").map_err(err)?;
                            }
                        }
                    }
                    let first =
                        self.element(a.first, &[offset], &[self.c64(1)], s.size_bytes() as u64)?;
                    let tensor = items.iter().any(|g| matches!(g, GatherItem::Var(_)));
                    operands.push((first, st, tensor));
                }
            }
        }
        // `out` moves along the outer variables, stays on the inner ones.
        let mut out_strides = Vec::with_capacity(rank);
        for kk in 0..rank {
            out_strides.push(match dest.strides.get(kk) {
                Some(s) if kk < p.outer.len() => *s,
                _ => self.c64(0),
            });
        }
        self.reduce = p.reduce;
        self.axes = (p.outer.len()..rank).collect();
        self.keepdims = false;
        self.launch(k, p.spec.output, &lens, &operands, dest, &out_strides)
    }
}
