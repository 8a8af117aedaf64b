//! Images: decoded with limits, EXIF orientation applied, resized to the
//! configured widths (never upscaled), re-encoded as WebP plus a JPEG (or PNG
//! for images with transparency) fallback. Original files are never
//! published, and re-encoding from pixels drops every EXIF, GPS, XMP and IPTC
//! block (DESIGN.md, invariant 6).
//!
//! Templates and markdown *request* images while pages render; each output's
//! URL is derived from the source bytes and the operation, so it is known
//! before any pixel is touched. `ImageQueue::process` then runs the jobs in
//! parallel, reusing `.sitegen/cache/images/` entries keyed the same way.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView, ImageDecoder, ImageReader, Limits, RgbaImage};
use rayon::prelude::*;

use crate::config::ImageConfig;
use crate::digest::sha256_hex;
use crate::error::{Error, Location, Result};
use crate::fsutil;
use crate::text::escape_html;

/// A watermark applied to images that ask for it.
#[derive(Debug, Clone)]
pub struct Watermark {
    pub file: PathBuf,
    /// `top-left`, `top-right`, `bottom-left`, `bottom-right`, `center`.
    pub position: String,
    /// 0.0 to 1.0.
    pub opacity: f32,
    /// Watermark width as a fraction of the image width.
    pub scale: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Format {
    Webp,
    Jpeg,
    Png,
}

impl Format {
    fn ext(self) -> &'static str {
        match self {
            Format::Webp => "webp",
            Format::Jpeg => "jpg",
            Format::Png => "png",
        }
    }
}

/// What to do to a source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    /// Fit within `width` (aspect kept).
    Resize { width: u32 },
    /// Scale and centre-crop to exactly `width`×`height` (social images).
    Cover { width: u32, height: u32 },
}

#[derive(Debug, Clone)]
struct Job {
    source: PathBuf,
    op: Op,
    format: Format,
    watermark: bool,
    quality: u8,
}

/// A bundle path and its bytes.
type File = (String, Vec<u8>);

/// One produced file.
#[derive(Debug, Clone)]
pub struct Variant {
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// Header facts of a source, read once per build.
#[derive(Debug, Clone)]
struct SourceInfo {
    hash: String,
    width: u32,
    height: u32,
    has_alpha: bool,
}

impl SourceInfo {
    /// The non-WebP format: PNG keeps transparency, JPEG otherwise.
    fn fallback(&self) -> Format {
        if self.has_alpha {
            Format::Png
        } else {
            Format::Jpeg
        }
    }
}

/// Finds the file an image reference names: `/x.jpg` from the content root,
/// `x.jpg` from `from` (a content file's folder). Never outside `root`,
/// lexically or through a symbolic link. Errors without a location are
/// about the reference; the caller places them at the file that has it.
pub fn resolve_source(root: &fsutil::Root, from: &Path, src: &str) -> Result<PathBuf> {
    if src.contains("://") || src.starts_with("//") || src.starts_with("data:") {
        return Err(Error::content(format!(
            "image {src:?} is not a local file; images are published only after re-encoding, so put the file in the content folder"
        )));
    }
    let src = src.split(['?', '#']).next().unwrap_or(src);
    let base = &fsutil::normalize(root.shown());
    let joined = match src.strip_prefix('/') {
        Some(rest) => base.join(rest),
        None => from.join(src),
    };
    let path = fsutil::normalize(&joined);
    if !path.starts_with(base) {
        return Err(Error::content(format!(
            "image {src:?} is outside the site's content folder"
        )));
    }
    let path = root.check(&path)?;
    if !path.is_file() {
        return Err(Error::content(format!(
            "image {src:?} does not exist ({})",
            path.display()
        )));
    }
    Ok(path)
}

/// Collects image requests during rendering and produces them afterwards.
pub struct ImageQueue {
    cfg: ImageConfig,
    cache_dir: PathBuf,
    watermark: Option<Watermark>,
    /// Hash of the watermark file and its settings, for cache keys.
    watermark_key: String,
    /// A missing alt text is an error rather than a warning.
    strict: bool,
    warnings: Mutex<Vec<String>>,
    sources: Mutex<BTreeMap<PathBuf, SourceInfo>>,
    /// Bundle path → job.
    jobs: Mutex<BTreeMap<String, Job>>,
}

impl ImageQueue {
    pub fn new(
        cfg: ImageConfig,
        cache_dir: PathBuf,
        watermark: Option<Watermark>,
        strict: bool,
    ) -> Result<Self> {
        // The watermark's bytes are part of every marked variant's cache key:
        // read and hash them once, not per variant.
        let watermark_key = match &watermark {
            Some(w) => format!(
                "{}:{}:{}:{}",
                sha256_hex(&fsutil::read(&w.file)?),
                w.position,
                w.opacity,
                w.scale
            ),
            None => String::new(),
        };
        Ok(ImageQueue {
            cfg,
            cache_dir,
            watermark,
            watermark_key,
            strict,
            warnings: Mutex::new(Vec::new()),
            sources: Mutex::new(BTreeMap::new()),
            jobs: Mutex::new(BTreeMap::new()),
        })
    }

