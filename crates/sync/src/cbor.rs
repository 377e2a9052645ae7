//! The subset of CBOR (RFC 8949) that automerge-repo messages use: maps with text keys whose
//! values are text, byte strings, unsigned integers, booleans, arrays and nested maps.
//!
//! Written by hand rather than through serde so that decoding untrusted frames never allocates
//! more than the frame holds, never recurses without bound and never panics.

use thiserror::Error;

/// Why a frame is not a message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CborError {
    #[error("the frame ends inside a value")]
    Truncated,
    #[error("a value nests more than {MAX_DEPTH} levels deep")]
    TooDeep,
    #[error("unsupported CBOR item (major type {major}, additional info {info})")]
    Unsupported { major: u8, info: u8 },
    #[error("expected {expected}")]
    Unexpected { expected: &'static str },
    #[error("a text string is not UTF-8")]
    NotUtf8,
    #[error("{0} bytes after the message")]
    Trailing(usize),
}

/// How deep nested arrays and maps may go: messages need three levels.
const MAX_DEPTH: usize = 16;

const UINT: u8 = 0;
const NEGINT: u8 = 1;
const BYTES: u8 = 2;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;
const MAP: u8 = 5;
const TAG: u8 = 6;
const SIMPLE: u8 = 7;
/// Additional information 31: an indefinite length.
const INDEFINITE: u8 = 31;
const BREAK: u8 = 0xff;

/// A cursor over one encoded value.
#[derive(Debug)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

