//! Memory advice for large arrays.

/// Asks Linux for transparent huge pages on the 2 MiB-aligned part of
/// `bytes` at `ptr`, before the memory is first touched: streaming kernels
/// then take 2 MiB page faults and TLB entries instead of 4 KiB ones (NumPy
/// does the same for its large arrays). Small regions are left alone; a
/// failure (THP disabled) is harmless. Elsewhere, nothing.
pub(crate) fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        if bytes < 2 * HUGE {
            return;
        }
        let start = (ptr as usize).div_ceil(HUGE) * HUGE;
        let end = (ptr as usize + bytes) / HUGE * HUGE;
        if end > start {
            // SAFETY: advice on whole pages inside an allocation the caller
            // owns; it changes no contents.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ptr, bytes);
}