    /// Reports an image without alt text: a warning, or with `--strict` an error.
    /// `what` names the file and line (`content/x/about.md:14: image …`),
    /// the form `sitegen check` reads warnings in; `at` is the same place.
    pub fn missing_alt(&self, what: String, at: Option<crate::error::Location>) -> Result<()> {
        if self.strict {
            let err = match at {
                Some(at) => {
                    let message = what.split_once(": ").map_or(what.as_str(), |(_, m)| m);
                    Error::build(message).at(at)
                }
                None => Error::build(what),
            };
            return Err(err.hint(
                "describe the image for people who cannot see it; --strict makes this an error",
            ));
        }
        self.warnings.lock().expect("lock").push(what);
        Ok(())
    }

    /// Warnings collected so far, sorted (rendering order is parallel).
    pub fn take_warnings(&self) -> Vec<String> {
        let mut w = std::mem::take(&mut *self.warnings.lock().expect("lock"));
        w.sort();
        w.dedup();
        w
    }

    fn limits(&self) -> Limits {
        let mut limits = Limits::default();
        limits.max_image_width = Some(self.cfg.max_side);
        limits.max_image_height = Some(self.cfg.max_side);
        limits.max_alloc = Some(self.cfg.max_alloc_mib * 1024 * 1024);
        limits
    }

    fn info(&self, source: &Path) -> Result<SourceInfo> {
        if let Some(info) = self.sources.lock().expect("lock").get(source) {
            return Ok(info.clone());
        }
        let bytes = fsutil::read(source)?;
        let mut decoder = self.decoder(source, &bytes)?;
        let (w, h) = decoder.dimensions();
        let orientation = decoder.orientation().map_err(|e| image_error(source, &e))?;
        let rotated = matches!(
            orientation,
            image::metadata::Orientation::Rotate90
                | image::metadata::Orientation::Rotate270
                | image::metadata::Orientation::Rotate90FlipH
                | image::metadata::Orientation::Rotate270FlipH
        );
        let (width, height) = if rotated { (h, w) } else { (w, h) };
        let has_alpha = decoder.color_type().has_alpha();
        let info = SourceInfo {
            hash: sha256_hex(&bytes),
            width,
            height,
            has_alpha,
        };
        self.sources
            .lock()
            .expect("lock")
            .insert(source.to_path_buf(), info.clone());
        Ok(info)
    }

    fn enqueue(
        &self,
        source: &Path,
        info: &SourceInfo,
        op: Op,
        format: Format,
        watermark: bool,
    ) -> Result<Variant> {
        let watermark = watermark && self.watermark.is_some();
        let wm_key = if watermark {
            self.watermark_key.as_str()
        } else {
            ""
        };
        let (width, height) = match op {
            Op::Resize { width } => {
                let w = width.min(info.width).max(1);
                (
                    w,
                    ((u64::from(info.height) * u64::from(w)) / u64::from(info.width.max(1))).max(1)
                        as u32,
                )
            }
            Op::Cover { width, height } => (width, height),
        };
        // v2: every variant resized from the original (v1 cascaded sizes,
        // so v1 names could hold other bytes).
        let key = sha256_hex(
            format!(
                "{}|{op:?}|{format:?}|{}|{wm_key}|v2",
                info.hash, self.cfg.quality
            )
            .as_bytes(),
        );
        let stem = source
            .file_stem()
            .map(|s| crate::text::slugify(&s.to_string_lossy()))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "image".into());
        let path = format!(
            "assets/images/{stem}-{width}.{}.{}",
            &key[..10],
            format.ext()
        );
        self.jobs
            .lock()
            .expect("lock")
            .entry(path.clone())
            .or_insert(Job {
                source: source.to_path_buf(),
                op,
                format,
                watermark,
                quality: self.cfg.quality,
            });
        Ok(Variant {
            url: format!("/{path}"),
            width,
            height,
        })
    }

