//! `blaze build --target-cpu` and `--target`: objects for the x86-64
//! levels run under valgrind with no error, the default object dispatches
//! to the variant the CPU supports (or the one `BLAZE_DISPATCH` forces),
//! `x86-64-v4` code uses the 512-bit registers and the others do not, and
//! an AArch64 object is an AArch64 ELF file.

mod common;

use common::cbuild::{blaze, text, valgrind};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `blaze build SRC -o OBJ --header HEADER EXTRA…`, which must succeed.
fn build(src: &Path, obj: &Path, header: &Path, extra: &[&str]) {
    let mut args = vec![
        "build",
        src.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
        "--header",
        header.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = blaze(&args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
}

/// Compiles the C program `c` with the object `obj` (its header beside
/// it) into `exe`.
fn link(c: &Path, obj: &Path, exe: &Path) {
    let libs = text(&blaze(&["config", "--libs"]).stdout);
    let o = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-I"])
        .arg(obj.parent().unwrap())
        .arg(c)
        .arg(obj)
        .args(libs.split_whitespace())
        .arg("-o")
        .arg(exe)
        .output()
        .expect("run cc (a C compiler is required)");
    assert!(o.status.success(), "cc: {}", text(&o.stderr));
}

/// `llvm-objdump-19` (or `llvm-objdump`), or why the test goes without it.
fn objdump() -> Option<&'static str> {
    for tool in ["llvm-objdump-19", "llvm-objdump"] {
        if Command::new(tool).arg("--version").output().is_ok() {
            return Some(tool);
        }
    }
    eprintln!("skipped: llvm-objdump-19 is not installed (LLVM 19's tools)");
    None
}

/// The x86-64 psABI level this CPU supports, from `/proc/cpuinfo`.
fn cpu_level() -> u8 {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags: Vec<&str> = info
        .lines()
        .find_map(|l| l.strip_prefix("flags"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).split(' ').collect())
        .unwrap_or_default();
    let all = |want: &[&str]| want.iter().all(|f| flags.contains(f));
    let v2 = all(&[
        "cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3",
    ]);
    let v3 = v2
        && all(&[
            "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave",
        ]);
    let v4 = v3 && all(&["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]);
    1 + u8::from(v2) + u8::from(v3) + u8::from(v4)
}

/// Runs `test_aot.c` (a thousand checks of good and bad calls) against an
/// object built with `extra` flags, under valgrind.
fn under_valgrind(name: &str, extra: &[&str]) {
    let Some(vg) = valgrind() else { return };
    let t = tempfile::tempdir().expect("temp dir");
    let (obj, header) = (t.path().join("k.o"), t.path().join("aot_kernels.h"));
    build(
        &repo().join("tests/c/aot_kernels.blz"),
        &obj,
        &header,
        extra,
    );
    let exe = t.path().join(name);
    link(&repo().join("tests/c/test_aot.c"), &obj, &exe);
    let run = Command::new(vg)
        .args(["--error-exitcode=99", "--leak-check=full", "-q"])
        .arg(&exe)
        .arg("20000")
        .output()
        .expect("run valgrind");
    let (out, err) = (text(&run.stdout), text(&run.stderr));
    assert_eq!(run.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("test_aot: all passed"), "{out}");
    assert!(
        !err.contains("Invalid") && !err.contains("uninitialised"),
        "{err}"
    );
}

#[test]
fn an_x86_64_v3_object_runs_under_valgrind_without_errors() {
    under_valgrind("test_v3", &["--target-cpu", "x86-64-v3"]);
}

#[test]
fn the_default_object_runs_under_valgrind_without_errors() {
    under_valgrind("test_default", &[]);
}

/// Prints the variant `axpy` runs and checks its result on 1,000 doubles
/// (3 · x + y with the tail that no vector covers).
const DISPATCH_C: &str = r#"
#include <stdio.h>
#include <string.h>
#include "d.h"

int main(void) {
    enum { N = 1003 };
    static double x[N], y[N], out[N];
    for (int i = 0; i < N; i++) { x[i] = i; y[i] = 0.5 * i; }
    int64_t n[1] = {N};
    DLTensor tx, ty, to;
    memset(&tx, 0, sizeof tx);
    tx.data = x; tx.device.device_type = kDLCPU; tx.ndim = 1;
    tx.dtype.code = kDLFloat; tx.dtype.bits = 64; tx.dtype.lanes = 1; tx.shape = n;
    ty = tx; ty.data = y;
    to = tx; to.data = out;
    int32_t s = axpy(3.0, &tx, &ty, &to);
    const char *v = blaze_aot_variant_axpy();
    if (s != BLAZE_OK) {
        printf("status %d: %s\nvariant %s\n", s, blaze_aot_last_error(), v ? v : "(none)");
        return 0;
    }
    for (int i = 0; i < N; i++) {
        if (out[i] != 3.5 * i) { printf("wrong at %d: %g\n", i, out[i]); return 1; }
    }
    printf("status 0\nvariant %s\n", v);
    return 0;
}
"#;

#[test]
fn the_dispatcher_picks_the_best_variant_or_the_one_forced() {
    let t = tempfile::tempdir().expect("temp dir");
    let src = t.path().join("d.blz");
    std::fs::write(
        &src,
        "def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y\n",
    )
    .unwrap();
    let (obj, header) = (t.path().join("d.o"), t.path().join("d.h"));
    build(&src, &obj, &header, &[]);
    let h = std::fs::read_to_string(&header).unwrap();
    assert!(
        h.contains("Variants: x86-64-v2, x86-64-v3, x86-64-v4"),
        "{h}"
    );
    assert!(
        h.contains("const char *blaze_aot_variant_axpy(void);"),
        "{h}"
    );
    let c = t.path().join("d.c");
    std::fs::write(&c, DISPATCH_C).unwrap();
    let exe = t.path().join("d");
    link(&c, &obj, &exe);
    let run = |force: Option<&str>| {
        let mut cmd = Command::new(&exe);
        cmd.env_remove("BLAZE_DISPATCH");
        if let Some(f) = force {
            cmd.env("BLAZE_DISPATCH", f);
        }
        let o = cmd.output().expect("run the program");
        assert!(o.status.success(), "{}", text(&o.stdout));
        text(&o.stdout)
    };
    let level = cpu_level();
    // Unforced: the best level of this CPU (v2 when it is below v2 would
    // be refused, as below).
    let best = match level {
        4 => "status 0\nvariant x86-64-v4\n",
        3 => "status 0\nvariant x86-64-v3\n",
        2 => "status 0\nvariant x86-64-v2\n",
        _ => "status 11",
    };
    assert!(run(None).starts_with(best), "level {level}: {}", run(None));
    assert!(run(Some("")).starts_with(best));
    for (name, needs) in [("x86-64-v2", 2), ("x86-64-v3", 3), ("x86-64-v4", 4)] {
        let out = run(Some(name));
        if level >= needs {
            assert_eq!(out, format!("status 0\nvariant {name}\n"));
        } else {
            assert!(
                out.contains(&format!(
                    "status 11: BLAZE_DISPATCH={name} names a variant this CPU cannot run"
                )),
                "{out}"
            );
        }
    }
    let out = run(Some("skylake"));
    assert!(
        out.contains("status 11: BLAZE_DISPATCH names no variant of this object; it has x86-64-v2, x86-64-v3, x86-64-v4"),
        "{out}"
    );
    assert!(out.contains("variant (none)"), "{out}");

    // valgrind's CPU has no AVX-512: the dispatcher takes v3 at most.
    if let Some(vg) = valgrind() {
        let o = Command::new(vg)
            .args(["--error-exitcode=99", "-q"])
            .arg(&exe)
            .env_remove("BLAZE_DISPATCH")
            .output()
            .expect("run valgrind");
        let out = text(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
        assert!(out.starts_with("status 0\nvariant x86-64-v"), "{out}");
        assert!(!out.contains("x86-64-v4"), "{out}");
    }
}

/// The functions of a disassembly that use `zmm` registers.
fn zmm_functions(tool: &str, obj: &Path) -> Vec<String> {
    let o = Command::new(tool)
        .args(["-d", "--no-show-raw-insn"])
        .arg(obj)
        .output()
        .expect("run llvm-objdump");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let mut current = String::new();
    let mut found: Vec<String> = Vec::new();
    for line in text(&o.stdout).lines() {
        if let Some(name) = line
            .split_once(" <")
            .and_then(|(_, r)| r.strip_suffix(">:"))
        {
            current = name.to_string();
        } else if line.contains("zmm") && found.last() != Some(&current) {
            found.push(current.clone());
        }
    }
    found
}

#[test]
fn only_x86_64_v4_code_uses_512_bit_registers() {
    let Some(tool) = objdump() else { return };
    let t = tempfile::tempdir().expect("temp dir");
    let src = repo().join("tests/c/aot_kernels.blz");
    let h = t.path().join("k.h");
    let mut objects = Vec::new();
    for (name, extra) in [
        ("v4", vec!["--target-cpu", "x86-64-v4"]),
        ("v3", vec!["--target-cpu", "x86-64-v3"]),
        ("default", vec![]),
    ] {
        let obj = t.path().join(format!("{name}.o"));
        build(&src, &obj, &h, &extra);
        objects.push(obj);
    }
    let v4 = zmm_functions(tool, &objects[0]);
    assert!(
        v4.iter().any(|f| f.contains("axpy")),
        "no zmm code for axpy in the x86-64-v4 object: {v4:?}"
    );
    let v3 = zmm_functions(tool, &objects[1]);
    assert!(v3.is_empty(), "zmm code in the x86-64-v3 object: {v3:?}");
    // The default object: AVX-512 in its v4 variants only, never in the
    // baseline, the v3 variants or the dispatcher.
    let default = zmm_functions(tool, &objects[2]);
    assert!(!default.is_empty(), "the default object has no v4 code");
    for f in &default {
        assert!(f.ends_with("__x86_64_v4"), "zmm code in `{f}`: {default:?}");
    }
}

#[test]
fn an_aarch64_object_is_cross_compiled() {
    let t = tempfile::tempdir().expect("temp dir");
    let src = repo().join("tests/c/aot_kernels.blz");
    let (obj, h) = (t.path().join("arm.o"), t.path().join("arm.h"));
    build(&src, &obj, &h, &["--target", "aarch64-unknown-linux-gnu"]);
    let bytes = std::fs::read(&obj).unwrap();
    // ELF, 64-bit, little-endian, relocatable, machine EM_AARCH64 (183).
    assert_eq!(&bytes[..6], b"\x7fELF\x02\x01");
    assert_eq!(u16::from_le_bytes([bytes[16], bytes[17]]), 1);
    assert_eq!(u16::from_le_bytes([bytes[18], bytes[19]]), 183);
    let header = std::fs::read_to_string(&h).unwrap();
    assert!(
        header.contains("Target: aarch64-unknown-linux-gnu."),
        "{header}"
    );
    // No libmvec names on AArch64: scalar libm, linked with -lm alone.
    assert!(header.contains("Link with: -lm."), "{header}");
    assert!(!header.contains("blaze_aot_variant_"), "{header}");
    if let Some(tool) = objdump() {
        let o = Command::new(tool).arg("-d").arg(&obj).output().unwrap();
        let dis = text(&o.stdout);
        assert!(dis.contains("elf64-littleaarch64"), "{dis}");
        assert!(dis.contains("<axpy>:") && !dis.contains("_ZGV"), "{dis}");
    }
}

#[test]
fn bad_targets_are_refused_by_name() {
    let t = tempfile::tempdir().expect("temp dir");
    let src = repo().join("tests/c/aot_kernels.blz");
    let (obj, h) = (t.path().join("bad.o"), t.path().join("bad.h"));
    for (extra, needle) in [
        (
            vec!["--target-cpu", "x86-64-v3,znver4"],
            "`znver4` is not one",
        ),
        (vec!["--target-cpu", "x86-64-v3,"], "an empty CPU name"),
        (
            vec!["--target", "riscv64-unknown-linux-gnu"],
            "writes objects for x86_64 and aarch64",
        ),
        (
            vec!["--target", "x86_64-apple-darwin"],
            "the target must be Linux",
        ),
        (
            vec![
                "--target",
                "aarch64-unknown-linux-gnu",
                "--target-cpu",
                "native",
            ],
            "cannot run `aarch64-unknown-linux-gnu`",
        ),
        (
            vec![
                "--target",
                "aarch64-unknown-linux-gnu",
                "--target-cpu",
                "x86-64-v2",
            ],
            "CPUs of x86_64 targets",
        ),
        (vec!["--target-cpu", "zen/4"], "not an LLVM CPU name"),
    ] {
        let mut args = vec![
            "build",
            src.to_str().unwrap(),
            "-o",
            obj.to_str().unwrap(),
            "--header",
            h.to_str().unwrap(),
        ];
        args.extend_from_slice(&extra);
        let o = blaze(&args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{extra:?}: {err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
        assert!(!obj.exists() && !h.exists(), "{extra:?}: files written");
    }
    // A definition named like the object's own functions is refused.
    let own = t.path().join("own.blz");
    std::fs::write(&own, "def blaze_aot_variant_f(x: N * float64) = x + 1.0\n").unwrap();
    let o = blaze(&[
        "build",
        own.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
        "--header",
        h.to_str().unwrap(),
    ]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("starting with `blaze_aot_`"), "{err}");
}

#[test]
fn a_native_or_named_cpu_builds_one_variant() {
    let t = tempfile::tempdir().expect("temp dir");
    let src = t.path().join("n.blz");
    std::fs::write(
        &src,
        "def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y\n",
    )
    .unwrap();
    for cpu in ["native", "haswell"] {
        let (obj, h) = (t.path().join("n.o"), t.path().join("n.h"));
        build(&src, &obj, &h, &["--target-cpu", cpu]);
        let header = std::fs::read_to_string(&h).unwrap();
        assert!(header.contains("(no check at run time)"), "{header}");
        assert!(!header.contains("blaze_aot_variant_"), "{header}");
        let c = t.path().join("n.c");
        std::fs::write(
            &c,
            DISPATCH_C
                .replace("\"d.h\"", "\"n.h\"")
                .replace("blaze_aot_variant_axpy()", "\"single\""),
        )
        .unwrap();
        if cpu == "haswell" && cpu_level() < 3 {
            continue;
        }
        let exe = t.path().join("n");
        link(&c, &obj, &exe);
        let o = Command::new(&exe).output().expect("run the program");
        assert_eq!(text(&o.stdout), "status 0\nvariant single\n");
    }
}
