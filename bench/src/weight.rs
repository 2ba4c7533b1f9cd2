//! `guichet-bench weight`: bytes of the release build's wasm, JS and CSS,
//! raw, gzip (level 9) and brotli (quality 11), told apart by who loads them:
//! every page (the main module, JS, CSS) or only the pages split into chunks
//! of their own (`app/src/pages/lazy.rs`, built with `cargo leptos build --split`).

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// What `weight` measures: every file, and what each split page adds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Weight {
    pub files: Vec<FileWeight>,
    /// Per split page, the brotli bytes of the chunks its first visit loads
    /// (its own and those it shares with other split pages), from
    /// wasm-split's `__wasm_split_manifest.json`; empty without `--split`.
    pub split_pages: Vec<PageWeight>,
}

/// The wasm a split page loads on its first visit, on top of the first page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageWeight {
    /// The lazy function's name, e.g. `__ticket_route_view_<hash>`.
    pub name: String,
    /// Sum of its chunks' brotli -q 11 bytes.
    pub brotli: u64,
}

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
    pub first_page: bool,
}

/// Raw, gzip and brotli bytes of `files` together.
pub fn totals<'a>(files: impl IntoIterator<Item = &'a FileWeight>) -> (u64, u64, u64) {
    files.into_iter().fold((0, 0, 0), |total, file| (total.0 + file.raw, total.1 + file.gzip, total.2 + file.brotli))
}

/// Whether `name` (a file of `pkg/`) is loaded by every page. The main
/// module is named after the output (`guichet.wasm`, `guichet_bg.wasm`);
/// wasm-split names every chunk after the lazy functions it holds.
fn is_first_page(name: &str) -> bool {
    !name.ends_with(".wasm") || name.starts_with("guichet")
}

/// The files under `site/pkg` and what each split page adds.
pub fn measure(site: &Path) -> anyhow::Result<Weight> {
    let files = measure_files(site)?;
    let manifest = site.join("pkg/__wasm_split_manifest.json");
    let mut split_pages = Vec::new();
    if manifest.exists() {
        let chunks: std::collections::BTreeMap<String, Vec<String>> =
            serde_json::from_slice(&std::fs::read(&manifest)?)
                .with_context(|| format!("reading {}", manifest.display()))?;
        for (name, chunks) in chunks {
            let brotli = chunks
                .iter()
                .map(|chunk| {
                    let file = format!("{chunk}.wasm");
                    files.iter().find(|weight| weight.name == file).map(|weight| weight.brotli).unwrap_or(0)
                })
                .sum();
            split_pages.push(PageWeight { name, brotli });
        }
    }
    Ok(Weight { files, split_pages })
}

/// The wasm, JS and CSS files under `site/pkg`: every page's first, then by name.
fn measure_files(site: &Path) -> anyhow::Result<Vec<FileWeight>> {
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