    /// Queues the responsive set of `source` and returns its `<picture>` HTML.
    pub fn picture(&self, source: &Path, alt: &str, opts: &PictureOptions<'_>) -> Result<String> {
        let info = self.info(source)?;
        let mut widths: Vec<u32> = self
            .cfg
            .widths
            .iter()
            .map(|w| (*w).min(info.width))
            .collect();
        widths.sort_unstable();
        widths.dedup();
        let fallback = info.fallback();
        let mut webp = Vec::new();
        let mut fall = Vec::new();
        for w in &widths {
            webp.push(self.enqueue(
                source,
                &info,
                Op::Resize { width: *w },
                Format::Webp,
                opts.watermark,
            )?);
            fall.push(self.enqueue(
                source,
                &info,
                Op::Resize { width: *w },
                fallback,
                opts.watermark,
            )?);
        }
        let srcset = |vs: &[Variant]| {
            vs.iter()
                .map(|v| format!("{} {}w", v.url, v.width))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let largest = fall.last().expect("at least one width");
        let default_img = fall
            .iter()
            .rev()
            .find(|v| v.width <= 960)
            .unwrap_or(largest);
        let sizes = escape_html(opts.sizes.unwrap_or(&self.cfg.sizes));
        let loading = if opts.eager {
            " fetchpriority=\"high\" decoding=\"async\""
        } else {
            " loading=\"lazy\" decoding=\"async\""
        };
        let class = opts
            .class
            .map(|c| format!(" class=\"{}\"", escape_html(c)))
            .unwrap_or_default();
        Ok(format!(
            "<picture{class}><source type=\"image/webp\" srcset=\"{}\" sizes=\"{sizes}\"><img src=\"{}\" srcset=\"{}\" sizes=\"{sizes}\" width=\"{}\" height=\"{}\" alt=\"{}\"{loading}></picture>",
            srcset(&webp),
            default_img.url,
            srcset(&fall),
            largest.width,
            largest.height,
            escape_html(alt),
        ))
    }

    /// Queues a square portrait shown at `size` CSS pixels (1x and 2x) and
    /// returns its `<picture>` HTML.
    pub fn avatar(&self, source: &Path, alt: &str, size: u32, class: &str) -> Result<String> {
        let info = self.info(source)?;
        let fallback = info.fallback();
        let mut webp = Vec::new();
        let mut fall = Vec::new();
        for scale in [1, 2] {
            let side = size * scale;
            webp.push(self.enqueue(
                source,
                &info,
                Op::Cover {
                    width: side,
                    height: side,
                },
                Format::Webp,
                false,
            )?);
            fall.push(self.enqueue(
                source,
                &info,
                Op::Cover {
                    width: side,
                    height: side,
                },
                fallback,
                false,
            )?);
        }
        let srcset = |vs: &[Variant]| format!("{} 1x, {} 2x", vs[0].url, vs[1].url);
        Ok(format!(
            "<picture class=\"{}\"><source type=\"image/webp\" srcset=\"{}\"><img src=\"{}\" srcset=\"{}\" width=\"{size}\" height=\"{size}\" alt=\"{}\" loading=\"lazy\" decoding=\"async\"></picture>",
            escape_html(class),
            srcset(&webp),
            fall[0].url,
            srcset(&fall),
            escape_html(alt),
        ))
    }

    /// Queues a social (OpenGraph) image: 1200×630, JPEG, centre-cropped.
    pub fn social(&self, source: &Path) -> Result<Variant> {
        let info = self.info(source)?;
        self.enqueue(
            source,
            &info,
            Op::Cover {
                width: 1200,
                height: 630,
            },
            Format::Jpeg,
            false,
        )
    }

    /// Produces every queued image (in parallel, from cache when fresh) and
    /// returns bundle path → bytes.
    pub fn process(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let jobs: Vec<(String, Job)> = self
            .jobs
            .lock()
            .expect("lock")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let watermark = match &self.watermark {
            Some(w) if jobs.iter().any(|(_, j)| j.watermark) => {
                Some(load_watermark(w, &self.limits())?)
            }
            _ => None,
        };
        // Cache hits first; the rest grouped by source, so each source is
        // decoded once for all its variants.
        let mut out = Vec::with_capacity(jobs.len());
        let mut todo: BTreeMap<PathBuf, Vec<(String, Job)>> = BTreeMap::new();
        for (path, job) in jobs {
            match std::fs::read(self.cached(&path)).ok().and_then(unseal) {
                Some(bytes) => out.push((path, bytes)),
                None => todo
                    .entry(job.source.clone())
                    .or_default()
                    .push((path, job)),
            }
        }
        if !todo.is_empty() {
            fsutil::create_dir_all(&self.cache_dir)?;
        }
        let produced: Vec<Result<Vec<File>>> = todo
            .into_par_iter()
            .map(|(source, jobs)| self.produce(&source, jobs, watermark.as_ref()))
            .collect();
        for files in produced {
            out.extend(files?);
        }
        Ok(out)
    }

    fn cached(&self, bundle_path: &str) -> PathBuf {
        self.cache_dir
            .join(bundle_path.rsplit('/').next().expect("file name"))
    }

    /// A decoder for `bytes` that has passed the limits: dimensions from the
    /// header, and the memory the decoded pixels would take.
    fn decoder<'b>(&self, source: &Path, bytes: &'b [u8]) -> Result<impl ImageDecoder + 'b> {
        let mut reader = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| Error::io(source, "read image", e))?;
        reader.limits(self.limits());
        let decoder = reader.into_decoder().map_err(|e| image_error(source, &e))?;
        let max = self.cfg.max_alloc_mib * 1024 * 1024;
        if decoder.total_bytes() > max {
            return Err(Error::build(format!(
                "image exceeds the decoding limits ({} MiB of pixels, images.max_alloc_mib is {}); it may be a decompression bomb",
                decoder.total_bytes().div_ceil(1024 * 1024),
                self.cfg.max_alloc_mib
            ))
            .at(Location::file(source)));
        }
        Ok(decoder)
    }

    fn decode(&self, source: &Path) -> Result<DynamicImage> {
        let bytes = fsutil::read(source)?;
        let mut decoder = self.decoder(source, &bytes)?;
        let orientation = decoder.orientation().map_err(|e| image_error(source, &e))?;
        let mut img = DynamicImage::from_decoder(decoder).map_err(|e| image_error(source, &e))?;
        img.apply_orientation(orientation);
        Ok(img)
    }

    /// Decodes `source` once and writes every variant asked of it to the
    /// cache. Every variant is made from the original, never from another
    /// variant: its bytes depend on its cache key alone, not on which other
    /// variants this run happened to miss (sites sharing a photo, a partly
    /// filled cache), so one file name always holds one content.
    fn produce(
        &self,
        source: &Path,
        jobs: Vec<(String, Job)>,
        watermark: Option<&(RgbaImage, Watermark)>,
    ) -> Result<Vec<(String, Vec<u8>)>> {
        let original = self.decode(source)?;
        let mut ops: Vec<Op> = jobs.iter().map(|(_, j)| j.op.clone()).collect();
        ops.sort();
        ops.dedup();
        let sized: Vec<(Op, DynamicImage)> = ops
            .into_par_iter()
            .map(|op| {
                let img = match op {
                    Op::Resize { width } if width < original.width() => {
                        let height = ((u64::from(original.height()) * u64::from(width))
                            / u64::from(original.width()))
                        .max(1) as u32;
                        original.resize_exact(width, height, FilterType::CatmullRom)
                    }
                    Op::Resize { .. } => original.clone(),
                    Op::Cover { width, height } => {
                        original.resize_to_fill(width, height, FilterType::CatmullRom)
                    }
                };
                (op, img)
            })
            .collect();
        drop(original);
        jobs.into_par_iter()
            .map(|(path, job)| {
                let img = &sized.iter().find(|(op, _)| *op == job.op).expect("sized").1;
                let marked;
                let img = match (job.watermark, watermark) {
                    (true, Some((mark, cfg))) => {
                        marked = apply_watermark(img.clone(), mark, cfg);
                        &marked
                    }
                    _ => img,
                };
                let bytes = encode(img, job.format, job.quality).map_err(|e| {
                    Error::build(format!("cannot encode image: {e}")).at(Location::file(source))
                })?;
                fsutil::write_atomic(&self.cached(&path), &seal(&bytes))?;
                Ok((path, bytes))
            })
            .collect()
    }
}

