//! HTTP `Range` requests (RFC 9110 §14): one range per request, which is what players send.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    /// Inclusive.
    pub end: u64,
}

impl ByteRange {
    pub fn len(self) -> u64 {
        self.end - self.start + 1
    }

    pub fn is_empty(self) -> bool {
        false
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable range: serve the whole body (also for multi-range requests, which RFC allows).
    Full,
    Partial(ByteRange),
    /// Syntactically fine but outside the body: 416.
    Unsatisfiable,
}

pub fn parse_range(header: Option<&str>, total: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        // Suffix range: the last N bytes.
        let Ok(n) = last.parse::<u64>() else {
            return RangeRequest::Full;
        };
        if n == 0 || total == 0 {
            return RangeRequest::Unsatisfiable;
        }
        ByteRange {
            start: total.saturating_sub(n),
            end: total - 1,
        }
    } else {
        let Ok(start) = first.parse::<u64>() else {
            return RangeRequest::Full;
        };
        let end = if last.is_empty() {
            u64::MAX
        } else {
            match last.parse::<u64>() {
                Ok(end) if end >= start => end,
                _ => return RangeRequest::Full,
            }
        };
        if start >= total {
            return RangeRequest::Unsatisfiable;
        }
        ByteRange {
            start,
            end: end.min(total - 1),
        }
    };
    RangeRequest::Partial(range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn common_forms() {
        assert_eq!(parse_range(None, 10), RangeRequest::Full);
        assert_eq!(
            parse_range(Some("bytes=2-5"), 10),
            RangeRequest::Partial(ByteRange { start: 2, end: 5 })
        );
        assert_eq!(
            parse_range(Some("bytes=7-"), 10),
            RangeRequest::Partial(ByteRange { start: 7, end: 9 })
        );
        assert_eq!(
            parse_range(Some("bytes=-3"), 10),
            RangeRequest::Partial(ByteRange { start: 7, end: 9 })
        );
        assert_eq!(
            parse_range(Some("bytes=10-"), 10),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(parse_range(Some("bytes=5-2"), 10), RangeRequest::Full);
        assert_eq!(parse_range(Some("items=1-2"), 10), RangeRequest::Full);
    }

    proptest! {
        #[test]
        fn partial_ranges_stay_inside(h in ".*", total in 0u64..10_000) {
            if let RangeRequest::Partial(r) = parse_range(Some(&h), total) {
                prop_assert!(r.start <= r.end && r.end < total);
            }
        }
    }
}
