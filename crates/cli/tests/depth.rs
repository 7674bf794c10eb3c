//! Deep and long programs through the `blaze` binary: nesting past the
//! limit is exit status 1 with a one-line reason and a caret, a
//! 100,000-term chain evaluates to the right result.

use blaze::interp::Array;
use std::path::PathBuf;
use std::process::{Command, Output};

fn blaze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(args)
        .output()
        .expect("the blaze binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("depth-{name}"));
    std::fs::create_dir_all(&d).expect("scratch directory");
    d
}

#[test]
fn nesting_past_the_limit_is_exit_status_1() {
    let e = format!("{}1{}", "(".repeat(400), ")".repeat(400));
    let o = blaze(&["check", "-e", &e]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("nesting deeper than 256"), "{err}");
    assert!(err.contains("<expression>:1:257"), "{err}");

    let e = format!("{}1{}", "(".repeat(200), ")".repeat(200));
    let o = blaze(&["check", "-e", &e]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "int64\n");
}

#[test]
fn a_chain_of_100000_terms_evaluates() {
    let dir = scratch("chain");
    let module = dir.join("chain.blz");
    let chain = vec!["x"; 100_000].join("+");
    std::fs::write(&module, format!("def f(x: 3 * float64) = {chain}\n")).unwrap();
    let x = dir.join("x.npy");
    let a = Array::Float64(ndarray::arr1(&[1.0, 0.5, 0.25]).into_dyn());
    blaze::runtime::io::npy::write_npy(&x, &a).unwrap();
    let input = format!("x={}", x.display());
    for engine in ["jit", "interp"] {
        let o = blaze(&[
            "eval",
            module.to_str().unwrap(),
            "--in",
            &input,
            "--engine",
            engine,
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{engine}: {err}");
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "[100000.  50000.  25000.]\n",
            "{engine}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
