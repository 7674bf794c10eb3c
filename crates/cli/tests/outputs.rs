//! What `--out` (and `blaze build -o/--header`) may replace: a regular
//! file, or a Zarr array for a Zarr result. Anything else is refused
//! before the run with status 1 and one line naming the path and what it
//! is, and the file system stays as it was. Symlinks are written through
//! to what they point to, under the same rules. Temporaries carry the
//! writer's process id; a write removes those of dead processes only.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn blaze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(args)
        .output()
        .expect("the blaze binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// Every entry under `dir`: relative path, kind, size, contents of files,
/// link targets.
fn snapshot(dir: &Path) -> Vec<(PathBuf, String, u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = fs::read_dir(&d)
            .expect("read dir")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for p in entries {
            let m = fs::symlink_metadata(&p).expect("metadata");
            let t = m.file_type();
            let rel = p.strip_prefix(dir).expect("under dir").to_path_buf();
            let (kind, data) = if t.is_symlink() {
                let to = fs::read_link(&p).expect("link");
                ("link".to_string(), to.to_string_lossy().as_bytes().to_vec())
            } else if t.is_dir() {
                stack.push(p.clone());
                ("dir".to_string(), Vec::new())
            } else if t.is_file() {
                ("file".to_string(), fs::read(&p).expect("read"))
            } else {
                (format!("{t:?}"), Vec::new())
            };
            out.push((rel, kind, if t.is_file() { m.len() } else { 0 }, data));
        }
    }
    out
}

