//! How much memory the machine has, and the default memory limit of a
//! session: half of it.

/// Total memory of the machine (Linux: `/proc/meminfo`), if known.
pub fn total_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The default memory limit: half of the machine's memory (4 GiB when it
/// is not known).
pub fn default_limit() -> u64 {
    total_memory().map_or(4 << 30, |m| m / 2)
}
