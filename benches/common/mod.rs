//! What the harness-less benches share: their command-line flags.

use std::collections::HashMap;

/// `--flag value` pairs from the command line, each flag one of those a
/// bench knows.
pub struct Flags(HashMap<String, String>);

impl Flags {
    /// Reads `--flag value` pairs; a flag not in `known`, or one without a
    /// value, is an error. `cargo bench` passes `--bench` to harness-less
    /// benches; it is skipped.
    pub fn parse(known: &[&str]) -> Result<Flags, String> {
        let mut flags = HashMap::new();
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            if flag == "--bench" {
                continue;
            }
            if !known.contains(&flag.as_str()) {
                return Err(format!(
                    "unknown argument `{flag}` (expected {})",
                    known.join(", ")
                ));
            }
            let value = it.next().ok_or_else(|| format!("`{flag}` needs a value"))?;
            flags.insert(flag, value);
        }
        Ok(Flags(flags))
    }

    /// The text of `flag`, which must be given.
    pub fn text(&self, flag: &str, what: &str) -> Result<String, String> {
        self.0
            .get(flag)
            .cloned()
            .ok_or_else(|| format!("`{flag} {what}` is required"))
    }

    /// The positive count `flag` gives, or `default`.
    pub fn count(&self, flag: &str, default: usize) -> Result<usize, String> {
        match self.0.get(flag) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("`{flag}`: `{v}` is not a positive count")),
        }
    }

    /// The number `flag` gives, or `default`.
    #[allow(dead_code)]
    pub fn number(&self, flag: &str, default: f64) -> Result<f64, String> {
        match self.0.get(flag) {
            None => Ok(default),
            Some(v) => v
                .parse::<f64>()
                .map_err(|_| format!("`{flag}`: `{v}` is not a number")),
        }
    }
}
