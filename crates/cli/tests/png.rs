//! PNG images on the command line: `--in` reads them as `H * W * RGBA` (or
//! the view an annotation asks for), a glob of image folders stacks them,
//! `--out x.png` writes an image, and broken files or results a PNG cannot
//! hold are one-line errors naming the file. Expected values come from
//! `tests/data/png/make_fixtures.py` (Pillow and NumPy).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn blaze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(args)
        .output()
        .expect("the blaze binary runs")
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "blaze failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn failure(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/png")
}

fn fixture(name: &str) -> String {
    data()
        .join(name)
        .to_str()
        .expect("a UTF-8 path")
        .to_string()
}

fn json(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(data().join(name)).expect("the fixture");
    serde_json::from_str(&text).expect("JSON")
}

/// Channel `c` of an expected case's `key` samples, summed.
fn channel_sum(case: &serde_json::Value, key: &str, c: usize) -> u64 {
    case[key]
        .as_array()
        .expect("samples")
        .iter()
        .skip(c)
        .step_by(4)
        .map(|v| v.as_u64().expect("a sample"))
        .sum()
}

#[test]
fn rgba_is_a_prelude_type_of_every_datashape() {
    let out = stdout(&blaze(&["datashape", "N * M * 600 * 800 * RGBA", "?RGBA"]));
    assert_eq!(
        out,
        "N * M * 600 * 800 * {r: uint8, g: uint8, b: uint8, a: uint8}\n?{r: uint8, g: uint8, b: uint8, a: uint8}"
    );
    let dir = common::scratch_dir("blaze-png-check-");
    let module = dir.join("m.blz");
    std::fs::write(
        &module,
        "def brightness(I: H * W * RGBA) = (I.r + I.g + I.b) / 3.0\ndef alpha(I: H * W * RGBA) = I.a\n",
    )
    .expect("write");
    let out = stdout(&blaze(&["check", module.to_str().expect("UTF-8")]));
    assert!(
        out.contains("alpha(I: H * W * {r: uint8, g: uint8, b: uint8, a: uint8}) -> H * W * uint8"),
        "{out}"
    );
}

#[test]
fn images_are_inputs_under_every_view() {
    let expected = json("expected.json");
    for name in ["pillow_rgba", "palette4_trns", "grey2_interlaced", "rgb16"] {
        let case = &expected[name];
        let path = fixture(&format!("{name}.png"));
        let want = channel_sum(case, "rgba8", 0);
        let got = stdout(&blaze(&[
            "eval",
            "-e",
            "sum(I.r)",
            "--in",
            &format!("I={path}"),
        ]));
        assert_eq!(got, want.to_string(), "{name}");
        // The dense view, 16 bits: the four channel sums.
        let got = stdout(&blaze(&[
            "eval",
            "-e",
            "sum(I, axis=(0, 1))",
            "--in",
            &format!("I={path}:H * W * 4 * uint16"),
        ]));
        let got: Vec<u64> = got
            .trim_matches(['[', ']'])
            .split_whitespace()
            .map(|x| x.parse().expect("a number"))
            .collect();
        let sums: Vec<u64> = (0..4).map(|c| channel_sum(case, "rgba16", c)).collect();
        assert_eq!(got, sums, "{name}");
    }
}

