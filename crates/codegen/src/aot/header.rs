//! The C header of an object: DLPack's types and blaze's status codes
//! (unless `blaze.h` or `dlpack.h` came first), `blaze_aot_last_error`, and
//! one declaration per definition, its blaze signature as a comment.

use super::cpu::BuildTarget;
use super::types::plain;
use crate::error::Unsupported;
use blaze_datashape::Scalar;
use blaze_ir::Function;

/// Names a C declaration cannot use as an identifier, or that the header
/// already declares: C keywords (C89 to C23), the standard integer and
/// size types, DLPack's and blaze's names in the header, and `out`. A
/// parameter so named is declared with a trailing `_` (`int_`); a
/// definition so named is refused (its name is the C symbol).
const C_RESERVED: &[&str] = &[
    // Keywords.
    "auto",
    "break",
    "case",
    "char",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "float",
    "for",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "typedef",
    "union",
    "unsigned",
    "void",
    "volatile",
    "while",
    "bool",
    "true",
    "false",
    "nullptr",
    "alignas",
    "alignof",
    "constexpr",
    "static_assert",
    "thread_local",
    "typeof",
    "typeof_unqual",
    "asm",
    "_Bool",
    "_Complex",
    "_Imaginary",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_Generic",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
    "_BitInt",
    "_Decimal32",
    "_Decimal64",
    "_Decimal128",
    // Types of <stdint.h> and <stddef.h>, which the header includes.
    "size_t",
    "ptrdiff_t",
    "wchar_t",
    "max_align_t",
    "NULL",
    "offsetof",
    "int8_t",
    "int16_t",
    "int32_t",
    "int64_t",
    "uint8_t",
    "uint16_t",
    "uint32_t",
    "uint64_t",
    "intptr_t",
    "uintptr_t",
    "intmax_t",
    "uintmax_t",
    "int_least8_t",
    "int_least16_t",
    "int_least32_t",
    "int_least64_t",
    "uint_least8_t",
    "uint_least16_t",
    "uint_least32_t",
    "uint_least64_t",
    "int_fast8_t",
    "int_fast16_t",
    "int_fast32_t",
    "int_fast64_t",
    "uint_fast8_t",
    "uint_fast16_t",
    "uint_fast32_t",
    "uint_fast64_t",
    // What the header declares.
    "DLTensor",
    "DLDevice",
    "DLDataType",
    "DLDeviceType",
    "DLDataTypeCode",
    "kDLCPU",
    "kDLCUDA",
    "kDLInt",
    "kDLUInt",
    "kDLFloat",
    "kDLOpaqueHandle",
    "kDLBfloat",
    "kDLComplex",
    "kDLBool",
    "BLAZE_OK",
    "BLAZE_ERR_NULL_POINTER",
    "BLAZE_ERR_DTYPE",
    "BLAZE_ERR_SHAPE",
    "BLAZE_ERR_ALIGNMENT",
    "BLAZE_ERR_DEVICE",
    "BLAZE_ERR_UNSUPPORTED",
    "BLAZE_ERR_EVAL",
    "BLAZE_AOT_COMMON",
    "blaze_aot_last_error",
    "blaze_aot_last_error_message",
    "blaze_aot_last_error_buffer",
    "snprintf",
    "out",
];

fn c_param_name(n: &str) -> String {
    if C_RESERVED.contains(&n) {
        format!("{n}_")
    } else {
        n.to_string()
    }
}

/// Refuses a definition whose name C cannot declare as a function of the
/// object: a reserved name, `main`, or a name starting with `__` or `_`
/// and a capital letter (reserved to the C implementation).
pub(super) fn check_function_name(name: &str) -> Result<(), Unsupported> {
    let mut chars = name.chars();
    let implementation = name.starts_with("__")
        || (chars.next() == Some('_') && chars.next().is_some_and(|c| c.is_ascii_uppercase()));
    if name.starts_with("blaze_aot_") {
        return Err(Unsupported(format!(
            "`{name}`: names starting with `blaze_aot_` are the functions every object defines; rename the definition"
        )));
    }
    if C_RESERVED.contains(&name) || name == "main" || implementation {
        return Err(Unsupported(format!(
            "`{name}`: a definition built into a C object is a C function of that name, and `{name}` is a C keyword or a name C or the header already uses; rename the definition (as `{name}_kernel`)"
        )));
    }
    Ok(())
}

fn c_scalar_type(s: Scalar) -> Option<&'static str> {
    Some(match s {
        Scalar::Bool | Scalar::UInt8 => "uint8_t",
        Scalar::Int8 => "int8_t",
        Scalar::Int16 => "int16_t",
        Scalar::Int32 => "int32_t",
        Scalar::Int64 => "int64_t",
        Scalar::UInt16 => "uint16_t",
        Scalar::UInt32 => "uint32_t",
        Scalar::UInt64 => "uint64_t",
        Scalar::Float32 => "float",
        Scalar::Float64 => "double",
        _ => return None,
    })
}

