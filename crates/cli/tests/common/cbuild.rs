//! What the tests of ahead-of-time objects share: running `blaze`,
//! `.npy` inputs for the JIT (`blaze eval`) and its results as bytes,
//! `blaze build`, compiling and linking a C program against an object
//! with exactly `blaze config --libs`, valgrind when installed, and the C
//! helpers every such program uses.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `blaze` binary under test.
pub fn blaze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(args)
        .output()
        .expect("the blaze binary runs")
}

/// Bytes as text, lossily.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Writes a `.npy` file of `descr` elements of `shape` from their bytes.
pub fn npy(path: &Path, descr: &str, shape: &[usize], data: &[u8]) {
    let dims: String = shape.iter().map(|d| format!("{d},")).collect();
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend(data);
    std::fs::write(path, bytes).unwrap();
}

/// The JIT's result of definition `def` of `src` (`blaze eval` with
/// `args`) as the bytes of its elements.
pub fn jit(dir: &Path, src: &Path, def: &str, args: &[&str]) -> Vec<u8> {
    let out = dir.join(format!("{def}.jit.npy"));
    let mut a = vec![
        "eval",
        src.to_str().unwrap(),
        "--def",
        def,
        "--out",
        out.to_str().unwrap(),
    ];
    a.extend_from_slice(args);
    let o = blaze(&a);
    assert_eq!(o.status.code(), Some(0), "{def}: {}", text(&o.stderr));
    let bytes = std::fs::read(&out).unwrap();
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    bytes[10 + len..].to_vec()
}

/// `blaze build src -o dir/stem.o --header dir/stem.h` with `extra`
/// flags, which must succeed; the object and the header.
pub fn build(dir: &Path, src: &Path, stem: &str, extra: &[&str]) -> (PathBuf, PathBuf) {
    let (obj, h) = (dir.join(format!("{stem}.o")), dir.join(format!("{stem}.h")));
    let mut a = vec![
        "build",
        src.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
        "--header",
        h.to_str().unwrap(),
    ];
    a.extend_from_slice(extra);
    let o = blaze(&a);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    (obj, h)
}

/// What `blaze config` prints with `flag` (`--libs`, `--static`), split
/// into arguments.
pub fn config(flag: &str) -> Vec<String> {
    let o = blaze(&["config", flag]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    text(&o.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Compiles C program `source` (its headers in `dir`) with `obj` into
/// `dir/exe`, linked with exactly `libs`; the executable.
pub fn compile_c(dir: &Path, source: &str, obj: &Path, exe: &str, libs: &[String]) -> PathBuf {
    let c = dir.join(format!("{exe}.c"));
    std::fs::write(&c, source).unwrap();
    let out = dir.join(exe);
    let cc = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-I"])
        .arg(dir)
        .arg(&c)
        .arg(obj)
        .args(libs)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run cc (a C compiler is required)");
    assert!(cc.status.success(), "cc: {}", text(&cc.stderr));
    out
}

/// valgrind, when installed.
pub fn valgrind() -> Option<PathBuf> {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("valgrind"))
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!("skipped valgrind: not installed (scripts/setup.sh installs it)");
    }
    found
}

/// Whether the C compiler finds static library `name` (`libopenblas.a`).
pub fn archive_installed(name: &str) -> bool {
    let o = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .arg(format!("-print-file-name={name}"))
        .output()
        .expect("run cc (a C compiler is required)");
    let found = text(&o.stdout).trim().to_string();
    found != name && Path::new(&found).is_file()
}

/// Little-endian float64s.
pub fn f64s(b: &[u8]) -> Vec<f64> {
    b.chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// Little-endian float32s, widened.
pub fn f32s(b: &[u8]) -> Vec<f64> {
    b.chunks_exact(4)
        .map(|c| f64::from(f32::from_le_bytes(c.try_into().unwrap())))
        .collect()
}

/// Whether `a` and `b` have equal lengths and agree within `rel` of the
/// larger magnitude (at least 1).
pub fn close(a: &[f64], b: &[f64], rel: f64) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            (x - y).abs() <= rel * x.abs().max(y.abs()).max(1.0) || (x.is_nan() && y.is_nan())
        })
}