/// Options of one `<picture>`.
#[derive(Debug, Default)]
pub struct PictureOptions<'a> {
    pub sizes: Option<&'a str>,
    /// The hero image: loaded at once, with high priority.
    pub eager: bool,
    pub watermark: bool,
    pub class: Option<&'a str>,
}

/// The tail of every image cache entry: the SHA-256 of the image, then this.
const SEAL: &[u8; 8] = b"sitegen1";

/// An image cache entry: the encoded image, its SHA-256 and `SEAL`, so an
/// entry that is incomplete, torn or altered is recognised and made again
/// instead of being published.
fn seal(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let mut out = Vec::with_capacity(bytes.len() + 40);
    out.extend_from_slice(bytes);
    out.extend_from_slice(&sha2::Sha256::digest(bytes));
    out.extend_from_slice(SEAL);
    out
}

/// The image in a cache entry, if the entry is whole.
fn unseal(mut entry: Vec<u8>) -> Option<Vec<u8>> {
    use sha2::Digest;
    let n = entry.len().checked_sub(40)?;
    if &entry[n + 32..] != SEAL || sha2::Sha256::digest(&entry[..n])[..] != entry[n..n + 32] {
        return None;
    }
    entry.truncate(n);
    Some(entry)
}

fn image_error(source: &Path, e: &image::ImageError) -> Error {
    let msg = match e {
        image::ImageError::Limits(l) => format!(
            "image exceeds the decoding limits ({l}); it may be a decompression bomb, or larger than images.max_side / images.max_alloc_mib allow"
        ),
        other => format!("cannot decode image: {other}"),
    };
    Error::build(msg).at(Location::file(source))
}

