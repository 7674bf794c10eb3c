//! `--append` and views of files through the command line: rows added to
//! `.npy` files and Zarr arrays (in memory and streamed), read back with
//! all rows; a result of another row shape is refused with nothing
//! written; and a `.npy` file larger than the memory limit read under
//! another datashape streams without copying the file into memory (the
//! peak RSS of the `blaze` process stays below the file's size).

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

fn blaze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(args)
        .output()
        .expect("the blaze binary runs")
}

fn ok(args: &[&str]) -> String {
    let o = blaze(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// A `.npy` file of `rows` rows of 6 float64, element `[i, j]` = `i % 7 + j`
/// (small integers, so sums are exact in any order), written by blocks.
fn write_table(path: &Path, rows: usize) {
    let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, 6), }}");
    let mut header = b"\x93NUMPY\x01\x00".to_vec();
    header.extend_from_slice(&(118u16).to_le_bytes());
    header.extend_from_slice(dict.as_bytes());
    header.resize(127, b' ');
    header.push(b'\n');
    let mut f = std::io::BufWriter::new(fs::File::create(path).unwrap());
    f.write_all(&header).unwrap();
    let mut row = [0u8; 48];
    for i in 0..rows {
        for j in 0..6 {
            let x = (i % 7 + j) as f64;
            row[j * 8..j * 8 + 8].copy_from_slice(&x.to_le_bytes());
        }
        f.write_all(&row).unwrap();
    }
    f.flush().unwrap();
}

/// Runs blaze and returns its peak RSS in bytes (its own, from `wait4`),
/// after checking that it succeeded.
// The child is reaped by `wait4`, which `Child::wait` cannot replace: it
// returns no resource usage.
#[allow(clippy::zombie_processes)]
fn peak_rss(args: &[&str]) -> u64 {
    let child = Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the blaze binary runs");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `wait4` fills the status and the struct it is given; the
    // child is ours and waited for once.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut u) };
    assert_eq!(r, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{args:?}"
    );
    u.ru_maxrss as u64 * 1024
}

#[test]
fn a_view_of_a_file_larger_than_the_limit_streams_without_a_copy() {
    let dir = common::scratch_dir("blaze-cli-view-");
    let a = dir.join("a.npy");
    let rows = (64 << 20) / 48;
    write_table(&a, rows);
    let size = fs::metadata(&a).unwrap().len();
    assert!(size >= 64 << 20);
    let viewed = format!("A={}:N * 2 * 3 * float64", s(&a));
    let plain = format!("A={}", s(&a));
    let (r1, r2) = (dir.join("r1.npy"), dir.join("r2.npy"));
    // What the process takes anyway (code, the JIT), on a file of 10 rows.
    let small = dir.join("small.npy");
    write_table(&small, 10);
    let small_view = format!("A={}:N * 2 * 3 * float64", s(&small));
    let run = |input: &str, out: &Path| {
        peak_rss(&[
            "eval",
            "-e",
            "sum(A * 2, axis=0)",
            "--in",
            input,
            "--memory-limit",
            "1MiB",
            "--out",
            s(out),
        ])
    };
    let base = run(&small_view, &r1);
    let peak = run(&viewed, &r1);
    assert!(
        peak < base + size / 4,
        "peak RSS {peak} bytes, {base} on a small file, the file {size} bytes"
    );
    run(&plain, &r2);
    // The same sums, under a 2 * 3 shape.
    let (b1, b2) = (fs::read(&r1).unwrap(), fs::read(&r2).unwrap());
    assert!(String::from_utf8_lossy(&b1[..128]).contains("(2, 3)"));
    assert!(String::from_utf8_lossy(&b2[..128]).contains("(6,)"));
    assert_eq!(b1[128..], b2[128..]);
    // A view that does not fit says which sizes disagree.
    let o = blaze(&[
        "eval",
        "-e",
        "A",
        "--in",
        &format!("A={}:N * 2 * 4 * float64", s(&a)),
    ]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("a row of 6 float64 cannot be viewed as 2 * 4 * float64 (8)")
            && e.contains("a.npy"),
        "{e}"
    );
}

#[test]
fn appends_to_npy_and_zarr_read_back_with_every_row() {
    let dir = common::scratch_dir("blaze-cli-append-");
    let a = dir.join("a.npy");
    write_table(&a, 10);
    let input = format!("A={}", s(&a));
    let want = ok(&[
        "eval",
        "-e",
        "concat((A, A, A), axis=0) * 1",
        "--in",
        &input,
    ]);
    for out in ["r.npy", "r.zarr"] {
        let out = dir.join(out);
        // Created, then appended to in memory and streamed.
        ok(&[
            "eval",
            "-e",
            "A",
            "--in",
            &input,
            "--out",
            s(&out),
            "--append",
        ]);
        ok(&[
            "eval",
            "-e",
            "A * 1",
            "--in",
            &input,
            "--out",
            s(&out),
            "--append",
        ]);
        ok(&[
            "eval",
            "-e",
            "A",
            "--in",
            &input,
            "--out",
            s(&out),
            "--append",
            "--memory-limit",
            "1KiB",
        ]);
        let back = ok(&["eval", "-e", "A", "--in", &format!("A={}", s(&out))]);
        assert_eq!(back, want, "{}", out.display());
        // Rows of another shape: refused, nothing written.
        let before = ok(&["eval", "-e", "A", "--in", &format!("A={}", s(&out))]);
        let o = blaze(&[
            "eval",
            "-e",
            "A[:, :2]",
            "--in",
            &input,
            "--out",
            s(&out),
            "--append",
        ]);
        assert!(!o.status.success());
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(
            e.contains("cannot append") && e.contains("nothing was written"),
            "{e}"
        );
        let after = ok(&["eval", "-e", "A", "--in", &format!("A={}", s(&out))]);
        assert_eq!(before, after);
    }
    // `--append` needs `--out`.
    let o = blaze(&["eval", "-e", "A", "--in", &input, "--append"]);
    assert!(!o.status.success());
}
