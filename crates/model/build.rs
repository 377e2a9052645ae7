//! Makes the pinyin table of `src/pinyin.rs` from the `pinyin` crate's data: the toneless
//! reading of every character of the CJK Unified Ideographs block (U+4E00 to U+9FFF, where
//! nearly every character of a name is) as an index into a list of the 400-odd syllables.
//!
//! The crate itself, linked into the app, costs 79 KB of gzipped wasm for every block and
//! every form of reading (measured with a one-function cdylib); this table is two bytes a
//! character, with the same readings.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;

use pinyin::ToPinyin;

/// The block the table covers; its first character is entry 0.
const FIRST: u32 = 0x4E00;
const LAST: u32 = 0x9FFF;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let readings: Vec<Option<&'static str>> = (FIRST..=LAST)
        .map(|code| {
            char::from_u32(code)
                .and_then(|c| c.to_pinyin())
                .map(|p| p.plain())
        })
        .collect();
    // Syllables numbered from 1 in alphabetical order; 0 is "no reading".
    let mut numbers: BTreeMap<&str, u16> = readings
        .iter()
        .flatten()
        .map(|syllable| (*syllable, 0))
        .collect();
    for (number, value) in (1..).zip(numbers.values_mut()) {
        *value = number;
    }
    let table: Vec<u8> = readings
        .iter()
        .flat_map(|reading| {
            reading
                .map_or(0, |syllable| numbers[syllable])
                .to_le_bytes()
        })
        .collect();
    let mut syllables = String::from("&[\"\"");
    for syllable in numbers.keys() {
        write!(syllables, ", {syllable:?}")?;
    }
    syllables.push(']');
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("cargo sets OUT_DIR")?);
    std::fs::write(out.join("pinyin_table.bin"), table)?;
    std::fs::write(out.join("pinyin_syllables.rs"), syllables)?;
    Ok(())
}
