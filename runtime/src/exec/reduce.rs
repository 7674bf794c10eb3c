//! Running a fused group that ends in a reduction: over all axes, one
//! partial result per fixed-size chunk combined in chunk order; over some
//! axes, split along a kept axis. Over options, missing elements are
//! skipped by the kernel itself (they contribute the identity); `mean`,
//! `min` and `max` also run the group's count kernel over the same
//! operands, which gives `mean`'s divisor and the result's missing mask.

use super::group::{GroupPlan, ReducePlan};
use super::launch::{launch_split, SendRun};
use super::missing::{kernel_strides, missing_where_none, BitOperands};
use super::run::{fill, identity, mut_ptr, output_array};
use super::{Options, Prepared, Report};
use crate::error::Error;
use blaze_codegen::KernelSpec;
use blaze_interp::{kernels, with_array, Array, EvalError, Value};
use blaze_ir::ops::{BinaryFn, ReduceFn};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

impl Prepared {
    /// Runs the reduction of `g` (plan `r`) over `shape`, given each
    /// input's pointer and strides.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn reduce_group(
        &self,
        g: &GroupPlan,
        r: &ReducePlan,
        (ptrs, strides, bits): (Vec<*mut u8>, Vec<i64>, BitOperands),
        shape: &[usize],
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
    ) -> Result<Value, Error> {
        let rank = shape.len();
        let axes: Vec<usize> = r.axes.clone().unwrap_or_else(|| (0..rank).collect());
        if axes.iter().any(|&a| a >= rank) {
            return Err(
                EvalError::Shape(format!("reduction axes {axes:?} for rank {rank}")).into(),
            );
        }
        let reduced: usize = axes.iter().map(|&a| shape[a]).product();
        // Over options, no value left is a missing result, not an error.
        if reduced == 0 && matches!(r.f, ReduceFn::Min | ReduceFn::Max) && !r.missing {
            return Err(EvalError::Value(format!(
                "zero-size array to reduction operation {} which has no identity",
                r.f.name()
            ))
            .into());
        }
        let run = |k: &KernelSpec, f: ReduceFn, report: &mut Report| {
            let ops = (ptrs.clone(), strides.clone(), bits.clone());
            self.reduce_kernel(k, f, &axes, ops, shape, opts, pool, report)
        };
        let mut value = run(&g.kernel, r.f, report)?;
        let counts = match (&g.count, r.missing) {
            (Some(c), true) => Some(run(c, ReduceFn::Sum, report)?),
            _ => None,
        };
        if r.mean {
            let n = match &counts {
                Some(c) => kernels::cast(c, value.scalar()),
                None => kernels::cast(
                    &Array::Float64(ArrayD::from_elem(IxDyn(&[]), reduced as f64)),
                    value.scalar(),
                ),
            };
            value = kernels::binary(BinaryFn::Div, &value, &n)?;
        }
        let mut missing = counts.as_ref().map(missing_where_none).transpose()?;
        if r.keepdims {
            let kept: Vec<usize> = (0..rank)
                .map(|d| if axes.contains(&d) { 1 } else { shape[d] })
                .collect();
            let reshape = |e: ndarray::ShapeError| EvalError::Shape(e.to_string());
            value = with_array!(&value, x => {
                let y = x.clone().into_shape_with_order(IxDyn(&kept)).map_err(reshape)?;
                blaze_interp::Element::wrap(y)
            });
            missing = missing
                .map(|m| m.into_shape_with_order(IxDyn(&kept)).map_err(reshape))
                .transpose()?;
        }
        Ok(Value::Array {
            data: value,
            missing,
        })
    }

    /// Runs reduction kernel `k` (combining with `f`) over `axes` of
    /// `shape`: one partial per chunk when every axis is reduced, else
    /// split along a kept axis.
    #[allow(clippy::too_many_arguments)]
    fn reduce_kernel(
        &self,
        k: &KernelSpec,
        f: ReduceFn,
        axes: &[usize],
        (mut ptrs, mut strides, bits): (Vec<*mut u8>, Vec<i64>, BitOperands),
        shape: &[usize],
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
    ) -> Result<Array, Error> {
        let rank = shape.len();
        let out_shape: Vec<usize> = (0..rank)
            .filter(|d| !axes.contains(d))
            .map(|d| shape[d])
            .collect();
        let id = identity(f, k.output);
        if out_shape.is_empty() {
            let ops = (ptrs, strides, bits);
            return self.full_reduce(k, f, &id, ops, shape, opts, pool, report);
        }
        let mut out = output_array(k.output, &out_shape)?;
        fill(&mut out, &id);
        // Output strides along the iteration: 0 on reduced axes.
        let mut ostr = vec![0i64; rank];
        let mut acc = 1i64;
        for d in (0..rank).rev() {
            if !axes.contains(&d) {
                ostr[d] = acc;
                acc *= shape[d] as i64;
            }
        }
        ptrs.push(mut_ptr(&mut out));
        strides.extend(&ostr);
        let compiled = self.compile(k, rank, &strides, &bits, opts, report)?;
        let split = (0..rank).find(|d| !axes.contains(d) && shape[*d] > 1);
        let sizes: Vec<usize> = k
            .inputs
            .iter()
            .chain([&k.output])
            .map(|s| s.size_bytes())
            .collect();
        let ops = (&ptrs[..], &strides[..], &bits[..]);
        launch_split(&compiled, ops, shape, split, &sizes, pool);
        Ok(out)
    }

    /// A reduction over every axis: one partial per `opts.chunk` elements,
    /// combined in chunk order.
    #[allow(clippy::too_many_arguments)]
    fn full_reduce(
        &self,
        k: &KernelSpec,
        f: ReduceFn,
        id: &Array,
        (mut ptrs, mut strides, bits): (Vec<*mut u8>, Vec<i64>, BitOperands),
        shape: &[usize],
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
    ) -> Result<Array, Error> {
        let rank = shape.len();
        let total: usize = shape.iter().product();
        let chunk = opts.chunk.max(1);
        let nchunks = total.div_ceil(chunk);
        let mut partials = Array::zeros(k.output, &[nchunks]);
        fill(&mut partials, id);
        let base = mut_ptr(&mut partials);
        let size = k.output.size_bytes();
        ptrs.push(base);
        strides.extend(std::iter::repeat_n(0, rank));
        let compiled = self.compile(k, rank, &strides, &bits, opts, report)?;
        let strides = kernel_strides(&strides, &bits);
        let run = |c: usize| {
            let mut p = ptrs.clone();
            // SAFETY: `c < nchunks`, inside the partials array.
            p[ptrs.len() - 1] = unsafe { base.add(c * size) };
            let begin = (c * chunk) as i64;
            let end = ((c + 1) * chunk).min(total) as i64;
            let sh: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
            // SAFETY: operands are valid for the iteration space; this chunk
            // writes only its own partial.
            unsafe { (compiled.func)(p.as_ptr(), strides.as_ptr(), sh.as_ptr(), begin, end) };
        };
        if nchunks <= 1 || total < (1 << 15) {
            (0..nchunks).for_each(run);
        } else {
            let sendable = SendRun(&run);
            let go = || (0..nchunks).into_par_iter().for_each(|c| sendable.call(c));
            match pool {
                Some(p) => p.install(go),
                None => go(),
            }
        }
        if nchunks == 0 {
            // Nothing reduced: the identity.
            let mut one = Array::zeros(k.output, &[]);
            fill(&mut one, id);
            return Ok(one);
        }
        Ok(kernels::reduce(f, &partials, None, None, false)?)
    }
}
