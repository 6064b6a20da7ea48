//! Building the JSON the AWS CLI prints from SDK types, which do not implement `Serialize`.
//!
//! The SDK marks some fields required (`&str`) and others optional (`Option<&str>`), and the
//! split moves between versions; the small traits below accept either, so that a field reads
//! the same whatever the model says.

use aws_smithy_types::DateTime;
use serde_json::{Map, Value};

/// A JSON object under construction; absent values are left out, as the CLI does.
#[derive(Debug, Default)]
pub struct Obj(Map<String, Value>);

impl Obj {
    pub fn new() -> Self {
        Obj(Map::new())
    }

    /// A string field.
    pub fn s(mut self, key: &str, value: impl OptStr) -> Self {
        if let Some(v) = value.opt_str() {
            self.0.insert(key.to_string(), Value::String(v));
        }
        self
    }

    /// A timestamp, printed as the CLI prints it (`2026-01-02T03:04:05+00:00`).
    pub fn t(mut self, key: &str, value: impl OptTime) -> Self {
        if let Some(v) = value.opt_time() {
            self.0.insert(key.to_string(), Value::String(v));
        }
        self
    }

    /// Any JSON value; `Value::Null` is kept (a field that is present and empty).
    pub fn v(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.to_string(), value.into());
        self
    }

    /// An optional JSON value, left out when absent.
    pub fn o(mut self, key: &str, value: Option<Value>) -> Self {
        if let Some(v) = value {
            self.0.insert(key.to_string(), v);
        }
        self
    }

    /// A boolean or a number, left out when absent.
    pub fn n(mut self, key: &str, value: impl OptNum) -> Self {
        if let Some(v) = value.opt_num() {
            self.0.insert(key.to_string(), v);
        }
        self
    }

    /// A list of strings (always written, possibly empty, as the CLI does for lists).
    pub fn strs<S: AsRef<str>>(mut self, key: &str, values: impl Slice<S>) -> Self {
        let list = values
            .slice()
            .iter()
            .map(|v| Value::String(v.as_ref().to_string()))
            .collect();
        self.0.insert(key.to_string(), Value::Array(list));
        self
    }

    /// A list of objects built by `f`.
    pub fn list<T>(mut self, key: &str, values: impl Slice<T>, f: impl Fn(&T) -> Value) -> Self {
        let list = values.slice().iter().map(f).collect();
        self.0.insert(key.to_string(), Value::Array(list));
        self
    }

    pub fn build(self) -> Value {
        Value::Object(self.0)
    }
}

pub trait OptStr {
    fn opt_str(self) -> Option<String>;
}
impl OptStr for &str {
    fn opt_str(self) -> Option<String> {
        Some(self.to_string())
    }
}
impl OptStr for Option<&str> {
    fn opt_str(self) -> Option<String> {
        self.map(str::to_string)
    }
}
impl OptStr for &String {
    fn opt_str(self) -> Option<String> {
        Some(self.clone())
    }
}
impl OptStr for Option<&String> {
    fn opt_str(self) -> Option<String> {
        self.cloned()
    }
}
impl OptStr for String {
    fn opt_str(self) -> Option<String> {
        Some(self)
    }
}
impl OptStr for Option<String> {
    fn opt_str(self) -> Option<String> {
        self
    }
}

pub trait OptTime {
    fn opt_time(self) -> Option<String>;
}
impl OptTime for &DateTime {
    fn opt_time(self) -> Option<String> {
        Some(time(self))
    }
}
impl OptTime for Option<&DateTime> {
    fn opt_time(self) -> Option<String> {
        self.map(time)
    }
}

pub trait OptNum {
    fn opt_num(self) -> Option<Value>;
}
impl OptNum for bool {
    fn opt_num(self) -> Option<Value> {
        Some(Value::Bool(self))
    }
}
impl OptNum for Option<bool> {
    fn opt_num(self) -> Option<Value> {
        self.map(Value::Bool)
    }
}
impl OptNum for i32 {
    fn opt_num(self) -> Option<Value> {
        Some(Value::from(self))
    }
}
impl OptNum for Option<i32> {
    fn opt_num(self) -> Option<Value> {
        self.map(Value::from)
    }
}
impl OptNum for i64 {
    fn opt_num(self) -> Option<Value> {
        Some(Value::from(self))
    }
}
impl OptNum for Option<i64> {
    fn opt_num(self) -> Option<Value> {
        self.map(Value::from)
    }
}

pub trait Slice<T> {
    fn slice(&self) -> &[T];
}
impl<T> Slice<T> for &[T] {
    fn slice(&self) -> &[T] {
        self
    }
}
impl<T> Slice<T> for Option<&[T]> {
    fn slice(&self) -> &[T] {
        self.unwrap_or(&[])
    }
}
impl<T> Slice<T> for &Vec<T> {
    fn slice(&self) -> &[T] {
        self.as_slice()
    }
}
impl<T> Slice<T> for Option<&Vec<T>> {
    fn slice(&self) -> &[T] {
        self.map(Vec::as_slice).unwrap_or(&[])
    }
}

/// A timestamp as the AWS CLI prints it.
pub fn time(t: &DateTime) -> String {
    match chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()) {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
        None => t.to_string(),
    }
}

/// A policy document as a JSON object. IAM returns documents URL-encoded
/// (`%7B%22Version%22...`), some servers return raw JSON, services like S3 return a JSON
/// string: parse as JSON first, then decode and parse, and keep the text when neither works
/// (the snapshot loader then says what is wrong with it).
pub fn policy_document(raw: &str) -> Value {
    let trimmed = raw.trim();
    if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(trimmed) {
        return v;
    }
    let decoded = percent_encoding::percent_decode_str(trimmed).decode_utf8_lossy();
    match serde_json::from_str::<Value>(&decoded) {
        Ok(v @ Value::Object(_)) => v,
        _ => Value::String(decoded.into_owned()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn documents_decode_from_every_shape() {
        let object = serde_json::json!({"Version": "2012-10-17", "Statement": []});
        assert_eq!(
            policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#),
            object
        );
        assert_eq!(
            policy_document("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"),
            object
        );
        assert_eq!(
            policy_document("not json"),
            Value::String("not json".into())
        );
    }

    #[test]
    fn times_print_like_the_cli() {
        let t = DateTime::from_secs(1_763_629_200);
        assert_eq!(time(&t), "2025-11-20T09:00:00+00:00");
    }
}
