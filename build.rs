//! Checks the translations in `locales/` (one JSON file a language, which a translator can
//! edit; `leptos_i18n::load_locales!` turns them into code). Every language must have exactly
//! the keys English has: the library would fall back to English silently, so a key missing (or
//! left over) in one language fails the build here, naming it.
//!
//! (Not `leptos_i18n_build`'s code generation, which the library now prefers: it builds an ICU
//! data exporter with an HTTP client and TLS into every build, for data the app does not use.)

use std::collections::BTreeSet;
use std::error::Error;
use std::path::Path;

const DEFAULT: &str = "en";
const OTHERS: &[&str] = &["zh-CN"];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=locales");
    let locales =
        Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").ok_or("cargo sets it")?).join("locales");
    let keys_of = |locale: &str| -> Result<BTreeSet<String>, Box<dyn Error>> {
        let path = locales.join(format!("{locale}.json"));
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut keys = BTreeSet::new();
        collect_keys("", &serde_json::from_str(&text)?, &mut keys);
        Ok(keys)
    };
    let expected = keys_of(DEFAULT)?;
    for locale in OTHERS {
        let keys = keys_of(locale)?;
        let missing: Vec<_> = expected.difference(&keys).collect();
        let extra: Vec<_> = keys.difference(&expected).collect();
        if !missing.is_empty() || !extra.is_empty() {
            return Err(format!(
                "locales/{locale}.json differs from {DEFAULT}.json: missing {missing:?}, not in {DEFAULT}: {extra:?}"
            )
            .into());
        }
    }
    Ok(())
}

/// The keys of a translations file, nested ones as `outer.inner`.
fn collect_keys(prefix: &str, value: &serde_json::Value, keys: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                collect_keys(&path, value, keys);
            }
        }
        _ => {
            keys.insert(prefix.to_owned());
        }
    }
}