/// Runs `eval` writing to `out` and checks it is refused with one line
/// that names `out` and contains `what`, leaving `dir` as it was.
fn refused(dir: &Path, out: &Path, what: &str) {
    let before = snapshot(dir);
    let o = blaze(&["eval", "-e", "[1, 2, 3] + 1", "--out", s(out)]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error[output]: "), "{err}");
    assert!(err.contains(s(out)), "{err}");
    assert!(err.contains(what), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(snapshot(dir), before, "the directory changed: {err}");
}

fn mkfifo(p: &Path) {
    let st = Command::new("mkfifo").arg(p).status().expect("mkfifo runs");
    assert!(st.success());
}

#[test]
fn a_directory_that_is_not_a_zarr_array_is_kept() {
    let t = tempfile::tempdir().expect("temp dir");
    let d = t.path().join("results");
    fs::create_dir(&d).unwrap();
    fs::write(d.join("thesis.tex"), "years of work").unwrap();
    fs::create_dir(d.join("sub")).unwrap();
    fs::write(d.join("sub/data.csv"), "a\n1\n").unwrap();
    refused(t.path(), &d, "a directory that is not a Zarr array");
    // Named like a Zarr array, but not one.
    let z = t.path().join("plain.zarr");
    fs::create_dir(&z).unwrap();
    fs::write(z.join("notes.txt"), "mine").unwrap();
    refused(t.path(), &z, "a directory that is not a Zarr array");
}

#[test]
fn a_zarr_group_is_kept() {
    let t = tempfile::tempdir().expect("temp dir");
    let g3 = t.path().join("g3.zarr");
    fs::create_dir(&g3).unwrap();
    fs::write(
        g3.join("zarr.json"),
        r#"{"zarr_format": 3, "node_type": "group", "attributes": {}}"#,
    )
    .unwrap();
    refused(t.path(), &g3, "a Zarr group");
    let g2 = t.path().join("g2.zarr");
    fs::create_dir(&g2).unwrap();
    fs::write(g2.join(".zgroup"), r#"{"zarr_format": 2}"#).unwrap();
    fs::create_dir(g2.join("member")).unwrap();
    fs::write(g2.join("member/.zarray"), "{}").unwrap();
    refused(t.path(), &g2, "a Zarr group");
}

#[test]
fn a_fifo_a_socket_and_a_device_are_refused() {
    let t = tempfile::tempdir().expect("temp dir");
    let f = t.path().join("pipe.npy");
    mkfifo(&f);
    refused(t.path(), &f, "a FIFO");
    let sock = t.path().join("s.npy");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).expect("bind a socket");
    refused(t.path(), &sock, "a socket");
    let null = Path::new("/dev/null");
    let o = blaze(&["eval", "-e", "1 + 2", "--out", "/dev/null"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("a character device"), "{}", stderr(&o));
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::metadata(null).unwrap().file_type().is_char_device());
}

#[test]
fn symlinks_are_written_through_or_refused() {
    let t = tempfile::tempdir().expect("temp dir");
    // To a regular file: the file gets the data, the link stays a link.
    let real = t.path().join("real.npy");
    fs::write(&real, b"old").unwrap();
    let link = t.path().join("link.npy");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = blaze(&["eval", "-e", "[7.0, 8.0]", "--out", s(&link)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let o = blaze(&["eval", "-e", "x", "--in", &format!("x={}", s(&real))]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "[7. 8.]\n");
    // To a FIFO, to a directory, to nothing: refused.
    let fifo = t.path().join("fifo");
    mkfifo(&fifo);
    let to_fifo = t.path().join("to_fifo.npy");
    std::os::unix::fs::symlink(&fifo, &to_fifo).unwrap();
    refused(t.path(), &to_fifo, "a symlink to");
    refused(t.path(), &to_fifo, "a FIFO");
    let dir = t.path().join("dir");
    fs::create_dir(&dir).unwrap();
    let to_dir = t.path().join("to_dir.npy");
    std::os::unix::fs::symlink(&dir, &to_dir).unwrap();
    refused(t.path(), &to_dir, "a directory that is not a Zarr array");
    let dangling = t.path().join("dangling.npy");
    std::os::unix::fs::symlink(t.path().join("nowhere"), &dangling).unwrap();
    refused(t.path(), &dangling, "does not exist");
}

#[test]
fn a_zarr_array_is_replaced_and_other_formats_do_not_replace_it() {
    let t = tempfile::tempdir().expect("temp dir");
    let z = t.path().join("a.zarr");
    let o = blaze(&["eval", "-e", "[1, 2, 3]", "--out", s(&z)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = blaze(&["eval", "-e", "[4, 5]", "--out", s(&z)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = blaze(&["eval", "-e", "x", "--in", &format!("x={}", s(&z))]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "[4 5]\n");
    // A Zarr array written by zarr-python (format 2) is replaced too.
    let z2 = t.path().join("v2.zarr");
    fs::create_dir(&z2).unwrap();
    fs::write(z2.join(".zarray"), "{}").unwrap();
    let o = blaze(&["eval", "-e", "[1.5]", "--out", s(&z2)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(z2.join("zarr.json").is_file());
    assert!(!z2.join(".zarray").exists());
    // A `.npy` result does not replace a Zarr array, nor a Zarr result a file.
    let plain = t.path().join("array");
    fs::rename(&z, &plain).unwrap();
    refused(t.path(), &plain, "a Zarr array");
    let f = t.path().join("f.zarr");
    fs::write(&f, "a file").unwrap();
    refused(t.path(), &f, "a regular file");
    // Nothing is left next to the results.
    let names: Vec<String> = fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn a_missing_directory_is_reported_before_the_run() {
    let t = tempfile::tempdir().expect("temp dir");
    let out = t.path().join("no/such/dir/r.npy");
    refused(t.path(), &out, "does not exist");
}

#[test]
fn build_outputs_follow_the_same_rules() {
    let t = tempfile::tempdir().expect("temp dir");
    let src = t.path().join("k.blz");
    fs::write(&src, "def twice(x: N * float64) = x * 2.0\n").unwrap();
    let d = t.path().join("objdir");
    fs::create_dir(&d).unwrap();
    fs::write(d.join("keep"), "keep").unwrap();
    let h = t.path().join("k.h");
    let before = snapshot(t.path());
    let o = blaze(&["build", s(&src), "-o", s(&d), "--header", s(&h)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("a directory that is not a Zarr array"));
    assert_eq!(snapshot(t.path()), before);
    let fifo = t.path().join("k.fifo.h");
    mkfifo(&fifo);
    let before = snapshot(t.path());
    let obj = t.path().join("k.o");
    let o = blaze(&["build", s(&src), "-o", s(&obj), "--header", s(&fifo)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("a FIFO"), "{}", stderr(&o));
    assert_eq!(snapshot(t.path()), before);
}

/// The id of a process that has exited.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("spawn true");
    let pid = child.id();
    child.wait().expect("wait");
    pid
}

#[test]
fn an_interrupted_runs_leftovers_are_removed_and_a_live_ones_kept() {
    let t = tempfile::tempdir().expect("temp dir");
    let dead = dead_pid();
    let live = std::process::id();
    // A `.npy` result: leftover files.
    let out = t.path().join("r.npy");
    let dead_tmp = t.path().join(format!(".r.npy.{dead}.0.tmp"));
    let live_tmp = t.path().join(format!(".r.npy.{live}.0.tmp"));
    let other = t.path().join(format!(".other.npy.{dead}.0.tmp"));
    for p in [&dead_tmp, &live_tmp, &other] {
        fs::write(p, vec![0u8; 4096]).unwrap();
    }
    let o = blaze(&["eval", "-e", "[1.0, 2.0]", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!dead_tmp.exists(), "a dead writer's temporary stays");
    assert!(live_tmp.exists(), "a live writer's temporary was removed");
    assert!(
        other.exists(),
        "another destination's temporary was removed"
    );
    assert!(out.is_file());
    // A Zarr result: leftover directories with chunks.
    let z = t.path().join("z.zarr");
    let dead_dir = t.path().join(format!(".z.zarr.{dead}.3.tmp"));
    let live_dir = t.path().join(format!(".z.zarr.{live}.4.tmp"));
    for d in [&dead_dir, &live_dir] {
        fs::create_dir_all(d.join("c/0")).unwrap();
        fs::write(d.join("c/0/0"), b"chunk").unwrap();
    }
    let o = blaze(&["eval", "-e", "[1, 2]", "--out", s(&z)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!dead_dir.exists(), "a dead writer's directory stays");
    assert!(
        live_dir.join("c/0/0").is_file(),
        "a live writer's directory was removed"
    );
    // `blaze build` temporaries too.
    let src = t.path().join("k.blz");
    fs::write(&src, "def twice(x: N * float64) = x * 2.0\n").unwrap();
    let dead_obj = t.path().join(format!(".k.o.{dead}.9.tmp"));
    let live_obj = t.path().join(format!(".k.o.{live}.9.tmp"));
    fs::write(&dead_obj, b"obj").unwrap();
    fs::write(&live_obj, b"obj").unwrap();
    let obj = t.path().join("k.o");
    let h = t.path().join("k.h");
    let o = blaze(&["build", s(&src), "-o", s(&obj), "--header", s(&h)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!dead_obj.exists());
    assert!(live_obj.exists());
    assert!(obj.is_file() && h.is_file());
}
