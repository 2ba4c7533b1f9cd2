//! `guichet-bench weight`: bytes of the release build's wasm, JS and CSS,
//! raw, gzip (level 9) and brotli (quality 11), told apart by who loads them:
//! every page (the main module, JS, CSS) or only the pages split into chunks
//! of their own (`app/src/pages/lazy.rs`, built with `cargo leptos build --split`).

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// One file of the site's `pkg/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileWeight {
    pub name: String,
    /// Bytes as built, gzip -9 and brotli -q 11.
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
    /// Loaded by every page (the main wasm module, the JS and the CSS); false
    /// for the wasm chunks that only split pages load, on their first visit.
    #[serde(default = "loaded_by_every_page")]
    pub first_page: bool,
}

fn loaded_by_every_page() -> bool {
    true
}

/// Whether `name` (a file of `pkg/`) is loaded by every page. The main
/// module is named after the output (`guichet.wasm`, `guichet_bg.wasm`);
/// wasm-split names every chunk after the lazy functions it holds.
fn is_first_page(name: &str) -> bool {
    !name.ends_with(".wasm") || name.starts_with("guichet")
}

/// The wasm, JS and CSS files under `site/pkg`, by name.
pub fn measure(site: &Path) -> anyhow::Result<Vec<FileWeight>> {
    let directory = site.join("pkg");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&directory).with_context(|| format!("reading {}", directory.display()))? {
        let path = entry?.path();
        let extension = path.extension().and_then(|extension| extension.to_str()).unwrap_or("");
        if !matches!(extension, "wasm" | "js" | "css") {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(&bytes)?;
        let gzip = gzip.finish()?.len() as u64;
        let mut brotli = Vec::new();
        let parameters = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
        brotli::BrotliCompress(&mut bytes.as_slice(), &mut brotli, &parameters)?;
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("?").to_string();
        files.push(FileWeight {
            first_page: is_first_page(&name),
            name,
            raw: bytes.len() as u64,
            gzip,
            brotli: brotli.len() as u64,
        });
    }
    files.sort_by(|left, right| right.first_page.cmp(&left.first_page).then_with(|| left.name.cmp(&right.name)));
    Ok(files)
}