#[test]
fn image_folders_stack_and_average_as_numpy() {
    let facts = json("images.json");
    let glob = format!("{}/images/*/*.png", data().display());
    // At 16 MiB the blocks are single images: the program reduces both
    // levels together. The whole mean image (four float64 planes, 15.4 MB)
    // does not fit there; its planes, one channel at a time, do.
    for limit in [None, Some("64MiB"), Some("16MiB")] {
        let run = |expr: &str, view: &str| {
            let mut args = vec![
                "eval".to_string(),
                "-e".into(),
                expr.into(),
                "--in".into(),
                format!("I={glob}:{view}"),
            ];
            if let Some(l) = limit {
                args.extend(["--memory-limit".into(), l.into()]);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            stdout(&blaze(&args))
        };
        let rgba = "N * M * 600 * 800 * RGBA";
        assert_eq!(
            run("sum(I.r)", rgba),
            facts["sum"]["r"].as_u64().expect("sum").to_string()
        );
        assert_eq!(
            run("sum(I.a)", rgba),
            facts["sum"]["a"].as_u64().expect("sum").to_string()
        );
        let mean_sum: f64 = run("sum(mean(I.g, axis=(0, 1)))", rgba)
            .parse()
            .expect("a number");
        let want = facts["mean_image_sum"]["g"].as_f64().expect("a sum");
        assert!(
            (mean_sum - want).abs() <= 1e-9 * want,
            "{mean_sum} vs {want}"
        );
        if limit != Some("16MiB") {
            // The dense view: the four channels of a point at once.
            check_dense_points(&run, &facts);
            continue;
        }
        for p in facts["mean_image_points"]
            .as_array()
            .expect("points")
            .iter()
            .take(3)
        {
            let (i, j) = (&p["row"], &p["col"]);
            for (c, name) in ["r", "g", "b", "a"].iter().enumerate() {
                let got: f64 = run(&format!("mean(I.{name}, axis=(0, 1))[{i}, {j}]"), rgba)
                    .parse()
                    .expect("a mean");
                let want = p["rgba"][c].as_f64().expect("a mean");
                assert!(
                    (got - want).abs() < 1e-6,
                    "({i}, {j}) {name}: {got} vs {want}"
                );
            }
        }
        for name in ["r", "b", "a"] {
            let got: f64 = run(&format!("sum(mean(I.{name}, axis=(0, 1)))"), rgba)
                .parse()
                .expect("a number");
            let want = facts["mean_image_sum"][name].as_f64().expect("a sum");
            assert!((got - want).abs() <= 1e-9 * want, "{name}: {got} vs {want}");
        }
    }
}

/// Points of the mean image under the dense view, against NumPy's.
fn check_dense_points(run: &dyn Fn(&str, &str) -> String, facts: &serde_json::Value) {
    for p in facts["mean_image_points"]
        .as_array()
        .expect("points")
        .iter()
        .take(3)
    {
        let (i, j) = (&p["row"], &p["col"]);
        let want: Vec<f64> = (0..4)
            .map(|c| p["rgba"][c].as_f64().expect("a mean"))
            .collect();
        let got = run(
            &format!("mean(I, axis=(0, 1))[{i}, {j}]"),
            "N * M * 600 * 800 * 4 * uint8",
        );
        let got: Vec<f64> = got
            .trim_matches(['[', ']'])
            .split_whitespace()
            .map(|x| x.parse().expect("a number"))
            .collect();
        assert_eq!(got.len(), 4, "({i}, {j})");
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-6, "({i}, {j}): {got:?} vs {want:?}");
        }
    }
}

#[test]
fn out_png_writes_an_image_or_names_what_png_holds() {
    let dir = common::scratch_dir("blaze-png-out-");
    let src = fixture("pillow_rgba.png");
    let out = dir.join("swapped.png");
    let out_s = out.to_str().expect("UTF-8");
    stdout(&blaze(&[
        "eval",
        "-e",
        "{r: I.b, g: I.g, b: I.r, a: I.a}",
        "--in",
        &format!("I={src}"),
        "--out",
        out_s,
    ]));
    let sum = |expr: &str, path: &str| {
        stdout(&blaze(&["eval", "-e", expr, "--in", &format!("I={path}")]))
    };
    assert_eq!(sum("sum(I.r)", out_s), sum("sum(I.b)", &src));
    assert_eq!(sum("sum(I.a)", out_s), sum("sum(I.a)", &src));
    // A grey image from one channel.
    let grey = dir.join("grey.png");
    let grey_s = grey.to_str().expect("UTF-8");
    stdout(&blaze(&[
        "eval",
        "-e",
        "I.g",
        "--in",
        &format!("I={src}"),
        "--out",
        grey_s,
    ]));
    let back = stdout(&blaze(&[
        "eval",
        "-e",
        "sum(I)",
        "--in",
        &format!("I={grey_s}:H * W * uint8"),
    ]));
    assert_eq!(back, sum("sum(I.g)", &src));
    // What a PNG cannot hold: one line, nothing written.
    let bad = dir.join("f.png");
    let e = failure(&blaze(&[
        "eval",
        "-e",
        "I.r * 1.5",
        "--in",
        &format!("I={src}"),
        "--out",
        bad.to_str().expect("UTF-8"),
    ]));
    assert!(
        e.contains("a PNG image holds") && e.contains("float64"),
        "{e}"
    );
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(!bad.exists());
}

#[test]
fn broken_images_are_one_line_errors_naming_the_file() {
    for (name, says) in [
        ("bad/not_png.png", "not a PNG file"),
        ("bad/truncated.png", "truncated.png"),
        ("bad/corrupt.png", "not a valid PNG image"),
        ("bad/header_only.png", "ends early"),
    ] {
        let e = failure(&blaze(&[
            "eval",
            "-e",
            "sum(I.r)",
            "--in",
            &format!("I={}", fixture(name)),
        ]));
        assert!(e.contains(says) && e.contains(name), "{name}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "{e}");
    }
    let e = failure(&blaze(&[
        "eval",
        "-e",
        "sum(I)",
        "--in",
        &format!("I={}:9 * 5 * 4 * uint8", fixture("rgba8.png")),
    ]));
    assert!(e.contains("says 9 rows (height), the image has 7"), "{e}");
}