/// The length of an array or map: known, or ended by a break byte.
#[derive(Debug, Clone, Copy)]
pub enum Len {
    Known(u64),
    Indefinite,
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Self { input, pos: 0 }
    }

    /// Fails unless every byte has been read.
    pub fn finish(&self) -> Result<(), CborError> {
        match self.input.len() - self.pos {
            0 => Ok(()),
            rest => Err(CborError::Trailing(rest)),
        }
    }

    fn byte(&mut self) -> Result<u8, CborError> {
        let byte = *self.input.get(self.pos).ok_or(CborError::Truncated)?;
        self.pos += 1;
        Ok(byte)
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8], CborError> {
        let len = usize::try_from(len).map_err(|_| CborError::Truncated)?;
        let end = self.pos.checked_add(len).ok_or(CborError::Truncated)?;
        let bytes = self.input.get(self.pos..end).ok_or(CborError::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn argument(&mut self, info: u8, major: u8) -> Result<u64, CborError> {
        Ok(match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.byte()?),
            25 => u64::from(u16::from_be_bytes(fixed(self.take(2)?))),
            26 => u64::from(u32::from_be_bytes(fixed(self.take(4)?))),
            27 => u64::from_be_bytes(fixed(self.take(8)?)),
            _ => return Err(CborError::Unsupported { major, info }),
        })
    }

    /// The next item's major type and additional information, tags skipped.
    fn head(&mut self) -> Result<(u8, u8), CborError> {
        loop {
            let initial = self.byte()?;
            let (major, info) = (initial >> 5, initial & 0x1f);
            if major != TAG {
                return Ok((major, info));
            }
            // cbor-x may tag byte strings (tag 64); the tag changes nothing for us.
            self.argument(info, major)?;
        }
    }

    fn peek_break(&mut self) -> Result<bool, CborError> {
        if *self.input.get(self.pos).ok_or(CborError::Truncated)? == BREAK {
            self.pos += 1;
            return Ok(true);
        }
        Ok(false)
    }

    pub fn text(&mut self) -> Result<&'a str, CborError> {
        match self.head()? {
            (TEXT, info) if info != INDEFINITE => {
                let len = self.argument(info, TEXT)?;
                std::str::from_utf8(self.take(len)?).map_err(|_| CborError::NotUtf8)
            }
            _ => Err(CborError::Unexpected {
                expected: "a text string",
            }),
        }
    }

    /// Reads a `null` or `undefined` (what JavaScript writes for a field it has no value for,
    /// such as the storage id of a peer without storage) if that is what comes next.
    pub fn absent(&mut self) -> Result<bool, CborError> {
        let start = self.pos;
        if let (SIMPLE, 22 | 23) = self.head()? {
            return Ok(true);
        }
        self.pos = start;
        Ok(false)
    }

    /// A text string, or `None` for `null` or `undefined`.
    pub fn optional_text(&mut self) -> Result<Option<&'a str>, CborError> {
        if self.absent()? {
            return Ok(None);
        }
        self.text().map(Some)
    }

    pub fn bytes(&mut self) -> Result<&'a [u8], CborError> {
        match self.head()? {
            (BYTES, info) if info != INDEFINITE => {
                let len = self.argument(info, BYTES)?;
                self.take(len)
            }
            _ => Err(CborError::Unexpected {
                expected: "a byte string",
            }),
        }
    }

    pub fn uint(&mut self) -> Result<u64, CborError> {
        match self.head()? {
            (UINT, info) => self.argument(info, UINT),
            // cbor-x writes integral numbers above 2^32 as floats only past 2^53; accept
            // integral floats so a large counter still reads.
            (SIMPLE, 27) => {
                let value = f64::from_be_bytes(fixed(self.take(8)?));
                if value >= 0.0 && value.fract() == 0.0 && value < 2f64.powi(64) {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    Ok(value as u64)
                } else {
                    Err(CborError::Unexpected {
                        expected: "an unsigned integer",
                    })
                }
            }
            _ => Err(CborError::Unexpected {
                expected: "an unsigned integer",
            }),
        }
    }

    pub fn bool(&mut self) -> Result<bool, CborError> {
        match self.head()? {
            (SIMPLE, 20) => Ok(false),
            (SIMPLE, 21) => Ok(true),
            _ => Err(CborError::Unexpected {
                expected: "a boolean",
            }),
        }
    }

    fn container(&mut self, want: u8, expected: &'static str) -> Result<Len, CborError> {
        match self.head()? {
            (major, INDEFINITE) if major == want => Ok(Len::Indefinite),
            (major, info) if major == want => Ok(Len::Known(self.argument(info, major)?)),
            _ => Err(CborError::Unexpected { expected }),
        }
    }

    /// Calls `entry` with each key of a map; `entry` must read or skip the value.
    pub fn map(
        &mut self,
        mut entry: impl FnMut(&mut Self, &'a str) -> Result<(), CborError>,
    ) -> Result<(), CborError> {
        let len = self.container(MAP, "a map")?;
        self.each(len, |reader| {
            let key = reader.text()?;
            entry(reader, key)
        })
    }

    /// Calls `item` for each element of an array; `item` must read or skip it.
    pub fn array(
        &mut self,
        item: impl FnMut(&mut Self) -> Result<(), CborError>,
    ) -> Result<(), CborError> {
        let len = self.container(ARRAY, "an array")?;
        self.each(len, item)
    }

    fn each(
        &mut self,
        len: Len,
        mut item: impl FnMut(&mut Self) -> Result<(), CborError>,
    ) -> Result<(), CborError> {
        match len {
            Len::Known(count) => {
                for _ in 0..count {
                    item(self)?;
                }
            }
            Len::Indefinite => {
                while !self.peek_break()? {
                    item(self)?;
                }
            }
        }
        Ok(())
    }

    /// Skips one value of any supported kind.
    pub fn skip(&mut self) -> Result<(), CborError> {
        self.skip_at(0)
    }

    fn skip_at(&mut self, depth: usize) -> Result<(), CborError> {
        if depth > MAX_DEPTH {
            return Err(CborError::TooDeep);
        }
        let (major, info) = self.head()?;
        match major {
            UINT | NEGINT => {
                self.argument(info, major)?;
            }
            BYTES | TEXT if info != INDEFINITE => {
                let len = self.argument(info, major)?;
                self.take(len)?;
            }
            ARRAY | MAP => {
                let per_entry = if major == MAP { 2 } else { 1 };
                if info == INDEFINITE {
                    while !self.peek_break()? {
                        for _ in 0..per_entry {
                            self.skip_at(depth + 1)?;
                        }
                    }
                } else {
                    let count = self.argument(info, major)?;
                    for _ in 0..count {
                        for _ in 0..per_entry {
                            self.skip_at(depth + 1)?;
                        }
                    }
                }
            }
            SIMPLE => match info {
                0..=23 => {}
                24 => {
                    self.byte()?;
                }
                25 => {
                    self.take(2)?;
                }
                26 => {
                    self.take(4)?;
                }
                27 => {
                    self.take(8)?;
                }
                _ => return Err(CborError::Unsupported { major, info }),
            },
            _ => return Err(CborError::Unsupported { major, info }),
        }
        Ok(())
    }
}

