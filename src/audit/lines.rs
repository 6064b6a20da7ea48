//! Line numbers of JSON pointers in snapshot files, so that SARIF results point at the line of
//! the statement that proves them. One pass over a file answers every pointer asked of it.

use std::collections::{HashMap, HashSet};

/// The 1-based line of each pointer's value in `json`. A pointer that goes further than the
/// document (into a URL-encoded policy string, say) gets the line of its deepest ancestor
/// that exists; one that matches nothing, not even the root, is left out.
pub fn lines_of<'p>(
    json: &[u8],
    pointers: impl IntoIterator<Item = &'p str>,
) -> HashMap<String, u32> {
    let wanted: Vec<&str> = pointers.into_iter().collect();
    let mut prefixes: HashSet<String> = HashSet::new();
    for p in &wanted {
        let mut end = 0;
        prefixes.insert(String::new());
        for (i, c) in p.char_indices() {
            if c == '/' && i > 0 {
                prefixes.insert(p[..i].to_string());
            }
            end = i + c.len_utf8();
        }
        prefixes.insert(p[..end].to_string());
    }
    let mut scan = Scan {
        b: json,
        i: 0,
        line: 1,
        path: String::new(),
        want: &prefixes,
        found: HashMap::new(),
        depth: 0,
    };
    // A document that stops parsing still keeps the lines found before the fault.
    let _ = scan.value();
    let found = scan.found;
    let mut out = HashMap::new();
    for p in wanted {
        let mut probe: &str = p;
        loop {
            if let Some(&line) = found.get(probe) {
                out.insert(p.to_string(), line);
                break;
            }
            match probe.rfind('/') {
                Some(i) => probe = &probe[..i],
                None => break,
            }
        }
    }
    out
}

/// Lines of (snapshot-relative file, pointer) pairs. `root` is the snapshot directory, or the
/// single file a snapshot was given as (whose relative name is its file name). Files that
/// cannot be read are left out: a location without a line is still a location.
pub fn locate(
    root: &std::path::Path,
    pairs: &[(String, String)],
) -> HashMap<(String, String), u32> {
    let mut by_file: HashMap<&str, Vec<&str>> = HashMap::new();
    for (file, pointer) in pairs {
        by_file
            .entry(file.as_str())
            .or_default()
            .push(pointer.as_str());
    }
    let mut out = HashMap::new();
    for (file, pointers) in by_file {
        let path = if root.is_dir() {
            root.join(file)
        } else if root.file_name().and_then(|n| n.to_str()) == Some(file) {
            root.to_path_buf()
        } else {
            continue;
        };
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        for (pointer, line) in lines_of(&bytes, pointers.iter().copied()) {
            out.insert((file.to_string(), pointer), line);
        }
    }
    out
}

/// RFC 6901: `~` is `~0`, `/` is `~1`.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    line: u32,
    path: String,
    want: &'a HashSet<String>,
    found: HashMap<String, u32>,
    depth: usize,
}

/// Nesting deeper than this is not a snapshot file: stop rather than recurse further.
const MAX_DEPTH: usize = 512;

impl Scan<'_> {
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => break,
            }
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn value(&mut self) -> Option<()> {
        self.ws();
        if self.want.contains(&self.path) {
            self.found.entry(self.path.clone()).or_insert(self.line);
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        let key = self.string()?;
                        self.ws();
                        if self.peek()? != b':' {
                            return None;
                        }
                        self.i += 1;
                        let len = self.path.len();
                        self.path.push('/');
                        self.path.push_str(&escape(&key));
                        self.value()?;
                        self.path.truncate(len);
                        self.ws();
                        match self.peek()? {
                            b',' => self.i += 1,
                            b'}' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
            }
            b'[' => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                } else {
                    let mut index = 0usize;
                    loop {
                        let len = self.path.len();
                        self.path.push('/');
                        self.path.push_str(&index.to_string());
                        self.value()?;
                        self.path.truncate(len);
                        index += 1;
                        self.ws();
                        match self.peek()? {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
            }
            b'"' => {
                self.string()?;
            }
            _ => {
                while let Some(c) = self.peek() {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.i += 1;
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// A JSON string, unescaped.
    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let mut code = self.hex4()?;
                            if (0xD800..0xDC00).contains(&code)
                                && self.b.get(self.i..self.i + 2) == Some(b"\\u")
                            {
                                self.i += 2;
                                let low = self.hex4()?;
                                code = 0x10000
                                    + ((code - 0xD800) << 10)
                                    + (low.wrapping_sub(0xDC00) & 0x3FF);
                            }
                            let ch = char::from_u32(code).unwrap_or('\u{FFFD}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
        Some(String::from_utf8_lossy(&out).into_owned())
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.b.get(self.i..self.i + 4)?;
        self.i += 4;
        u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
  "Roles": [
    {"RoleName": "a/b",
     "Doc": "%7B%22Version%22"},
    {
      "Statement": [
        {"Effect": "Allow"},
        {"Effect": "Deny", "Sid": "x\"y"}
      ]
    }
  ],
  "a/b~c": 1
}"#;

    #[test]
    fn pointers_map_to_the_line_of_their_value() {
        let lines = lines_of(
            DOC.as_bytes(),
            ["/Roles/1/Statement/1", "/Roles/0", "", "/a~1b~0c"],
        );
        assert_eq!(lines.get("/Roles/1/Statement/1"), Some(&8));
        assert_eq!(lines.get("/Roles/0"), Some(&3));
        assert_eq!(lines.get(""), Some(&1));
        assert_eq!(lines.get("/a~1b~0c"), Some(&12));
    }

    #[test]
    fn pointers_into_encoded_documents_stop_at_the_string() {
        let lines = lines_of(DOC.as_bytes(), ["/Roles/0/Doc/Statement/0"]);
        assert_eq!(lines.get("/Roles/0/Doc/Statement/0"), Some(&4));
    }

    #[test]
    fn broken_documents_keep_what_was_found() {
        let lines = lines_of(b"{\n\"a\": [1,\n2, ", ["/a/1", "/a/5"]);
        assert_eq!(lines.get("/a/1"), Some(&3));
        assert_eq!(lines.get("/a/5"), Some(&2));
    }
}
