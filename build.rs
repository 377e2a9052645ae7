//! Turns the translations in `locales/` (one JSON file a language, which a translator can
//! edit) into the `i18n` module: `leptos_i18n`'s own parser and code generator, run here so
//! that interpolated texts can also be made as plain strings (`t_string!`, which its
//! `load_locales!` macro does not allow).
//!
//! Every language must have exactly the keys English has: the library would fall back to
//! English silently, so any warning from the parser (a key missing or left over in one
//! language, a variable used in one and not the other) fails the build, naming it.
//!
//! (Not `leptos_i18n_build`, which wraps these two: it builds an ICU data exporter with an HTTP
//! client and TLS into every build, for data the app does not use.)

use std::error::Error;
use std::path::PathBuf;

use leptos_i18n_parser::parse_locales::options::{Config, ParseOptions};

/// The language every other is checked against, and the one used before any is chosen.
const DEFAULT: &str = "en";
const OTHERS: &[&str] = &["zh-CN"];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=locales");
    let config = Config::new(DEFAULT)
        .and_then(|config| config.add_locales(OTHERS))
        .map_err(|e| e.to_string())?
        .parse_options(ParseOptions::default().interpolate_display(true));
    let parsed = leptos_i18n_parser::parse_locales::parse_locales(None, config)
        .map_err(|e| e.to_string())?;
    let problems: Vec<String> = (parsed.diag.errors().iter().map(ToString::to_string))
        .chain(parsed.diag.warnings().iter().map(ToString::to_string))
        .collect();
    if !problems.is_empty() {
        return Err(format!("locales/ disagree:\n{}", problems.join("\n")).into());
    }
    let code = leptos_i18n_codegen::gen_code(&parsed, None, false, None, false)
        .map_err(|e| e.to_string())?;
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("cargo sets OUT_DIR")?);
    std::fs::write(out.join("i18n.rs"), code.to_string())?;
    Ok(())
}
