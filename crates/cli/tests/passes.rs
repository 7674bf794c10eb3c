//! Programs of several passes through `blaze eval`, `blaze graph` and
//! `blaze explain`: centring by the mean disk to disk within a small
//! memory limit (the same numbers as in memory), the passes in the task
//! graph and the plan, and standard input refused before it is read when
//! a program needs its rows twice.

mod common;

use common::process::{piped, stderr, stdout};

use std::process::{Command, Output};

fn blaze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(args)
        .output()
        .expect("the blaze binary runs")
}

fn matrix(rows: usize, cols: usize) -> ndarray::ArrayD<f64> {
    ndarray::Array2::from_shape_fn((rows, cols), |(i, j)| {
        ((i * 31 + j * 17) % 23) as f64 * 0.5 - 3.0 + j as f64
    })
    .into_dyn()
}

#[test]
fn centring_streams_disk_to_disk_in_two_passes() {
    let dir = common::scratch_dir("blaze-cli-passes-");
    let a = dir.join("a.npy");
    blaze::runtime::io::npy::write_npy(&a, &blaze::interp::Array::Float64(matrix(3001, 8)))
        .unwrap();
    let input = format!("A={}", a.display());
    for expr in [
        "A - mean(A, axis=0)",
        "(A - mean(A, axis=0)).T @ (A - mean(A, axis=0))",
        "std(A, axis=0)",
        "argmax(A, axis=0)",
        "A[10::3]",
    ] {
        let ooc = dir.join("ooc.npy");
        let mem = dir.join("mem.npy");
        let o = blaze(&[
            "eval",
            "-e",
            expr,
            "--in",
            &input,
            "--memory-limit",
            "64KiB",
            "--out",
            ooc.to_str().unwrap(),
            "--timings",
        ]);
        assert_eq!(o.status.code(), Some(0), "{expr}: {}", stderr(&o));
        assert!(stderr(&o).contains("\"streamed\":true"), "{}", stderr(&o));
        let o = blaze(&[
            "eval",
            "-e",
            expr,
            "--in",
            &input,
            "--out",
            mem.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{expr}: {}", stderr(&o));
        let s = blaze::runtime::io::npy::read_npy(&ooc).unwrap();
        let m = blaze::runtime::io::npy::read_npy(&mem).unwrap();
        let (blaze::interp::Array::Float64(s), blaze::interp::Array::Float64(m)) = (
            blaze::interp::kernels::cast(&s, blaze::datashape::Scalar::Float64),
            blaze::interp::kernels::cast(&m, blaze::datashape::Scalar::Float64),
        ) else {
            panic!("float64")
        };
        assert_eq!(s.shape(), m.shape(), "{expr}");
        let scale = m.iter().fold(1.0f64, |x, v| x.max(v.abs()));
        let d = m
            .iter()
            .zip(s.iter())
            .fold(0.0f64, |x, (p, q)| x.max((p - q).abs()));
        assert!(d <= 1e-12 * scale, "{expr}: {d}");
    }
}

#[test]
fn graph_and_explain_show_the_passes() {
    let dir = common::scratch_dir("blaze-cli-passes-graph-");
    let a = dir.join("a.npy");
    blaze::runtime::io::npy::write_npy(&a, &blaze::interp::Array::Float64(matrix(3001, 8)))
        .unwrap();
    let input = format!("A={}", a.display());
    let limit = ["--memory-limit", "64KiB"];
    let o = blaze(&[
        "graph",
        "-e",
        "A - mean(A, axis=0)",
        "--in",
        &input,
        limit[0],
        limit[1],
        "--out",
        "r.npy",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("# pass 1 of 2: reads every block, computes %1 = reduce mean"),
        "{out}"
    );
    assert!(out.contains("feeds pass 2"), "{out}");
    assert!(out.contains("# pass 2 of 2"), "{out}");
    assert!(out.contains("('p1-A', 0): read rows 0.."), "{out}");
    assert!(out.contains("('p2-A', 0): read rows 0.."), "{out}");
    assert!(out.contains("('p1-%1-acc',"), "{out}");
    assert!(out.contains("('finish',): sync and rename r.npy"), "{out}");
    let o = blaze(&[
        "explain",
        "-e",
        "var(A, axis=0)",
        "--in",
        &input,
        limit[0],
        limit[1],
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("2 passes"), "{out}");
    assert!(
        out.contains("pass 2 of 2") && out.contains("feeds the tail"),
        "{out}"
    );
}

#[test]
fn standard_input_is_refused_for_a_second_pass_before_it_is_read() {
    let mut csv = String::from("t,v\n");
    for i in 0..500 {
        csv.push_str(&format!("{i},{}\n", (i % 13) as f64 * 0.5));
    }
    let o = piped(
        &[
            "eval",
            "-e",
            "p.v - mean(p.v)",
            "--in",
            "p=-:var * {t: int64, v: float64}",
            "--memory-limit",
            "1MiB",
        ],
        csv.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("standard input") && err.contains("read once") && err.contains("2 passes"),
        "{err}"
    );
    // One pass over standard input still streams.
    let o = piped(
        &[
            "eval",
            "-e",
            "sum(p.v)",
            "--in",
            "p=-:var * {t: int64, v: float64}",
            "--memory-limit",
            "1MiB",
        ],
        csv.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
