//! `blaze build`: ahead-of-time objects with a C ABI, and `blaze config`:
//! the flags that link them.

use crate::check::{compile, Source};
use crate::Failure;
use blaze::codegen::aot;
use std::path::Path;

/// Compiles the definitions of `file` (all, or those named in `defs`) into
/// the object `out` and the C header `header`.
pub(crate) fn run(file: &str, out: &str, header: &str, defs: &[String]) -> Result<(), Failure> {
    let checked = compile(&Source::File(file.to_string()), &[])?;
    let mut functions = Vec::new();
    for name in defs {
        match checked.functions.iter().find(|f| &f.name == name) {
            Some(f) => functions.push(f.clone()),
            None => {
                let names: Vec<&str> = checked.functions.iter().map(|f| f.name.as_str()).collect();
                eprintln!(
                    "error[usage]: no definition `{name}` in {file}; it defines {}",
                    names.join(", ")
                );
                return Err(Failure);
            }
        }
    }
    if defs.is_empty() {
        functions = checked.functions.clone();
    }
    if functions.is_empty() {
        eprintln!("error[usage]: {file} defines nothing to build");
        return Err(Failure);
    }
    // Every definition is checked before anything is written.
    let refused: Vec<String> = functions
        .iter()
        .filter_map(|f| aot::fused_kernel(f).err().map(|e| e.0))
        .collect();
    if !refused.is_empty() {
        for r in &refused {
            eprintln!("error[build]: {r}");
        }
        eprintln!("help: choose the definitions to build with `--def NAME`");
        return Err(Failure);
    }
    let guard = header_guard(header);
    let text = aot::c_header(&functions, &guard, file).map_err(|e| {
        eprintln!("error[build]: {}", e.0);
        Failure
    })?;
    // Object and header appear complete or not at all.
    let tmp_obj = format!("{out}.tmp{}", std::process::id());
    let tmp_h = format!("{header}.tmp{}", std::process::id());
    let result = aot::build_object(&functions, Path::new(&tmp_obj))
        .map_err(|e| format!("error[build]: {}", e.0))
        .and_then(|()| {
            std::fs::write(&tmp_h, text).map_err(|e| format!("error[output]: {header}: {e}"))
        })
        .and_then(|()| {
            std::fs::rename(&tmp_obj, out).map_err(|e| format!("error[output]: {out}: {e}"))
        })
        .and_then(|()| {
            std::fs::rename(&tmp_h, header).map_err(|e| format!("error[output]: {header}: {e}"))
        });
    if let Err(m) = result {
        let _ = std::fs::remove_file(&tmp_obj);
        let _ = std::fs::remove_file(&tmp_h);
        eprintln!("{m}");
        return Err(Failure);
    }
    Ok(())
}

/// `K_H` for `path/to/k.h`.
fn header_guard(header: &str) -> String {
    let stem = Path::new(header)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut g: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if !g.starts_with(|c: char| c.is_ascii_alphabetic()) {
        g.insert_str(0, "BLAZE_");
    }
    g
}

/// `blaze config --libs`.
pub(crate) fn config(libs: bool) -> Result<(), Failure> {
    if !libs {
        eprintln!("error[usage]: `blaze config` needs `--libs`");
        return Err(Failure);
    }
    println!("{}", aot::LINK_FLAGS);
    Ok(())
}