fn fixed<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(bytes);
    out
}

/// Writes definite-length CBOR into a buffer.
#[derive(Debug, Default)]
pub struct Writer {
    out: Vec<u8>,
}

impl Writer {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            out: Vec::with_capacity(capacity),
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    fn head(&mut self, major: u8, value: u64) {
        let major = major << 5;
        match value {
            0..=23 => self.out.push(major | value as u8),
            24..=0xff => self.out.extend_from_slice(&[major | 24, value as u8]),
            0x100..=0xffff => {
                self.out.push(major | 25);
                self.out.extend_from_slice(&(value as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                self.out.push(major | 26);
                self.out.extend_from_slice(&(value as u32).to_be_bytes());
            }
            _ => {
                self.out.push(major | 27);
                self.out.extend_from_slice(&value.to_be_bytes());
            }
        }
    }

    pub fn map(&mut self, entries: usize) -> &mut Self {
        self.head(MAP, entries as u64);
        self
    }

    pub fn array(&mut self, items: usize) -> &mut Self {
        self.head(ARRAY, items as u64);
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        self.head(TEXT, text.len() as u64);
        self.out.extend_from_slice(text.as_bytes());
        self
    }

    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes_header(bytes.len());
        self.out.extend_from_slice(bytes);
        self
    }

    /// The start of a byte string of `len` bytes, which the caller sends after these.
    pub fn bytes_header(&mut self, len: usize) -> &mut Self {
        self.head(BYTES, len as u64);
        self
    }

    pub fn uint(&mut self, value: u64) -> &mut Self {
        self.head(UINT, value);
        self
    }

    pub fn bool(&mut self, value: bool) -> &mut Self {
        self.out.push((SIMPLE << 5) | if value { 21 } else { 20 });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back() {
        let mut writer = Writer::default();
        writer
            .map(4)
            .text("type")
            .text("sync")
            .text("data")
            .bytes(&[1, 2, 3])
            .text("count")
            .uint(70_000)
            .text("list")
            .array(2)
            .text("1")
            .bool(true);
        let bytes = writer.into_bytes();
        let mut reader = Reader::new(&bytes);
        let mut seen = Vec::new();
        reader
            .map(|reader, key| {
                match key {
                    "type" => seen.push(reader.text()?.to_owned()),
                    "data" => seen.push(format!("{:?}", reader.bytes()?)),
                    "count" => seen.push(reader.uint()?.to_string()),
                    _ => reader.skip()?,
                }
                Ok(())
            })
            .expect("decodes");
        reader.finish().expect("nothing left");
        assert_eq!(seen, ["sync", "[1, 2, 3]", "70000"]);
    }

    #[test]
    fn tagged_bytes_and_indefinite_maps_read() {
        // {_ "data": 64(h'0102')}
        let bytes = [
            0xbf, 0x64, b'd', b'a', b't', b'a', 0xd8, 0x40, 0x42, 1, 2, 0xff,
        ];
        let mut reader = Reader::new(&bytes);
        let mut data = Vec::new();
        reader
            .map(|reader, _| {
                data = reader.bytes()?.to_vec();
                Ok(())
            })
            .expect("decodes");
        assert_eq!(data, [1, 2]);
    }

    #[test]
    fn hostile_input_is_refused_without_panicking() {
        // A byte string claiming 2^64-1 bytes.
        assert_eq!(
            Reader::new(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).bytes(),
            Err(CborError::Truncated)
        );
        // Arrays nested far deeper than any message.
        assert_eq!(Reader::new(&[0x81; 100]).skip(), Err(CborError::TooDeep));
        // A map claiming billions of entries, with none present.
        assert_eq!(
            Reader::new(&[0xba, 0xff, 0xff, 0xff, 0xff]).map(|r, _| r.skip()),
            Err(CborError::Truncated)
        );
    }
}