/// The C declaration of the function of `f`, with its signature as a
/// comment.
pub(super) fn c_declaration(f: &Function) -> Result<String, Unsupported> {
    check_function_name(&f.name)?;
    let mut params = Vec::new();
    for (n, t) in &f.params {
        let s = plain(t, &format!("parameter `{n}`"), &f.name)?;
        if t.dims.is_empty() {
            let ct = c_scalar_type(s).ok_or_else(|| {
                Unsupported(format!(
                    "`{}`: scalar parameter `{n}` of type {s} has no C type here; make it a 1-element array",
                    f.name
                ))
            })?;
            params.push(format!("{ct} {}", c_param_name(n)));
        } else {
            params.push(format!("const DLTensor *{}", c_param_name(n)));
        }
    }
    params.push("DLTensor *out".into());
    let sig: Vec<String> = f.params.iter().map(|(n, t)| format!("{n}: {t}")).collect();
    Ok(format!(
        "/* {}({}) -> {} */\nint32_t {}({});\n",
        f.name,
        sig.join(", "),
        f.result_type(),
        f.name,
        params.join(", ")
    ))
}

/// The C header declaring the functions of `functions`, with DLPack's
/// types, blaze's status codes and what the object needs to run on
/// `target`; `guard` is its include guard.
pub fn c_header(
    functions: &[Function],
    guard: &str,
    source: &str,
    target: &BuildTarget,
) -> Result<String, Unsupported> {
    let mut decls = String::new();
    for f in functions {
        decls.push_str(&c_declaration(f)?);
        if target.dispatched() {
            decls.push_str(&format!(
                "/* The name of the variant `{0}` runs (chosen at the first call), or\n * NULL when none runs on this CPU. */\nconst char *blaze_aot_variant_{0}(void);\n",
                f.name
            ));
        }
        decls.push('\n');
    }
    let needs: String = target
        .needs(super::uses_blas(functions))
        .lines()
        .map(|l| format!(" * {l}\n"))
        .collect();
    Ok(format!(
        r#"/* Generated by `blaze build {source}`: ahead-of-time blaze kernels.
 *
{needs} *
 * Each function takes its 0-d parameters as C scalars, its arrays as DLPack
 * tensors (any strides; NULL strides mean row-major), and writes the
 * result into `out`, allocated by the caller with the result's dtype and
 * shape (a 0-d tensor, ndim 0, for a reduction's one value); `out` may be
 * one of the inputs (same data, shape and strides; not for a reduction)
 * but must not otherwise overlap them (BLAZE_ERR_SHAPE). It returns 0
 * (BLAZE_OK) or a blaze status code, and blaze_aot_last_error() then says
 * what was wrong. Thread-safe: the
 * functions keep no state but the calling thread's last message. */
#ifndef {guard}
#define {guard}

#include <stdint.h>
#include <stddef.h>

#ifndef BLAZE_AOT_COMMON
#define BLAZE_AOT_COMMON
#if !defined(BLAZE_H) && !defined(DLPACK_DLPACK_H_)
/* DLPack's types (dlpack.h v1.0), as in blaze.h. */
typedef enum DLDeviceType {{ kDLCPU = 1, kDLCUDA = 2 }} DLDeviceType;
typedef enum DLDataTypeCode {{
  kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLOpaqueHandle = 3, kDLBfloat = 4, kDLComplex = 5, kDLBool = 6
}} DLDataTypeCode;
typedef struct DLDevice {{ DLDeviceType device_type; int32_t device_id; }} DLDevice;
typedef struct DLDataType {{ uint8_t code; uint8_t bits; uint16_t lanes; }} DLDataType;
typedef struct DLTensor {{
  void *data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t *shape;
  int64_t *strides;
  uint64_t byte_offset;
}} DLTensor;
#endif
#if !defined(BLAZE_H)
/* The status codes the functions return (blaze.h's BlazeStatus). */
enum {{
  BLAZE_OK = 0,
  BLAZE_ERR_NULL_POINTER = 1,
  BLAZE_ERR_DTYPE = 7,
  BLAZE_ERR_SHAPE = 8,
  BLAZE_ERR_ALIGNMENT = 9,
  BLAZE_ERR_DEVICE = 10,
  BLAZE_ERR_UNSUPPORTED = 11,
  BLAZE_ERR_EVAL = 12
}};
#endif
#ifdef __cplusplus
extern "C" {{
#endif
/* Why this thread's last failed call failed (a static string); NULL when
 * none has failed. */
const char *blaze_aot_last_error(void);
#ifdef __cplusplus
}}
#endif
#endif /* BLAZE_AOT_COMMON */

#ifdef __cplusplus
extern "C" {{
#endif

{decls}#ifdef __cplusplus
}}
#endif

#endif /* {guard} */
"#
    ))
}
