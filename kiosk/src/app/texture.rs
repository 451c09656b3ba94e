//! What the kiosk uploads to the renderer: textures kept small, because
//! without a GPU (Mesa's llvmpipe) every texel lives in the kiosk's memory.

use image::GrayImage;

/// The widest texture the kiosk asks for. egui makes its glyph atlas as wide
/// as the renderer allows: 16,384 px under llvmpipe, so each time the atlas
/// grows it doubles a 16,384-px-wide image (8 MB, then 16 MB), held three
/// times over (egui's atlas, the upload, the renderer's copy). At 2,048 px
/// the same glyphs take a fraction of that.
pub const MAX_SIDE: usize = 2048;

/// Caps the renderer's texture size as egui sees it.
pub fn limit_side(raw_input: &mut egui::RawInput) {
    raw_input.max_texture_side = Some(
        raw_input
            .max_texture_side
            .map_or(MAX_SIDE, |side| side.min(MAX_SIDE)),
    );
}

/// The camera frame as the preview's texture: mirrored, as people expect of
/// a camera that looks at them, and every n-th pixel of a frame wider or
/// taller than `MAX_SIDE` (a preview is never drawn larger than that).
pub fn preview(luma: &GrayImage) -> egui::ColorImage {
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    let step = w.max(h).div_ceil(MAX_SIDE).max(1);
    let (out_w, out_h) = (w.div_ceil(step), h.div_ceil(step));
    let mut pixels = Vec::with_capacity(out_w * out_h);
    for row in luma.as_raw().chunks_exact(w.max(1)).step_by(step) {
        pixels.extend(
            row.iter()
                .rev()
                .step_by(step)
                .map(|&v| egui::Color32::from_gray(v)),
        );
    }
    egui::ColorImage::new([out_w, out_h], pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_is_mirrored() {
        let luma = GrayImage::from_raw(3, 2, vec![0, 1, 2, 10, 11, 12]).expect("3×2");
        let image = preview(&luma);
        assert_eq!(image.size, [3, 2]);
        let grey: Vec<u8> = image.pixels.iter().map(egui::Color32::r).collect();
        assert_eq!(grey, [2, 1, 0, 12, 11, 10]);
    }

    #[test]
    fn a_frame_larger_than_a_texture_is_thinned_to_fit() {
        for (w, h) in [(3840, 2160), (4097, 100), (2049, 2049), (2048, 1536)] {
            let luma = GrayImage::new(w, h);
            let image = preview(&luma);
            assert!(
                image.size[0] <= MAX_SIDE && image.size[1] <= MAX_SIDE,
                "{w}x{h} → {:?}",
                image.size
            );
            assert_eq!(image.pixels.len(), image.size[0] * image.size[1], "{w}x{h}");
        }
        assert_eq!(preview(&GrayImage::new(2048, 1536)).size, [2048, 1536]);
        assert_eq!(preview(&GrayImage::new(3840, 2160)).size, [1920, 1080]);
    }

    #[test]
    fn the_texture_side_is_capped_but_never_raised() {
        let mut input = egui::RawInput {
            max_texture_side: Some(16_384),
            ..Default::default()
        };
        limit_side(&mut input);
        assert_eq!(input.max_texture_side, Some(MAX_SIDE));
        input.max_texture_side = Some(1024);
        limit_side(&mut input);
        assert_eq!(input.max_texture_side, Some(1024));
    }
}
