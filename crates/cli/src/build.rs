//! `blaze build`: ahead-of-time objects with a C ABI (`config` prints
//! the flags that link them).

use crate::check::program;
use crate::error::CliError;
use blaze::codegen::aot;
use blaze::runtime::io;
use blaze::runtime::session::check;
use std::path::Path;

/// Compiles the definitions of `file` (all, or those named in `defs`) into
/// the object `out` and the C header `header`, for the target triple
/// `triple` and the CPUs `cpus` (`--target`, `--target-cpu`; defaults:
/// this machine's triple, the dispatched x86-64 levels).
pub(crate) fn run(
    file: &str,
    out: &str,
    header: &str,
    defs: &[String],
    triple: Option<&str>,
    cpus: Option<&str>,
) -> Result<(), CliError> {
    let vector_math = std::env::var("BLAZE_VECTOR_MATH").map_or(true, |v| v != "0");
    let target =
        aot::BuildTarget::parse(triple, cpus, vector_math).map_err(|e| CliError::Usage(e.0))?;
    // Nothing blaze writes may replace its source or the other output.
    for (flag, path, other, what) in [
        ("-o", out, file, "the source file"),
        ("--header", header, file, "the source file"),
        ("--header", header, out, "the object file (`-o`)"),
    ] {
        if same_path(Path::new(path), Path::new(other)) {
            return Err(CliError::Usage(format!(
                "`{flag} {path}` is {what}; blaze build never writes over it"
            )));
        }
    }
    // What the outputs would replace is checked before anything is built.
    for path in [out, header] {
        io::check_output_file(Path::new(path))
            .map_err(|e| CliError::Tagged("output", e.to_string()))?;
    }
    let all = check(&program(Some(file.to_string()), None, None)?, &[])?;
    let mut functions = Vec::new();
    for name in defs {
        match all.iter().find(|f| &f.name == name) {
            Some(f) => functions.push(f.clone()),
            None => {
                let names: Vec<&str> = all.iter().map(|f| f.name.as_str()).collect();
                return Err(CliError::Usage(format!(
                    "no definition `{name}` in {file}; it defines {}",
                    names.join(", ")
                )));
            }
        }
    }
    if defs.is_empty() {
        functions = all;
    }
    if functions.is_empty() {
        return Err(CliError::Usage(format!("{file} defines nothing to build")));
    }
    // Every definition is checked before anything is written.
    let refused: Vec<String> = functions
        .iter()
        .filter_map(|f| aot::check(f).err().map(|e| e.0))
        .collect();
    if !refused.is_empty() {
        let mut text: String = refused
            .iter()
            .map(|r| format!("error[build]: {r}\n"))
            .collect();
        text.push_str("help: choose the definitions to build with `--def NAME`\n");
        return Err(CliError::Rendered(text));
    }
    let guard = header_guard(header);
    let text = aot::c_header(&functions, &guard, file, &target)
        .map_err(|e| CliError::Tagged("build", e.0))?;
    // Object and header appear complete or not at all; their temporaries
    // carry this process's id, and those of dead runs are removed.
    let staged = |path: &str| {
        io::staged_file_name(Path::new(path)).map_err(|e| CliError::Tagged("output", e.to_string()))
    };
    let (obj_dest, tmp_obj) = staged(out)?;
    let (h_dest, tmp_h) = staged(header)?;
    let output = |path: &str, e: std::io::Error| CliError::Tagged("output", format!("{path}: {e}"));
    let result = aot::build_object(&functions, &tmp_obj, &target)
        .map_err(|e| CliError::Tagged("build", e.0))
        .and_then(|()| std::fs::write(&tmp_h, text).map_err(|e| output(header, e)))
        .and_then(|()| std::fs::rename(&tmp_obj, &obj_dest).map_err(|e| output(out, e)))
        .and_then(|()| std::fs::rename(&tmp_h, &h_dest).map_err(|e| output(header, e)));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp_obj);
        let _ = std::fs::remove_file(&tmp_h);
        return Err(e);
    }
    Ok(())
}

/// Whether `a` and `b` name one file: the same file when both exist (links
/// included), else the same absolute path (parent directory resolved).
fn same_path(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        return x.dev() == y.dev() && x.ino() == y.ino();
    }
    let absolute = |p: &Path| -> Option<std::path::PathBuf> {
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.canonicalize().ok()?,
            _ => std::env::current_dir().ok()?,
        };
        Some(parent.join(p.file_name()?))
    };
    match (absolute(a), absolute(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
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
