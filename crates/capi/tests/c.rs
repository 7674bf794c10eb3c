//! The C tests (`tests/c/*.c` at the repository root): compiled with `cc`
//! against the library cargo built next to this test, run natively, and
//! run under valgrind when it is installed (no errors, no definitely lost
//! bytes). `test_jit` also links the static library once; `test_inplace`
//! checks outputs written in the caller's memory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Elements of the axpy acceptance run natively, and under valgrind
/// (where every instruction is ~50× slower).
const N_NATIVE: &str = "1000000";
const N_VALGRIND: &str = "2000";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The directory holding `libblaze_capi.{so,a}`: the profile directory
/// above this test executable (`target/<profile>/deps/c-…`).
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile> above the test executable")
        .to_path_buf();
    for lib in ["libblaze_capi.so", "libblaze_capi.a"] {
        assert!(
            dir.join(lib).exists(),
            "{} is missing; build it with `cargo build -p blaze-capi`",
            dir.join(lib).display()
        );
    }
    dir
}

fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c-tests");
    std::fs::create_dir_all(&d).expect("create the C test directory");
    d
}

fn show(what: &str, out: &Output) -> String {
    format!(
        "{what}: {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Compiles `tests/c/NAME.c`, linked dynamically (with an rpath) or
/// statically; returns the executable.
fn build(name: &str, link_static: bool) -> PathBuf {
    let lib = lib_dir();
    let repo = repo();
    let exe = out_dir().join(if link_static {
        format!("{name}_static")
    } else {
        name.to_string()
    });
    let mut cc = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
    cc.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-O1"])
        .arg("-I")
        .arg(repo.join("crates/capi/include"))
        .arg("-I")
        .arg(repo.join("tests/c"))
        .arg(repo.join(format!("tests/c/{name}.c")))
        .arg("-o")
        .arg(&exe);
    if link_static {
        // The static library needs what rustc reports as its native
        // libraries (`--print native-static-libs`): LLVM, OpenBLAS and the
        // C runtime.
        let llvm = option_env!("LLVM_SYS_191_PREFIX").unwrap_or("/usr/lib/llvm-19");
        cc.arg(lib.join("libblaze_capi.a"))
            .arg(format!("-L{llvm}/lib"))
            .args([
                "-lLLVM-19",
                "-lopenblas",
                "-lffi",
                "-lstdc++",
                "-lgcc_s",
                "-lutil",
                "-lrt",
            ])
            .args(["-lpthread", "-lm", "-ldl", "-lc"]);
    } else {
        cc.arg("-L")
            .arg(&lib)
            .arg("-lblaze_capi")
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .args(["-lm", "-lpthread"]);
    }
    let out = cc.output().expect("run cc (a C compiler is required)");
    assert!(
        out.status.success(),
        "{}",
        show(&format!("cc {name}.c"), &out)
    );
    exe
}

fn run(exe: &Path, args: &[&str]) -> String {
    let out = Command::new(exe)
        .args(args)
        .env_remove("BLAZE_DUMP")
        .output()
        .expect("run the C test");
    assert!(
        out.status.success(),
        "{}",
        show(&exe.display().to_string(), &out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn valgrind_available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `exe` under valgrind: any memory error or definitely lost block
/// fails. (Possibly lost and reachable blocks are LLVM's and rayon's
/// process-lifetime state.)
fn run_valgrind(exe: &Path, args: &[&str]) -> String {
    let out = Command::new("valgrind")
        .args([
            "--error-exitcode=1",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--show-leak-kinds=definite",
        ])
        .arg(exe)
        .args(args)
        .env_remove("BLAZE_DUMP")
        .output()
        .expect("run valgrind");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{}",
        show(&format!("valgrind {}", exe.display()), &out)
    );
    assert!(
        stderr.contains("ERROR SUMMARY: 0 errors"),
        "valgrind reported errors:\n{stderr}"
    );
    assert!(
        stderr.contains("definitely lost: 0 bytes")
            || stderr.contains("All heap blocks were freed"),
        "valgrind reported leaks:\n{stderr}"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn bad_call_count(stdout: &str) -> usize {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("bad calls rejected: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count in the output:\n{stdout}"))
}

#[test]
fn c_tests_pass_natively_and_under_valgrind() {
    let jit = build("test_jit", false);
    let bad = build("test_bad_calls", false);

    let out = run(&jit, &[N_NATIVE]);
    assert!(out.contains("axpy on 1000000 doubles: ok"), "{out}");
    assert!(out.contains("test_jit: all passed"), "{out}");
    let out = run(&bad, &[]);
    let n = bad_call_count(&out);
    assert!(n >= 20, "only {n} bad calls were checked:\n{out}");

    if !valgrind_available() {
        eprintln!("valgrind is not installed: the C tests ran without it");
        return;
    }
    // Both at once: each spends most of its time in LLVM under valgrind.
    std::thread::scope(|s| {
        let j = s.spawn(|| run_valgrind(&jit, &[N_VALGRIND]));
        let b = s.spawn(|| run_valgrind(&bad, &[]));
        let out = j.join().expect("valgrind test_jit");
        assert!(out.contains("test_jit: all passed"), "{out}");
        let out = b.join().expect("valgrind test_bad_calls");
        assert_eq!(bad_call_count(&out), n, "{out}");
    });
}

#[test]
fn outputs_in_place_natively_and_under_valgrind() {
    let exe = build("test_inplace", false);
    let out = run(&exe, &[N_NATIVE]);
    assert!(out.contains("test_inplace: all passed"), "{out}");
    if !valgrind_available() {
        eprintln!("valgrind is not installed: test_inplace ran without it");
        return;
    }
    let out = run_valgrind(&exe, &[N_VALGRIND]);
    assert!(out.contains("test_inplace: all passed"), "{out}");
}

#[test]
fn static_library_links_and_runs() {
    let exe = build("test_jit", true);
    let out = run(&exe, &["100000"]);
    assert!(out.contains("test_jit: all passed"), "{out}");
}

/// `test_arrow`: Arrow C Data Interface structs built by hand, with their
/// own release callbacks, through `blaze_kernel_call_arrow`; natively and
/// under valgrind (no errors, no definitely lost bytes: the exported
/// results are released by the program, the inputs by their producer).
#[test]
fn arrow_c_test_passes_natively_and_under_valgrind() {
    let exe = build("test_arrow", false);
    let out = run(&exe, &["100000"]);
    assert!(
        out.contains("fillna on 100000 nullable doubles at offset 5: ok"),
        "{out}"
    );
    assert!(out.contains("bad arrow calls rejected: 8"), "{out}");
    assert!(out.contains("test_arrow: all passed"), "{out}");
    if !valgrind_available() {
        eprintln!("valgrind is not installed: test_arrow ran without it");
        return;
    }
    let out = run_valgrind(&exe, &["1000"]);
    assert!(out.contains("test_arrow: all passed"), "{out}");
}
