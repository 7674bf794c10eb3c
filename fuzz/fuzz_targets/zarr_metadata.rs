//! Fuzz target for Zarr array metadata: the input is written as `zarr.json`
//! (format 3) when its first byte is even, as `.zarray` (format 2) when it
//! is odd, in a scratch directory, which is then opened. Nothing may panic
//! or abort; an array that opens and holds at most 4,096 elements is read
//! whole (its chunks are absent: the fill value), with the shape it says.
//!
//! Run: `cargo +nightly fuzz run zarr_metadata -- -max_len=1024 -dict=zarr.dict`.

#![no_main]

use blaze_runtime::io::zarr::ZarrArray;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("blaze-fuzz-zarr-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("scratch directory");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, meta)) = data.split_first() else {
        return;
    };
    let dir = scratch();
    let (name, other) = if first % 2 == 0 {
        ("zarr.json", ".zarray")
    } else {
        (".zarray", "zarr.json")
    };
    let _ = std::fs::remove_file(dir.join(other));
    std::fs::write(dir.join(name), meta).expect("write metadata");
    if let Ok(z) = ZarrArray::open(dir) {
        let n = z.shape().iter().try_fold(1usize, |n, d| n.checked_mul(*d));
        if n.is_some_and(|n| n <= 4096) {
            if let Ok(a) = z.read_all() {
                assert_eq!(a.shape(), z.shape(), "read shape differs from metadata");
            }
        }
    }
});
