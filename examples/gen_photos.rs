//! Writes synthetic photo-like JPEGs (gradients, soft shapes, sensor noise)
//! for benchmarks and fixtures: `cargo run --release --example gen_photos -- OUT_DIR COUNT [WIDTH HEIGHT]`.

use image::{ImageBuffer, Rgb};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(args.get(1).expect("OUT_DIR"));
    let count: u32 = args.get(2).map_or(50, |s| s.parse().expect("COUNT"));
    let width: u32 = args.get(3).map_or(4000, |s| s.parse().expect("WIDTH"));
    let height: u32 = args.get(4).map_or(3000, |s| s.parse().expect("HEIGHT"));
    std::fs::create_dir_all(&out).expect("create OUT_DIR");
    for n in 0..count {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(n).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let base = [
            (rand() % 200) as f32,
            (rand() % 200) as f32,
            (rand() % 200) as f32,
        ];
        let circles: Vec<(f32, f32, f32, [f32; 3])> = (0..6)
            .map(|_| {
                (
                    (rand() % u64::from(width)) as f32,
                    (rand() % u64::from(height)) as f32,
                    (200 + rand() % 900) as f32,
                    [
                        (rand() % 255) as f32,
                        (rand() % 255) as f32,
                        (rand() % 255) as f32,
                    ],
                )
            })
            .collect();
        let img = ImageBuffer::from_fn(width, height, |x, y| {
            let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
            let mut c = [
                base[0] + 55.0 * fx,
                base[1] + 40.0 * fy,
                base[2] + 30.0 * (1.0 - fx),
            ];
            for (cx, cy, r, col) in &circles {
                let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
                let t = (1.0 - d / r).clamp(0.0, 1.0) * 0.7;
                for i in 0..3 {
                    c[i] = c[i] * (1.0 - t) + col[i] * t;
                }
            }
            let noise =
                ((x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503) ^ n) % 17) as f32 - 8.0;
            Rgb([
                (c[0] + noise).clamp(0.0, 255.0) as u8,
                (c[1] + noise).clamp(0.0, 255.0) as u8,
                (c[2] + noise).clamp(0.0, 255.0) as u8,
            ])
        });
        let path = out.join(format!("photo-{n:03}.jpg"));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create photo"));
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut file, 90)
            .encode_image(&img)
            .expect("encode");
    }
}
