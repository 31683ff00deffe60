//! Reading a text input file: the one place that decides what sphere accepts as text. A file
//! larger than the input limit, or one without end (`/dev/zero`, a FIFO nobody closes), is
//! refused once the limit is read, instead of filling memory; text that is not UTF-8 is
//! refused with the byte offset of the first bad byte; a leading byte-order mark is dropped.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The default input limit: 2 GiB, far above the largest model measured (a million activities
/// is about 600 MB) and below what a machine with a few GiB of memory survives reading.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 2 << 30;

static MAX_INPUT_BYTES: AtomicU64 = AtomicU64::new(DEFAULT_MAX_INPUT_BYTES);

/// The input limit in bytes for every file read after this call (the command line sets it
/// from `SPHERE_MAX_INPUT_BYTES`).
pub fn set_max_input_bytes(limit: u64) {
    MAX_INPUT_BYTES.store(limit, Ordering::Relaxed);
}

/// The input limit in bytes.
pub fn max_input_bytes() -> u64 {
    MAX_INPUT_BYTES.load(Ordering::Relaxed)
}

/// Why a text input cannot be read.
#[derive(Debug)]
pub enum InputError {
    Io(std::io::Error),
    /// More than `limit` bytes.
    TooLarge {
        limit: u64,
    },
    /// Not UTF-8: the byte offset of the first byte that is not.
    NotUtf8 {
        offset: usize,
    },
}

impl InputError {
    /// What is wrong and a hint, in sphere's words.
    pub fn describe(&self) -> (String, String) {
        match self {
            InputError::Io(e) => (
                format!("cannot read the file: {e}"),
                "check the path and that the file is readable".into(),
            ),
            InputError::TooLarge { limit } => (
                format!("the input is larger than the limit of {limit} bytes (or has no end)"),
                "give a regular file; raise the limit with the environment variable SPHERE_MAX_INPUT_BYTES".into(),
            ),
            InputError::NotUtf8 { offset } => (
                format!("the text is not UTF-8: invalid byte at offset {offset}"),
                "save the file as UTF-8 text".into(),
            ),
        }
    }
}

impl InputError {
    /// [`InputError::describe`] in German.
    pub fn describe_de(&self) -> (String, String) {
        match self {
            InputError::Io(_) => (
                "die Datei lässt sich nicht lesen".into(),
                "den Pfad prüfen und ob die Datei lesbar ist".into(),
            ),
            InputError::TooLarge { limit } => (
                format!("die Eingabe ist größer als die Grenze von {limit} Bytes (oder endlos)"),
                "eine gewöhnliche Datei angeben; die Grenze hebt die Umgebungsvariable SPHERE_MAX_INPUT_BYTES".into(),
            ),
            InputError::NotUtf8 { offset } => (
                format!("der Text ist kein UTF-8: ungültiges Byte an Position {offset}"),
                "die Datei als UTF-8-Text speichern".into(),
            ),
        }
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe().0)
    }
}

/// Reads the text of `path` (`-` is standard input) under the input limit, without a leading
/// byte-order mark.
pub fn read_text(path: &Path) -> Result<String, InputError> {
    let limit = max_input_bytes();
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| {
            // A file's size is known: read it into a buffer of that size, not one that grows
            // by doubling (a 3.7 GB model would otherwise take 8 GB while it is read, and copy
            // 4 GB on the way). A file that grows meanwhile is still read to the limit.
            if let Ok(len) = f.metadata().map(|m| m.len()) {
                let _ = bytes.try_reserve_exact(len.min(limit) as usize);
            }
            f.take(limit + 1).read_to_end(&mut bytes)
        })
    };
    read.map_err(InputError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge { limit });
    }
    text_of(bytes)
}

/// `bytes` as text, without a leading byte-order mark.
pub fn text_of(mut bytes: Vec<u8>) -> Result<String, InputError> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| InputError::NotUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_is_dropped_and_bad_bytes_are_located() {
        assert_eq!(text_of(b"\xEF\xBB\xBF{}".to_vec()).unwrap(), "{}");
        match text_of(b"{\"a\": \"\xff\"}".to_vec()) {
            Err(InputError::NotUtf8 { offset }) => assert_eq!(offset, 7),
            other => panic!("{other:?}"),
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_file_without_end_is_refused_at_the_limit() {
        set_max_input_bytes(1 << 20);
        let r = read_text(Path::new("/dev/zero"));
        set_max_input_bytes(DEFAULT_MAX_INPUT_BYTES);
        assert!(
            matches!(r, Err(InputError::TooLarge { limit }) if limit == 1 << 20),
            "{r:?}"
        );
    }
}
