//! Typed JSON reading with errors that name the file and the JSON pointer of the bad value.

use super::LoadError;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Deserializes `bytes` (the content of `file`) into `T`, reporting the JSON pointer of the
/// first value that does not fit.
pub fn from_slice<T: DeserializeOwned>(file: &Path, bytes: &[u8]) -> Result<T, LoadError> {
    // Tracking the path of every value costs a good part of the parse; only a file that does
    // not fit needs it, so such a file is parsed a second time with the tracking on, and its
    // error is the one that second pass reports.
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(_) => from_slice_tracked(file, bytes),
    }
}

fn from_slice_tracked<T: DeserializeOwned>(file: &Path, bytes: &[u8]) -> Result<T, LoadError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = result.map_err(|e| {
        let pointer = to_pointer(e.path());
        let inner = e.into_inner();
        let message = if inner.is_syntax() || inner.is_eof() {
            format!("not valid JSON: {inner}")
        } else {
            strip_position(&inner.to_string())
        };
        LoadError::invalid(file, pointer, message)
    })?;
    de.end().map_err(|e| {
        LoadError::invalid(file, "", format!("trailing data after the JSON value: {e}"))
    })?;
    Ok(value)
}

/// serde_path_to_error's path (`a.b[3].c`) as an RFC 6901 JSON pointer (`/a/b/3/c`).
fn to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        out.push('/');
        match segment {
            Segment::Seq { index } => out.push_str(&index.to_string()),
            Segment::Map { key } => {
                out.push_str(&crate::aws::policy::document::escape_pointer(key))
            }
            Segment::Enum { variant } => out.push_str(variant),
            Segment::Unknown => out.push('?'),
        }
    }
    out
}

/// serde_json appends " at line L column C" to type errors; the pointer says where already.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }

    #[test]
    fn errors_carry_a_json_pointer() {
        let e = from_slice::<Outer>(Path::new("f.json"), br#"{"items": [{"n": 1}, {"n": "x"}]}"#);
        let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.starts_with("`f.json` at `/items/1/n`: invalid type: string"),
            "{msg}"
        );
        let e = from_slice::<Outer>(Path::new("f.json"), br#"{"items": []} x"#);
        let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.starts_with("`f.json` at `/`: trailing data after the JSON value"),
            "{msg}"
        );
        let e = from_slice::<Outer>(Path::new("f.json"), b"{\"items\": [");
        assert!(
            e.err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("not valid JSON")
        );
    }
}
