//! Image preparation for the decoder: rescaling, denoising and contrast
//! normalisation for codes too small, noisy, faint or unevenly lit for the
//! reader at the camera's size. Plain functions on luma images.

use image::GrayImage;

/// Halves the size by averaging 2×2 blocks: smooths sensor noise and a
/// phone screen's pixel grid, and makes a large, blurred code sharp enough
/// to threshold, in a quarter of the pixels.
pub fn half(image: &GrayImage) -> GrayImage {
    let (w, h) = (image.width() / 2, image.height() / 2);
    if w == 0 || h == 0 {
        return image.clone();
    }
    let stride = image.width() as usize;
    let src = image.as_raw();
    let mut out = Vec::with_capacity(w as usize * h as usize);
    for y in 0..h as usize {
        let top = &src[2 * y * stride..][..2 * w as usize];
        let bottom = &src[(2 * y + 1) * stride..][..2 * w as usize];
        for (t, b) in top.chunks_exact(2).zip(bottom.chunks_exact(2)) {
            let sum = u16::from(t[0]) + u16::from(t[1]) + u16::from(b[0]) + u16::from(b[1]);
            out.push(u8::try_from((sum + 2) / 4).unwrap_or(u8::MAX));
        }
    }
    GrayImage::from_raw(w, h, out).unwrap_or_else(|| image.clone())
}

/// Doubles the size: a small code far from the camera gets enough pixels a
/// module for the finder patterns to be found.
pub fn double(image: &GrayImage) -> GrayImage {
    image::imageops::resize(
        image,
        image.width() * 2,
        image.height() * 2,
        image::imageops::FilterType::Triangle,
    )
}