/// C helpers: `tensor` (a host DLTensor), `slurp` (a file's bytes) and
/// `put` (prints `name status`, the message on failure, and writes the
/// result's bytes to `dir/name.out`).
pub const C_HELPERS: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static DLTensor tensor(void *data, int ndim, int64_t *shape, uint8_t code, uint8_t bits) {
    DLTensor t;
    memset(&t, 0, sizeof t);
    t.data = data;
    t.device.device_type = kDLCPU;
    t.ndim = ndim;
    t.dtype.code = code;
    t.dtype.bits = bits;
    t.dtype.lanes = 1;
    t.shape = shape;
    return t;
}

static void *slurp(const char *dir, const char *name, size_t bytes) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    void *p = malloc(bytes ? bytes : 1);
    FILE *f = fopen(path, "rb");
    if (!p || !f || fread(p, 1, bytes, f) != bytes) { fprintf(stderr, "cannot read %s\n", path); exit(1); }
    fclose(f);
    return p;
}

static void put(const char *dir, const char *name, int status, const void *data, size_t bytes) {
    printf("%s %d%s%s\n", name, status, status ? " " : "", status ? blaze_aot_last_error() : "");
    if (status) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.out", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, bytes, f) != bytes) { fprintf(stderr, "cannot write %s\n", path); exit(1); }
    fclose(f);
}
"#;

/// One input of a C test: its name, NumPy dtype (`<f8`), shape and
/// little-endian bytes.
pub type CInput<'a> = (&'a str, &'a str, Vec<usize>, Vec<u8>);

/// Writes each input twice into `dir`: raw (`NAME.bin`, which the C
/// program reads) and as `.npy` (`NAME.npy`, for `blaze eval`). Returns
/// each name's `--in NAME=PATH` value.
pub fn write_inputs(
    dir: &Path,
    inputs: &[CInput<'_>],
) -> std::collections::HashMap<String, String> {
    let mut arg = std::collections::HashMap::new();
    for (name, descr, shape, data) in inputs {
        std::fs::write(dir.join(format!("{name}.bin")), data).unwrap();
        let p = dir.join(format!("{name}.npy"));
        npy(&p, descr, shape, data);
        arg.insert(name.to_string(), format!("{name}={}", p.display()));
    }
    arg
}

/// Runs a compiled C test program with `args`: its standard output, after
/// asserting it succeeded.
pub fn run_c(exe: &Path, args: &[String]) -> String {
    let run = Command::new(exe).args(args).output().expect("run");
    let out = text(&run.stdout);
    assert!(run.status.success(), "{out}{}", text(&run.stderr));
    out
}

/// The bytes the C program wrote for definition `name` (`NAME.out`), after
/// checking it printed `NAME 0` (the call returned 0).
pub fn c_result(dir: &Path, out: &str, name: &str) -> Vec<u8> {
    assert!(out.contains(&format!("{name} 0\n")), "{name}: {out}");
    std::fs::read(dir.join(format!("{name}.out"))).unwrap()
}

/// The JIT's result of definition `def` of `src` over the named inputs
/// (`--in` values from [`write_inputs`]) and `extra` arguments.
pub fn jit_over(
    dir: &Path,
    src: &Path,
    def: &str,
    arg: &std::collections::HashMap<String, String>,
    ins: &[&str],
    extra: &[&str],
) -> Vec<u8> {
    let mut a: Vec<&str> = Vec::new();
    for i in ins {
        a.push("--in");
        a.push(&arg[*i]);
    }
    a.extend_from_slice(extra);
    jit(dir, src, def, &a)
}

/// Runs a compiled C test program under valgrind (memory errors and
/// definite leaks fail the run; one OpenBLAS thread): its standard output,
/// or `None` when valgrind is not installed.
pub fn under_valgrind(exe: &Path, args: &[String]) -> Option<String> {
    let vg = valgrind()?;
    let o = Command::new(vg)
        .env("OPENBLAS_NUM_THREADS", "1")
        .args([
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "-q",
        ])
        .arg(exe)
        .args(args)
        .output()
        .expect("run valgrind");
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    Some(out)
}

/// Little-endian bytes of float64 values.
pub fn bytes_f64(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Little-endian bytes of float32 values.
pub fn bytes_f32(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Little-endian bytes of int32 values.
pub fn bytes_i32(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}
