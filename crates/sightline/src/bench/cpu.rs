//! CPU time from Linux's `/proc/self/stat`, for benches that report what a case cost besides
//! its wall time (the disk's speed drifts on shared machines; CPU per unit of work does not).

use std::time::Duration;

/// `(user + system of this process, user + system of its waited-for children)`.
fn times() -> Option<(Duration, Duration)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start at field 3.
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |a: usize, b: usize| -> Option<Duration> {
        let sum = fields.get(a)?.parse::<u64>().ok()? + fields.get(b)?.parse::<u64>().ok()?;
        // USER_HZ is 100 on every Linux this runs on.
        Some(Duration::from_millis(sum * 10))
    };
    // utime, stime, cutime and cstime are fields 14 to 17, i.e. 11 to 14 after the name.
    Some((ticks(11, 12)?, ticks(13, 14)?))
}

/// User + system time of this process so far (all threads, waited-for children excluded).
pub fn own() -> Option<Duration> {
    times().map(|(own, _)| own)
}

/// User + system time of this process's waited-for children.
pub fn children() -> Option<Duration> {
    times().map(|(_, children)| children)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_time_grows_with_work() {
        let before = own().expect("/proc/self/stat readable");
        let started = std::time::Instant::now();
        let mut x = 1u64;
        while started.elapsed() < Duration::from_millis(100) {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        }
        assert!(own().unwrap() > before, "{x}");
    }
}
