//! Compiles the translation catalogues (`locales/en.json`, `locales/fr.json`)
//! into the `i18n` module (leptos_i18n), after checking that both hold the
//! same keys: a key missing from one catalogue fails the build (issue 13,
//! "a missing key is a build error, not a blank").

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::collections::BTreeSet;
use std::error::Error;
use std::path::PathBuf;

/// CLDR plural categories: `key_one`, `key_other`... are one key, `key`.
const PLURAL_SUFFIXES: [&str; 6] = ["_zero", "_one", "_two", "_few", "_many", "_other"];

fn keys(prefix: &str, value: &serde_json::Value, into: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                let key = PLURAL_SUFFIXES.iter().find_map(|suffix| key.strip_suffix(suffix)).unwrap_or(key);
                let path = if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") };
                keys(&path, value, into);
            }
        }
        _ => {
            into.insert(prefix.to_string());
        }
    }
}

fn catalogue_keys(locale: &str) -> Result<BTreeSet<String>, Box<dyn Error>> {
    let text = std::fs::read_to_string(format!("locales/{locale}.json"))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|error| format!("locales/{locale}.json: {error}"))?;
    let mut found = BTreeSet::new();
    keys("", &value, &mut found);
    Ok(found)
}

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=Cargo.toml");
    println!("cargo::rerun-if-changed=locales");

    let english = catalogue_keys("en")?;
    let french = catalogue_keys("fr")?;
    let only_english: Vec<_> = english.difference(&french).collect();
    let only_french: Vec<_> = french.difference(&english).collect();
    if !only_english.is_empty() || !only_french.is_empty() {
        return Err(format!(
            "the catalogues differ: missing from locales/fr.json: {only_english:?}; missing from locales/en.json: {only_french:?}"
        )
        .into());
    }

    let i18n_mod_directory = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR unset")?).join("i18n");
    // `interpolate_display`: translations with arguments also render as
    // plain strings (`td_string!`), for emails, errors and attributes.
    let options = ParseOptions::default().interpolate_display(true);
    let config = Config::new("en")?.add_locale("fr")?.parse_options(options);
    let translations = TranslationsInfos::parse(config)?;
    translations.emit_diagnostics();
    translations.rerun_if_locales_changed();
    translations.generate_i18n_module(i18n_mod_directory)?;
    Ok(())
}