/// Local contrast normalisation: each pixel's distance from the mean of the
/// (2·radius + 1)² window around it, in units of that window's spread. A
/// faint code (15% contrast), one half washed out by a reflection, or one
/// lit from the side comes out as a full-contrast code; with a radius of
/// about a module it also sharpens a defocused one. Flat areas stay grey
/// instead of having their noise blown up (`floor` is the least spread
/// counted).
///
/// Box sums run along rows, then slide down the columns: a few operations
/// a pixel whatever the radius.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
pub fn normalise(image: &GrayImage, radius: u32, floor: f32) -> GrayImage {
    let (w, h) = (image.width() as usize, image.height() as usize);
    if w == 0 || h == 0 {
        return image.clone();
    }
    // Sums of squares of a 201×201 window still fit a u32.
    let r = (radius as usize).min(100);
    let src = image.as_raw();
    // Each row's window sums along x (sum, sum of squares) and widths.
    let mut across = vec![(0u32, 0u32); w * h];
    let mut prefix = vec![(0u32, 0u32); w + 1];
    for (row, out) in src.chunks_exact(w).zip(across.chunks_exact_mut(w)) {
        for (x, &v) in row.iter().enumerate() {
            let v = u32::from(v);
            prefix[x + 1] = (prefix[x].0 + v, prefix[x].1 + v * v);
        }
        for (x, cell) in out.iter_mut().enumerate() {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            *cell = (prefix[x1].0 - prefix[x0].0, prefix[x1].1 - prefix[x0].1);
        }
    }
    let widths: Vec<f32> = (0..w)
        .map(|x| ((x + r + 1).min(w) - x.saturating_sub(r)) as f32)
        .collect();
    let mut column = vec![(0u32, 0u32); w];
    let add = |column: &mut [(u32, u32)], row: &[(u32, u32)]| {
        for (c, a) in column.iter_mut().zip(row) {
            c.0 += a.0;
            c.1 += a.1;
        }
    };
    for row in across.chunks_exact(w).take(r) {
        add(&mut column, row);
    }
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        if y + r < h {
            add(&mut column, &across[(y + r) * w..][..w]);
        }
        if y > r {
            for (c, a) in column.iter_mut().zip(&across[(y - r - 1) * w..][..w]) {
                c.0 -= a.0;
                c.1 -= a.1;
            }
        }
        let rows = ((y + r + 1).min(h) - y.saturating_sub(r)) as f32;
        let pixels = &src[y * w..][..w];
        for (((o, &v), c), width) in out[y * w..][..w]
            .iter_mut()
            .zip(pixels)
            .zip(&column)
            .zip(&widths)
        {
            let n = rows * width;
            let mean = c.0 as f32 / n;
            let variance = (c.1 as f32 / n - mean * mean).max(floor * floor);
            let value = 128.0 + 80.0 * (f32::from(v) - mean) / variance.sqrt();
            *o = value.clamp(0.0, 255.0) as u8;
        }
    }
    GrayImage::from_raw(image.width(), image.height(), out).unwrap_or_else(|| image.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_and_doubles() {
        let image = GrayImage::from_fn(9, 7, |x, y| {
            image::Luma([u8::try_from(x * 10 + y).unwrap()])
        });
        let halved = half(&image);
        assert_eq!(halved.dimensions(), (4, 3));
        // (0 + 10 + 1 + 11) / 4, rounded
        assert_eq!(halved.get_pixel(0, 0)[0], 6);
        // (64 + 74 + 65 + 75) / 4, rounded
        assert_eq!(halved.get_pixel(3, 2)[0], 70);
        assert_eq!(double(&image).dimensions(), (18, 14));
        assert_eq!(half(&GrayImage::new(1, 1)).dimensions(), (1, 1));
        assert_eq!(half(&GrayImage::new(0, 5)).dimensions(), (0, 5));
    }

    #[test]
    fn normalising_turns_a_faint_edge_into_a_full_one() {
        // 120 | 140: a 20-level edge on grey.
        let faint =
            GrayImage::from_fn(40, 20, |x, _| image::Luma([if x < 20 { 120 } else { 140 }]));
        let out = normalise(&faint, 8, 4.0);
        let (left, right) = (out.get_pixel(17, 10)[0], out.get_pixel(22, 10)[0]);
        // Twenty levels apart become more than a hundred.
        assert!(left < 80 && right > 176, "{left} {right}");
        // Far from the edge the window is flat: grey, not noise blown up.
        assert_eq!(out.get_pixel(2, 10)[0], 128);
        assert_eq!(
            normalise(&GrayImage::new(0, 0), 8, 4.0).dimensions(),
            (0, 0)
        );
    }

    #[test]
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    fn normalising_matches_the_direct_sum_at_every_pixel() {
        let image = GrayImage::from_fn(23, 17, |x, y| {
            image::Luma([u8::try_from((x * 37 + y * 91 + x * y * 13) % 256).unwrap()])
        });
        for radius in [1, 3, 30] {
            let fast = normalise(&image, radius, 4.0);
            for y in 0..17i64 {
                for x in 0..23i64 {
                    let r = i64::from(radius);
                    let window: Vec<f32> = (y - r..=y + r)
                        .flat_map(|wy| (x - r..=x + r).map(move |wx| (wx, wy)))
                        .filter(|&(wx, wy)| (0..23).contains(&wx) && (0..17).contains(&wy))
                        .map(|(wx, wy)| f32::from(image.get_pixel(wx as u32, wy as u32)[0]))
                        .collect();
                    let n = window.len() as f32;
                    let mean = window.iter().sum::<f32>() / n;
                    let variance = window.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n;
                    let v = f32::from(image.get_pixel(x as u32, y as u32)[0]);
                    let want =
                        (128.0 + 80.0 * (v - mean) / variance.sqrt().max(4.0)).clamp(0.0, 255.0);
                    let got = f32::from(fast.get_pixel(x as u32, y as u32)[0]);
                    assert!(
                        (got - want).abs() <= 1.0,
                        "({x}, {y}) r{radius}: {got} vs {want}"
                    );
                }
            }
        }
    }
}
