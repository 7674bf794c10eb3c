//! Fingerprints the code generator's own sources: the persistent kernel
//! cache keys every entry with it, so machine code stored by one build of
//! the lowering is never loaded by another build of it (also when the
//! package version is unchanged).

use std::path::{Path, PathBuf};

/// FNV-1a, 64 bits.
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Every file under `dir`, recursively.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let mut paths = vec![root.join("Cargo.toml"), root.join("build.rs")];
    files(&root.join("src"), &mut paths);
    paths.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in &paths {
        let rel = p.strip_prefix(&root).unwrap_or(p);
        h = fnv(h, rel.to_string_lossy().as_bytes());
        h = fnv(h, &[0]);
        h = fnv(h, &std::fs::read(p).unwrap_or_default());
        h = fnv(h, &[0]);
    }
    println!("cargo:rustc-env=BLAZE_CODEGEN_SOURCE={h:016x}");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=build.rs");
}
