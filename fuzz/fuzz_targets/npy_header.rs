//! Fuzz target for `.npy` reading: the input bytes are a whole `.npy` file
//! (magic, version, header dictionary, data). Nothing may panic or abort;
//! an array read is written back as `.npy` and reads again with the same
//! type and shape.
//!
//! Run: `cargo +nightly fuzz run npy_header -- -max_len=512 -dict=npy.dict`.

#![no_main]

use blaze_runtime::io::npy::{read_npy_from, write_npy_to};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = read_npy_from(data, "fuzz.npy") {
        let mut out = Vec::new();
        write_npy_to(&mut out, &a).expect("an array read writes back");
        let b = read_npy_from(out.as_slice(), "again.npy").expect("written back reads again");
        assert_eq!(a.scalar(), b.scalar(), "element type changes on a round trip");
        assert_eq!(a.shape(), b.shape(), "shape changes on a round trip");
    }
});
