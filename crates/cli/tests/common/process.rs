//! Running the `blaze` binary with input piped to it, and its output as
//! text.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// `blaze ARGS` with `input` on its standard input.
pub fn piped(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the blaze binary runs");
    let mut stdin = child.stdin.take().expect("a piped stdin");
    let input = input.to_vec();
    // Written from a thread: blaze may stop reading early.
    let w = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let o = child.wait_with_output().expect("blaze's output");
    w.join().expect("the writer thread");
    o
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
