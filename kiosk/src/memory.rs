//! Giving freed memory back to the system. A kiosk runs for weeks on a small
//! PC; what it freed should not stay counted against it.

use std::time::{Duration, Instant};

/// How often the window hands freed heap pages back.
pub const TRIM_EVERY: Duration = Duration::from_mins(1);

/// Hands free heap pages back to the system, once per `TRIM_EVERY` or
/// `SOON` after a lot was freed.
#[derive(Debug)]
pub struct Trimmer {
    due: Instant,
}

/// A moment after freeing a lot, long enough for the frames that free it.
const SOON: Duration = Duration::from_secs(5);

impl Default for Trimmer {
    fn default() -> Self {
        Self {
            due: Instant::now() + TRIM_EVERY,
        }
    }
}

impl Trimmer {
    /// Trims `SOON` after `now` unless a trim is due earlier.
    pub fn soon(&mut self, now: Instant) {
        self.due = self.due.min(now + SOON);
    }

    /// Trims when it is time; says whether it did.
    pub fn tick(&mut self, now: Instant) -> bool {
        if now < self.due {
            return false;
        }
        self.due = now + TRIM_EVERY;
        trim();
        true
    }
}

/// Each time egui's glyph atlas grows, the old atlas and a full copy of the
/// new one for the upload are freed; glibc keeps such holes in the middle of
/// its heap (only the top is returned on its own), about 8 MB of a window's
/// 150 MB measured under llvmpipe. `malloc_trim` returns every free page.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn trim() {
    // SAFETY: malloc_trim takes no pointer, only a padding size, and is
    // thread-safe (it takes each arena's lock).
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Blocks at least this large get pages of their own, returned when freed.
pub const OWN_PAGES_FROM: usize = 4 << 20;

/// Call first thing in `main`, before any thread starts. glibc raises its
/// threshold for giving a block its own pages each time such a block is
/// freed, so after the first PIN hash (argon2 takes 19 MB) every later one
/// comes from a thread's arena, whose top glibc keeps: measured, staff mode
/// left a 19 MB arena behind for good. A fixed threshold keeps the PIN
/// check, the glyph atlas and its uploads on their own pages; the camera
/// frames and the preview (about 1 MB) stay in the heap, where reusing them
/// costs no page faults.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn tune() {
    let threshold = libc::c_int::try_from(OWN_PAGES_FROM).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt takes two integers; called before other threads run.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, threshold);
    }
}

/// Other allocators return memory on their own.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn trim() {}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_once_a_minute_at_most() {
        let start = Instant::now();
        let mut trimmer = Trimmer {
            due: start + TRIM_EVERY,
        };
        assert!(!trimmer.tick(start + Duration::from_secs(59)));
        assert!(trimmer.tick(start + TRIM_EVERY));
        assert!(!trimmer.tick(start + TRIM_EVERY + Duration::from_secs(30)));
        assert!(trimmer.tick(start + TRIM_EVERY * 2 + Duration::from_secs(1)));
    }

    #[test]
    fn trims_soon_after_being_asked() {
        let start = Instant::now();
        let mut trimmer = Trimmer {
            due: start + TRIM_EVERY,
        };
        trimmer.soon(start);
        assert!(!trimmer.tick(start + Duration::from_secs(4)));
        assert!(trimmer.tick(start + SOON));
    }

    #[test]
    fn trimming_a_heap_with_holes_is_harmless() {
        let mut kept = Vec::new();
        for i in 0..64u8 {
            let block = vec![i; 256 * 1024];
            if i % 2 == 0 {
                kept.push(block);
            }
        }
        trim();
        for (block, i) in kept.iter().zip((0..64u8).step_by(2)) {
            assert!(block.iter().all(|&v| v == i));
        }
    }
}
