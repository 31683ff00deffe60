//! A global allocator for the programs that evaluate large models: the system allocator, with
//! transparent huge pages asked for on every large block.
//!
//! At a million activities the evaluation's relations, indexes and deduplication tables take
//! gigabytes, and a join reads them at random: nearly every probe of a table that outgrows
//! the caches also misses the TLB, and with 4 KiB pages the page walk itself misses the
//! caches. Huge pages (2 MiB) cover the same memory with 512 times fewer TLB entries. Linux
//! gives them to anonymous memory only where a program asks (`madvise(MADV_HUGEPAGE)`) unless
//! the system enables them everywhere, so [`HugePages`] asks for every block of at least
//! [`THRESHOLD`] bytes: the relations' rows, the tables, the model's large vectors. Small
//! blocks are left alone (a huge page for them would only waste memory). Elsewhere than
//! Linux, and where the system has transparent huge pages off, it is the system allocator.
//!
//! Binaries opt in with `#[global_allocator] static ALLOC: HugePages = HugePages;` (the
//! `sphere` binary and the benchmark drivers do); the library never installs it.

use std::alloc::{GlobalAlloc, Layout, System};

/// The system allocator, asking for transparent huge pages on blocks of [`THRESHOLD`] bytes
/// and more (see the module documentation).
pub struct HugePages;

/// Blocks from this size on are advised: two huge pages, so that the advised part (the whole
/// huge pages inside the block) is at least half of it.
pub const THRESHOLD: usize = 4 << 20;

/// The size of a transparent huge page on x86-64 and most aarch64 systems. Advising a range
/// aligned to it is harmless where the huge page size differs (the kernel rounds).
const HUGE_PAGE: usize = 2 << 20;

// SAFETY: every allocation is the system allocator's; `advise` only changes how the kernel
// backs pages of a block this allocator has just handed out, never their contents.
unsafe impl GlobalAlloc for HugePages {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        advise(p, layout.size());
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        advise(p, layout.size());
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        advise(p, new_size);
        p
    }
}

/// Asks for huge pages on the whole huge pages inside the block `[p, p + len)`, when it is
/// large. Pages already touched stay as they are (the kernel may merge them later); pages
/// touched from now on come as huge pages when the system has some free.
#[inline]
fn advise(p: *mut u8, len: usize) {
    if p.is_null() {
        return;
    }
    if let Some((start, end)) = huge_range(p as usize, len) {
        madvise_huge(start, end - start);
    }
}

/// The whole huge pages inside the block `[p, p + len)`, `[start, end)`, if the block is
/// large ([`THRESHOLD`]) and holds at least one.
#[inline]
fn huge_range(p: usize, len: usize) -> Option<(usize, usize)> {
    if len < THRESHOLD {
        return None;
    }
    let start = p.next_multiple_of(HUGE_PAGE);
    let end = (p + len) & !(HUGE_PAGE - 1);
    (end > start).then_some((start, end))
}

#[cfg(target_os = "linux")]
#[cold]
fn madvise_huge(start: usize, len: usize) {
    // SAFETY: `[start, start + len)` lies inside a block just allocated, so it is mapped
    // memory of this process; MADV_HUGEPAGE changes no contents. A failure (transparent huge
    // pages compiled out of the kernel) leaves the pages as they were, which is correct.
    unsafe {
        libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
#[cold]
fn madvise_huge(_start: usize, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_and_small_blocks_keep_their_contents() {
        // Through the allocator directly: allocation, zeroed allocation and growth of blocks
        // below and above the threshold hand out usable memory with the contents kept.
        for size in [64, THRESHOLD - 1, THRESHOLD, 3 * THRESHOLD + 12345] {
            unsafe {
                let layout = Layout::from_size_align(size, 8).expect("valid layout");
                let z = HugePages.alloc_zeroed(layout);
                assert!(!z.is_null());
                let zs = std::slice::from_raw_parts(z, size);
                assert!(zs.iter().all(|&b| b == 0), "zeroed at {size}");
                HugePages.dealloc(z, layout);

                let p = HugePages.alloc(layout);
                assert!(!p.is_null());
                for i in (0..size).step_by(4093) {
                    *p.add(i) = (i % 251) as u8;
                }
                let q = HugePages.realloc(p, layout, size * 2);
                assert!(!q.is_null());
                for i in (0..size).step_by(4093) {
                    assert_eq!(*q.add(i), (i % 251) as u8, "kept at {i} of {size}");
                }
                HugePages.dealloc(q, Layout::from_size_align(size * 2, 8).expect("valid"));
            }
        }
    }

    #[test]
    fn only_whole_huge_pages_inside_a_large_block_are_advised() {
        let h = HUGE_PAGE;
        // Unaligned: the aligned interior.
        assert_eq!(huge_range(5 * h + 4096, 3 * h), Some((6 * h, 8 * h)));
        // Aligned: all of it.
        assert_eq!(huge_range(4 * h, THRESHOLD), Some((4 * h, 4 * h + THRESHOLD)));
        // Below the threshold: nothing, even when it holds a whole huge page.
        assert_eq!(huge_range(4 * h, THRESHOLD - 1), None);
        assert_eq!(huge_range(4 * h, h), None);
        // The advised range never leaves the block.
        for off in [1, 4096, h - 1, h / 2] {
            let (base, len) = (7 * h + off, THRESHOLD + off);
            let (s, e) = huge_range(base, len).expect("a large block holds a huge page");
            assert!(s >= base && e <= base + len && s % h == 0 && e % h == 0, "{off}");
        }
    }
}
