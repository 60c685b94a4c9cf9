//! 3×3 binary morphology on 0/1 masks, separable (a 1×3 pass then a 3×1 pass), edges replicated.

/// `dst = erode(src)` (a pixel stays only if its whole 3×3 neighbourhood is set).
pub(crate) fn erode(src: &[u8], tmp: &mut [u8], dst: &mut [u8], width: usize, height: usize) {
    rows(src, tmp, width, height, |a, b, c| a & b & c);
    columns(tmp, dst, width, height, |a, b, c| a & b & c);
}

/// `dst = dilate(src)` (a pixel is set if any of its 3×3 neighbourhood is).
pub(crate) fn dilate(src: &[u8], tmp: &mut [u8], dst: &mut [u8], width: usize, height: usize) {
    rows(src, tmp, width, height, |a, b, c| a | b | c);
    columns(tmp, dst, width, height, |a, b, c| a | b | c);
}

fn rows(src: &[u8], dst: &mut [u8], width: usize, height: usize, op: impl Fn(u8, u8, u8) -> u8) {
    for row in 0..height {
        let s = &src[row * width..(row + 1) * width];
        let d = &mut dst[row * width..(row + 1) * width];
        if width == 1 {
            d[0] = s[0];
            continue;
        }
        d[0] = op(s[0], s[0], s[1]);
        for (out, w) in d[1..width - 1].iter_mut().zip(s.windows(3)) {
            *out = op(w[0], w[1], w[2]);
        }
        d[width - 1] = op(s[width - 2], s[width - 1], s[width - 1]);
    }
}

fn columns(src: &[u8], dst: &mut [u8], width: usize, height: usize, op: impl Fn(u8, u8, u8) -> u8) {
    for row in 0..height {
        let up = row.saturating_sub(1) * width;
        let down = (row + 1).min(height - 1) * width;
        let here = row * width;
        let (a, b, c) = (
            &src[up..up + width],
            &src[here..here + width],
            &src[down..down + width],
        );
        let out = &mut dst[here..here + width];
        for (((o, &a), &b), &c) in out.iter_mut().zip(a).zip(b).zip(c) {
            *o = op(a, b, c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(rows: &[&str]) -> (Vec<u8>, usize, usize) {
        let w = rows[0].len();
        let v = rows
            .iter()
            .flat_map(|r| r.bytes().map(|b| u8::from(b == b'#')))
            .collect();
        (v, w, rows.len())
    }

    #[test]
    fn opening_removes_specks_and_keeps_blobs() {
        let (src, w, h) = parse(&[
            "#.......", //
            "....###.", //
            "..#.###.", //
            "....###.", //
            "........", //
        ]);
        let (mut tmp, mut eroded, mut opened) = (vec![0; w * h], vec![0; w * h], vec![0; w * h]);
        erode(&src, &mut tmp, &mut eroded, w, h);
        assert_eq!(eroded.iter().map(|&v| v as usize).sum::<usize>(), 1);
        dilate(&eroded, &mut tmp, &mut opened, w, h);
        let (want, _, _) = parse(&[
            "........", //
            "....###.", //
            "....###.", //
            "....###.", //
            "........", //
        ]);
        assert_eq!(opened, want);
    }

    #[test]
    fn one_pixel_wide_frames_work() {
        let src = vec![1, 1, 0];
        let (mut tmp, mut dst) = (vec![0; 3], vec![0; 3]);
        dilate(&src, &mut tmp, &mut dst, 1, 3);
        assert_eq!(dst, vec![1, 1, 1]);
        erode(&src, &mut tmp, &mut dst, 1, 3);
        assert_eq!(dst, vec![1, 0, 0]);
    }
}
