//! One strict pass over a JSON text before anything reads it: serde_json reads an object's
//! duplicate key by keeping the last value (the first is silently lost), and a reader that
//! skips parts of the document (ignored `x-` keys, raw values read later) never sees numbers
//! out of range (`1e400`), lone surrogates or nesting too deep. This pass sees every value,
//! so each of those is reported where it is, by its JSON path and line:column, instead of as
//! a wrong problem somewhere else.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The first problem of a JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonProblem {
    /// 1-based; 0 when the text ended early.
    pub line: usize,
    pub column: usize,
    /// The JSON path of the value the problem is in (`$` for the document).
    pub path: String,
    pub message: String,
    /// A key given twice in one object (the path names the second).
    pub duplicate: bool,
}

impl fmt::Display for JsonProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.message, self.path)
    }
}

/// Checks that `text` is one JSON value with no duplicate key in any object.
pub fn check(text: &str) -> Result<(), JsonProblem> {
    let state = State::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let result = Walk { state: &state }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    match result {
        Ok(()) => Ok(()),
        Err(e) => {
            let dup = state.duplicate.borrow_mut().take();
            let path = state.path.borrow().clone();
            let (message, duplicate, path) = match dup {
                Some((key, at)) => (
                    format!("the key \"{key}\" is given twice in one object"),
                    true,
                    at,
                ),
                None => (strip_position(&e.to_string()), false, path.render()),
            };
            Err(JsonProblem {
                line: e.line(),
                column: e.column(),
                path,
                message,
                duplicate,
            })
        }
    }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[derive(Default)]
struct State {
    path: RefCell<Path>,
    duplicate: RefCell<Option<(String, String)>>,
}

#[derive(Clone, Default)]
struct Path(Vec<Step>);

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

impl Path {
    fn render(&self) -> String {
        let mut out = String::from("$");
        for s in &self.0 {
            match s {
                Step::Key(k)
                    if !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
                {
                    out.push('.');
                    out.push_str(k);
                }
                Step::Key(k) => {
                    out.push_str(&format!("[{}]", serde_json::Value::String(k.clone())));
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

struct Walk<'s> {
    state: &'s State,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            self.state.path.borrow_mut().0.push(Step::Index(i));
            let more = seq.next_element_seed(Walk { state: self.state })?;
            self.state.path.borrow_mut().0.pop();
            if more.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Objects of a model are small; a sorted list finds a repeat without hashing.
        let mut keys: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let key = key.into_owned();
            match keys.binary_search(&key) {
                Ok(_) => {
                    let mut at = self.state.path.borrow().clone();
                    at.0.push(Step::Key(key.clone()));
                    *self.state.duplicate.borrow_mut() = Some((key, at.render()));
                    return Err(de::Error::custom("duplicate key"));
                }
                Err(pos) => keys.insert(pos, key.clone()),
            }
            self.state.path.borrow_mut().0.push(Step::Key(key));
            map.next_value_seed(Walk { state: self.state })?;
            self.state.path.borrow_mut().0.pop();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_key_is_named_by_its_path() {
        let p = check(r#"{"a": [{"b": 1}, {"c": 2, "c": 3}]}"#).expect_err("duplicate");
        assert!(p.duplicate);
        assert_eq!(p.path, "$.a[1].c");
        assert_eq!(p.message, "the key \"c\" is given twice in one object");
    }

    #[test]
    fn values_a_reader_would_skip_are_checked_where_they_are() {
        let p = check("{\"x-note\": {\"n\": 1e400}}").expect_err("out of range");
        assert_eq!(p.path, "$.x-note.n");
        assert!(p.message.contains("number out of range"), "{}", p.message);
        let p = check(r#"{"s": "\ud800 and more"}"#).expect_err("lone surrogate");
        assert_eq!(p.path, "$.s");
        assert!(p.message.contains("escape"), "{}", p.message);
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(200), "]".repeat(200));
        let p = check(&deep).expect_err("too deep");
        assert!(p.message.contains("recursion limit"), "{}", p.message);
        assert!(check(r#"{"a": [1, 2.5, "x", null, true, {"b": {}}]}"#).is_ok());
    }
}