fn encode(img: &DynamicImage, format: Format, quality: u8) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    match format {
        Format::Jpeg => {
            let rgb = img.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
                .encode_image(&rgb)
                .map_err(|e| e.to_string())?;
        }
        Format::Png => {
            img.to_rgba8()
                .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
                .map_err(|e| e.to_string())?;
        }
        Format::Webp => {
            let (w, h) = img.dimensions();
            let mem = if img.color().has_alpha() {
                let rgba = img.to_rgba8();
                webp::Encoder::from_rgba(&rgba, w, h).encode(f32::from(quality))
            } else {
                let rgb = img.to_rgb8();
                webp::Encoder::from_rgb(&rgb, w, h).encode(f32::from(quality))
            };
            out.extend_from_slice(&mem);
        }
    }
    Ok(out)
}

fn load_watermark(w: &Watermark, limits: &Limits) -> Result<(RgbaImage, Watermark)> {
    let bytes = fsutil::read(&w.file)?;
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::io(&w.file, "read image", e))?;
    reader.limits(limits.clone());
    let img = reader.decode().map_err(|e| image_error(&w.file, &e))?;
    Ok((img.to_rgba8(), w.clone()))
}

fn apply_watermark(img: DynamicImage, mark: &RgbaImage, cfg: &Watermark) -> DynamicImage {
    let mut base = img.to_rgba8();
    let (bw, bh) = base.dimensions();
    let target_w = ((bw as f32 * cfg.scale).round() as u32).clamp(1, bw);
    let target_h = ((mark.height() as f32 * target_w as f32 / mark.width().max(1) as f32).round()
        as u32)
        .clamp(1, bh);
    let mut scaled = image::imageops::resize(mark, target_w, target_h, FilterType::CatmullRom);
    for p in scaled.pixels_mut() {
        p.0[3] = (f32::from(p.0[3]) * cfg.opacity).round() as u8;
    }
    let margin = (bw.min(bh) / 40) as i64;
    let (x, y) = match cfg.position.as_str() {
        "top-left" => (margin, margin),
        "top-right" => (i64::from(bw - target_w) - margin, margin),
        "bottom-left" => (margin, i64::from(bh - target_h) - margin),
        "center" => (i64::from(bw - target_w) / 2, i64::from(bh - target_h) / 2),
        _ => (
            i64::from(bw - target_w) - margin,
            i64::from(bh - target_h) - margin,
        ),
    };
    image::imageops::overlay(&mut base, &scaled, x.max(0), y.max(0));
    let had_alpha = img.color().has_alpha();
    if had_alpha {
        DynamicImage::ImageRgba8(base)
    } else {
        DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(base).to_rgb8())
    }
}
