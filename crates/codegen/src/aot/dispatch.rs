//! The dispatcher of an object built for several x86-64 levels: the
//! exported C function of each definition calls the variant of the best
//! level the running CPU supports.
//!
//! The choice is made at the first call and cached in a global of the
//! object (an atomic `i32`: the variant's index, −1 until chosen): the
//! CPU's level comes from `cpuid` and `xgetbv` (the OS must save the AVX
//! and AVX-512 registers), as GCC's `__builtin_cpu_supports` reads them;
//! the environment variable `BLAZE_DISPATCH` (a variant's name, such as
//! `x86-64-v2`) forces a variant the CPU can run. When none can run, every
//! call returns `BLAZE_ERR_UNSUPPORTED` with the reason as the thread's
//! last error. `blaze_aot_variant_<name>()` returns the name of the
//! variant chosen (NULL when none can run).
//!
//! The shared functions are written as LLVM IR text, parsed into the
//! object's context and linked in; the dispatchers, whose signatures are
//! the definitions', are built with the builder. All of it is compiled for
//! plain x86-64, so that an older CPU gets the error, not `SIGILL`.

use super::abi::UNSUPPORTED;
use super::cpu::Variant;
use crate::error::Unsupported;
use crate::target::Host;
use inkwell::context::Context;
use inkwell::memory_buffer::MemoryBuffer;
use inkwell::module::{Linkage, Module};
use inkwell::values::{BasicMetadataValueEnum, FunctionValue};
use std::fmt::Write;

type R<T> = Result<T, Unsupported>;

fn err(e: impl std::fmt::Display) -> Unsupported {
    Unsupported(e.to_string())
}

/// `cpuid` and `xgetbv`: the psABI level (1 to 4) of the running CPU.
const CPU_LEVEL: &str = r#"
define internal i32 @__blaze_aot_cpu_level() {
entry:
  %l0 = call { i32, i32, i32, i32 } asm "cpuid", "={ax},={bx},={cx},={dx},{ax},{cx}"(i32 0, i32 0)
  %max = extractvalue { i32, i32, i32, i32 } %l0, 0
  %l1 = call { i32, i32, i32, i32 } asm "cpuid", "={ax},={bx},={cx},={dx},{ax},{cx}"(i32 1, i32 0)
  %c1 = extractvalue { i32, i32, i32, i32 } %l1, 2
  %e0 = call { i32, i32, i32, i32 } asm "cpuid", "={ax},={bx},={cx},={dx},{ax},{cx}"(i32 -2147483648, i32 0)
  %emax = extractvalue { i32, i32, i32, i32 } %e0, 0
  %has_ext = icmp uge i32 %emax, -2147483647
  br i1 %has_ext, label %ext, label %leaf7check
ext:
  %e1 = call { i32, i32, i32, i32 } asm "cpuid", "={ax},={bx},={cx},={dx},{ax},{cx}"(i32 -2147483647, i32 0)
  %ecx_ext = extractvalue { i32, i32, i32, i32 } %e1, 2
  br label %leaf7check
leaf7check:
  %c81 = phi i32 [ %ecx_ext, %ext ], [ 0, %entry ]
  %has7 = icmp uge i32 %max, 7
  br i1 %has7, label %leaf7, label %xcrcheck
leaf7:
  %r7 = call { i32, i32, i32, i32 } asm "cpuid", "={ax},={bx},={cx},={dx},{ax},{cx}"(i32 7, i32 0)
  %ebx7 = extractvalue { i32, i32, i32, i32 } %r7, 1
  br label %xcrcheck
xcrcheck:
  %b7 = phi i32 [ %ebx7, %leaf7 ], [ 0, %leaf7check ]
  %osxsave = and i32 %c1, 134217728
  %has_xcr = icmp ne i32 %osxsave, 0
  br i1 %has_xcr, label %xget, label %decide
xget:
  %x = call { i32, i32 } asm "xgetbv", "={ax},={dx},{cx}"(i32 0)
  %xa = extractvalue { i32, i32 } %x, 0
  br label %decide
decide:
  %xcr0 = phi i32 [ %xa, %xget ], [ 0, %xcrcheck ]
  ; v2: SSE3, SSSE3, CMPXCHG16B, SSE4.1, SSE4.2, POPCNT; LAHF-SAHF.
  %m2 = and i32 %c1, 9970177
  %v2a = icmp eq i32 %m2, 9970177
  %lahf = and i32 %c81, 1
  %v2b = icmp ne i32 %lahf, 0
  %v2 = and i1 %v2a, %v2b
  ; v3: FMA, MOVBE, XSAVE, OSXSAVE, AVX, F16C; BMI1, AVX2, BMI2; LZCNT;
  ; the OS saves the SSE and AVX state.
  %m3 = and i32 %c1, 1010831360
  %v3a = icmp eq i32 %m3, 1010831360
  %m3b = and i32 %b7, 296
  %v3b = icmp eq i32 %m3b, 296
  %lz = and i32 %c81, 32
  %v3c = icmp ne i32 %lz, 0
  %x3 = and i32 %xcr0, 6
  %v3d = icmp eq i32 %x3, 6
  %v3ab = and i1 %v3a, %v3b
  %v3cd = and i1 %v3c, %v3d
  %v3abcd = and i1 %v3ab, %v3cd
  %v3 = and i1 %v2, %v3abcd
  ; v4: AVX-512 F, DQ, CD, BW, VL; the OS saves the opmask and ZMM state.
  %m4 = and i32 %b7, -805109760
  %v4a = icmp eq i32 %m4, -805109760
  %x4 = and i32 %xcr0, 230
  %v4b = icmp eq i32 %x4, 230
  %v4ab = and i1 %v4a, %v4b
  %v4 = and i1 %v3, %v4ab
  %l2 = select i1 %v2, i32 2, i32 1
  %l3 = select i1 %v3, i32 3, i32 %l2
  %l4 = select i1 %v4, i32 4, i32 %l3
  ret i32 %l4
}
"#;

