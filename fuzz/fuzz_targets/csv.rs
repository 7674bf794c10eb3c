//! Fuzz target for CSV with a datashape: the input's first line is the
//! datashape of the rows (`var * {a: int32, b: ?string}`), the rest the CSV
//! text, written to a scratch file which is opened and read whole, then
//! block by block. Nothing may panic or abort.
//!
//! Run: `cargo +nightly fuzz run csv -- -max_len=1024`.

#![no_main]

use blaze_runtime::io::csv::CsvFile;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn scratch() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| std::env::temp_dir().join(format!("blaze-fuzz-{}.csv", std::process::id())))
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let Ok(ty) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let Ok(ty) = blaze_datashape::parse(ty) else {
        return;
    };
    let body = data.get(split + 1..).unwrap_or(&[]);
    let path = scratch();
    std::fs::write(path, body).expect("write scratch file");
    if let Ok(f) = CsvFile::open(path, &ty) {
        let _ = f.read_all();
        if let Ok(mut r) = f.reader() {
            for _ in 0..64 {
                match r.next_block(3) {
                    Ok(Some(_)) => {}
                    _ => break,
                }
            }
        }
    }
});