/// An LLVM IR string constant's type and initializer for `s`.
fn ir_string(s: &str) -> (String, String) {
    let mut body = String::new();
    for b in s.bytes() {
        if b.is_ascii_graphic() && b != b'"' && b != b'\\' || b == b' ' {
            body.push(char::from(b));
        } else {
            let _ = write!(body, "\\{b:02X}");
        }
    }
    (
        format!("[{} x i8]", s.len() + 1),
        format!("c\"{body}\\00\""),
    )
}

/// The LLVM IR text of the choice: `__blaze_aot_choose()` (the variant's
/// index, or −1 with the thread's last error set), and
/// `blaze_aot_variant_<def>()` for each definition.
fn choice_ir(variants: &[Variant], defs: &[String]) -> String {
    let mut ir = String::from(CPU_LEVEL);
    let constant = |ir: &mut String, name: &str, text: &str| {
        let (ty, init) = ir_string(text);
        let _ = writeln!(ir, "@{name} = private unnamed_addr constant {ty} {init}");
    };
    let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
    constant(&mut ir, "env", "BLAZE_DISPATCH");
    for (k, v) in variants.iter().enumerate() {
        constant(&mut ir, &format!("name{k}"), &v.name);
        constant(
            &mut ir,
            &format!("cannot{k}"),
            &format!(
                "BLAZE_DISPATCH={} names a variant this CPU cannot run",
                v.name
            ),
        );
    }
    constant(
        &mut ir,
        "unknown",
        &format!(
            "BLAZE_DISPATCH names no variant of this object; it has {}",
            names.join(", ")
        ),
    );
    constant(
        &mut ir,
        "old",
        &format!(
            "this CPU is below {}, the lowest variant of this object (it has {})",
            names[0],
            names.join(", ")
        ),
    );
    ir.push_str(
        r#"@__blaze_aot_choice = internal global i32 -1
@blaze_aot_last_error_message = external thread_local global ptr
declare ptr @getenv(ptr)
declare i32 @strcmp(ptr, ptr)

define internal i32 @__blaze_aot_choose() {
entry:
  %c = load atomic i32, ptr @__blaze_aot_choice monotonic, align 4
  %known = icmp sge i32 %c, 0
  br i1 %known, label %done, label %resolve
done:
  ret i32 %c
resolve:
  %lvl = call i32 @__blaze_aot_cpu_level()
  %env = call ptr @getenv(ptr @env)
  %noenv = icmp eq ptr %env, null
  br i1 %noenv, label %best, label %envset
envset:
  %first = load i8, ptr %env, align 1
  %empty = icmp eq i8 %first, 0
  br i1 %empty, label %best, label %forced0
"#,
    );
    let n = variants.len();
    for (k, v) in variants.iter().enumerate() {
        let level = v.level.unwrap_or(1);
        let _ = write!(
            ir,
            "forced{k}:
  %s{k} = call i32 @strcmp(ptr %env, ptr @name{k})
  %m{k} = icmp eq i32 %s{k}, 0
  br i1 %m{k}, label %want{k}, label %forced{next}
want{k}:
  %ok{k} = icmp sge i32 %lvl, {level}
  br i1 %ok{k}, label %pick{k}, label %refuse{k}
refuse{k}:
  store ptr @cannot{k}, ptr @blaze_aot_last_error_message, align 8
  ret i32 -1
pick{k}:
  store atomic i32 {k}, ptr @__blaze_aot_choice monotonic, align 4
  ret i32 {k}
",
            next = k + 1
        );
    }
    let _ = write!(
        ir,
        "forced{n}:
  store ptr @unknown, ptr @blaze_aot_last_error_message, align 8
  ret i32 -1
best:
  br label %best{last}
",
        last = n - 1
    );
    for (k, v) in variants.iter().enumerate().rev() {
        let level = v.level.unwrap_or(1);
        let below = if k == 0 {
            "old".to_string()
        } else {
            format!("best{}", k - 1)
        };
        let _ = write!(
            ir,
            "best{k}:
  %a{k} = icmp sge i32 %lvl, {level}
  br i1 %a{k}, label %pick{k}, label %{below}
"
        );
    }
    ir.push_str(
        "old:
  store ptr @old, ptr @blaze_aot_last_error_message, align 8
  ret i32 -1
}

define internal ptr @__blaze_aot_chosen_name() {
entry:
  %k = call i32 @__blaze_aot_choose()
  switch i32 %k, label %none [",
    );
    for k in 0..n {
        let _ = write!(ir, " i32 {k}, label %n{k}");
    }
    ir.push_str(" ]\nnone:\n  ret ptr null\n");
    for k in 0..n {
        let _ = writeln!(ir, "n{k}:\n  ret ptr @name{k}");
    }
    ir.push_str("}\n");
    for d in defs {
        let _ = write!(
            ir,
            "
define ptr @blaze_aot_variant_{d}() {{
entry:
  %p = call ptr @__blaze_aot_chosen_name()
  ret ptr %p
}}
"
        );
    }
    ir
}

/// Links the choice (see the module docs) for `variants` and the
/// definitions `defs` into `module`, its functions compiled for `base`.
pub(super) fn link_choice<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    base: &Host,
    variants: &[Variant],
    defs: &[String],
) -> R<()> {
    let text = choice_ir(variants, defs);
    let buffer = MemoryBuffer::create_from_memory_range_copy(text.as_bytes(), "blaze_dispatch");
    let m = ctx
        .create_module_from_ir(buffer)
        .map_err(|e| err(format!("the dispatcher's IR does not parse: {e}")))?;
    m.set_triple(&module.get_triple());
    m.set_data_layout(&module.get_data_layout());
    let mut f = m.get_first_function();
    while let Some(fun) = f {
        f = fun.get_next_function();
        if fun.count_basic_blocks() > 0 {
            base.set_attributes(ctx, fun);
        }
    }
    module
        .link_in_module(m)
        .map_err(|e| err(format!("linking the dispatcher: {e}")))
}

/// Builds the exported function `name` that calls `variants[k]` for the
/// index `k` the choice returns, or returns `BLAZE_ERR_UNSUPPORTED`.
pub(super) fn build_dispatcher<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    base: &Host,
    name: &str,
    variants: &[FunctionValue<'ctx>],
) -> R<()> {
    let first = variants
        .first()
        .ok_or_else(|| err(format!("`{name}` has no variant to dispatch to")))?;
    let ty = first.get_type();
    let choose = module
        .get_function("__blaze_aot_choose")
        .ok_or_else(|| err("the dispatcher's choice is missing"))?;
    let f = module.add_function(name, ty, Some(Linkage::External));
    base.set_attributes(ctx, f);
    let b = ctx.create_builder();
    let entry = ctx.append_basic_block(f, "entry");
    let fail = ctx.append_basic_block(f, "unsupported");
    b.position_at_end(entry);
    let k = b
        .build_call(choose, &[], "k")
        .map_err(err)?
        .try_as_basic_value()
        .basic()
        .ok_or_else(|| err("the choice returns nothing"))?
        .into_int_value();
    let args: Vec<BasicMetadataValueEnum> = f.get_params().iter().map(|p| (*p).into()).collect();
    let i32t = ctx.i32_type();
    let mut cases = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let block = ctx.append_basic_block(f, "variant");
        b.position_at_end(block);
        let r = b
            .build_call(*v, &args, "r")
            .map_err(err)?
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| err("a variant returns nothing"))?;
        b.build_return(Some(&r)).map_err(err)?;
        cases.push((i32t.const_int(i as u64, false), block));
    }
    b.position_at_end(entry);
    b.build_switch(k, fail, &cases).map_err(err)?;
    b.position_at_end(fail);
    b.build_return(Some(&i32t.const_int(UNSUPPORTED, false)))
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aot::cpu::BuildTarget;

    #[test]
    fn the_choice_parses_and_verifies() {
        let t = BuildTarget::parse(None, None, true).expect("the default target");
        let ctx = Context::create();
        let module = ctx.create_module("m");
        super::super::abi::last_error_global(&ctx, &module);
        link_choice(
            &ctx,
            &module,
            &t.base_host(),
            &t.variants,
            &["axpy".to_string()],
        )
        .expect("links");
        module.verify().expect("verifies");
        assert!(module.get_function("blaze_aot_variant_axpy").is_some());
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(
            ir_string("a\"b"),
            ("[4 x i8]".to_string(), "c\"a\\22b\\00\"".to_string())
        );
    }
}
