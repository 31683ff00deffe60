//! Who may do what: the server's configuration file maps bearer tokens, stored only as their
//! SHA-256, to a staff id and roles.
//!
//! ```json
//! {
//!   "format": "sphere-server/1",
//!   "tokens": [
//!     {"staff": "staff-markus-richter", "roles": ["dpo"], "sha256": "9f86d0..."},
//!     {"staff": "crm", "roles": ["crm"], "sha256": "60303a..."}
//!   ]
//! }
//! ```
//!
//! An optional `"webhook": "http://..."` names where the DPO's alarms are POSTed
//! ([`super::webhook`]).
//!
//! Roles: `dpo` (approves and rejects, and only when the staff id is the model's DPO),
//! `crm` (gates and posts changes), `viewer` (reads findings, pending blocks and the
//! journal's state). Every role reads.

use std::collections::HashMap;

use serde_json::Value;
use sha2::Digest;

use crate::error::{Error, ErrorKind, Result};

/// The configuration file's format name.
pub const FORMAT: &str = "sphere-server/1";

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The data protection officer: approves and rejects.
    Dpo,
    /// The CRM: gates planned activities and posts the model's changes.
    Crm,
    /// Reads findings, explanations, pending blocks and the journal's state.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Dpo, Role::Crm, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Dpo => "dpo",
            Role::Crm => "crm",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// Who a token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub staff: String,
    pub roles: Vec<Role>,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// The tokens the server accepts, by the hex SHA-256 of the token.
#[derive(Clone, Debug, Default)]
pub struct Auth {
    by_hash: HashMap<String, Principal>,
}

/// The SHA-256 of a token, as 64 lower-case hex digits: what the configuration stores.
pub fn hash_token(token: &str) -> String {
    let digest: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
    crate::journal::EntryHash(digest).to_hex()
}

impl Auth {
    /// The principal a presented token belongs to.
    pub fn principal(&self, token: &str) -> Option<&Principal> {
        self.by_hash.get(&hash_token(token))
    }

    /// Adds a token by its hash (for tests and for configurations built in code).
    pub fn insert(&mut self, sha256_hex: &str, principal: Principal) {
        self.by_hash
            .insert(sha256_hex.to_ascii_lowercase(), principal);
    }

    /// Reads a configuration file's text; `name` is the file in every problem.
    pub fn from_text(name: &str, text: &str) -> Result<Auth> {
        let bad = |path: &str, msg: String, hint: &str| {
            Error::new(ErrorKind::Usage, format!("{name}: {path}: {msg}"))
                .with_hint(hint.to_string())
        };
        let shape = "the configuration is {\"format\": \"sphere-server/1\", \"tokens\": [{\"staff\": ID, \"roles\": [\"dpo\"|\"crm\"|\"viewer\"], \"sha256\": HEX}]}";
        let doc: Value = serde_json::from_str(text).map_err(|e| {
            Error::new(
                ErrorKind::Usage,
                format!("{name}:{}:{}: not valid JSON: {e}", e.line(), e.column()),
            )
            .with_hint(shape)
        })?;
        // serde_json keeps the last of two equal keys: a second `"roles"` would silently
        // replace the first.
        if let Err(p) = sphere_model::json_check::check(text) {
            let hint = if p.duplicate {
                "JSON readers keep only one of the two values: remove or merge one of them"
            } else {
                shape
            };
            return Err(bad(&p.path, p.message, hint));
        }
        let Some(top) = doc.as_object() else {
            return Err(bad("$", "not a JSON object".into(), shape));
        };
        for key in top.keys() {
            if !["format", "tokens", "webhook"].contains(&key.as_str()) {
                return Err(bad(
                    &format!("$.{key}"),
                    format!("unknown key `{key}`"),
                    "the keys are `format`, `tokens` and `webhook`",
                ));
            }
        }
        if top.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(bad(
                "$.format",
                format!("format is not \"{FORMAT}\""),
                "write \"format\": \"sphere-server/1\"",
            ));
        }
        let Some(tokens) = top.get("tokens").and_then(Value::as_array) else {
            return Err(bad("$.tokens", "missing or not a list".into(), shape));
        };
        let mut auth = Auth::default();
        for (i, t) in tokens.iter().enumerate() {
            let at = format!("$.tokens[{i}]");
            let Some(o) = t.as_object() else {
                return Err(bad(&at, "not an object".into(), shape));
            };
            for key in o.keys() {
                if !["staff", "roles", "sha256"].contains(&key.as_str()) {
                    return Err(bad(
                        &format!("{at}.{key}"),
                        format!("unknown key `{key}`"),
                        "a token has `staff`, `roles` and `sha256`; never the token itself",
                    ));
                }
            }
            let staff = o
                .get("staff")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    bad(
                        &format!("{at}.staff"),
                        "missing or not a non-empty string".into(),
                        "the staff id the token acts as (the DPO's must be the model's organization.dpo)",
                    )
                })?;
            let sha = o
                .get("sha256")
                .and_then(Value::as_str)
                .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
                .ok_or_else(|| {
                    bad(
                        &format!("{at}.sha256"),
                        "missing or not 64 hex digits".into(),
                        "`sphere serve --hash-token` reads a token on stdin and prints its hash",
                    )
                })?;
            let Some(roles) = o.get("roles").and_then(Value::as_array) else {
                return Err(bad(
                    &format!("{at}.roles"),
                    "missing or not a list".into(),
                    "roles are \"dpo\", \"crm\" and \"viewer\"",
                ));
            };
            let mut parsed = Vec::new();
            for (k, r) in roles.iter().enumerate() {
                let role = r.as_str().and_then(Role::parse).ok_or_else(|| {
                    bad(
                        &format!("{at}.roles[{k}]"),
                        format!("{r} is not a role"),
                        "roles are \"dpo\", \"crm\" and \"viewer\"",
                    )
                })?;
                parsed.push(role);
            }
            parsed.sort();
            parsed.dedup();
            let key = sha.to_ascii_lowercase();
            if auth.by_hash.contains_key(&key) {
                return Err(bad(
                    &format!("{at}.sha256"),
                    "the same token twice".into(),
                    "give every staff member and client a token of its own",
                ));
            }
            auth.insert(
                &key,
                Principal {
                    staff: staff.to_string(),
                    roles: parsed,
                },
            );
        }
        Ok(auth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_found_by_its_hash_and_the_file_holds_no_token() {
        let hash = hash_token("s3cret");
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, hash_token("s3cret "));
        let text = format!(
            r#"{{"format": "sphere-server/1", "tokens": [{{"staff": "dpo-1", "roles": ["dpo", "viewer"], "sha256": "{}"}}]}}"#,
            hash.to_uppercase()
        );
        let auth = Auth::from_text("server.json", &text).expect("a valid configuration");
        let p = auth.principal("s3cret").expect("known");
        assert_eq!(p.staff, "dpo-1");
        assert!(p.has(Role::Dpo) && p.has(Role::Viewer) && !p.has(Role::Crm));
        assert!(auth.principal("s3cre").is_none());
        assert!(!text.contains("s3cret"));
    }

    #[test]
    fn a_bad_configuration_names_the_json_path() {
        let e = Auth::from_text(
            "server.json",
            r#"{"format": "sphere-server/1", "tokens": [{"staff": "a", "roles": ["admin"], "sha256": "00"}]}"#,
        )
        .expect_err("bad");
        assert!(
            e.message().contains("$.tokens[0].sha256"),
            "{}",
            e.message()
        );
        let e = Auth::from_text(
            "server.json",
            &format!(
                r#"{{"format": "sphere-server/1", "tokens": [{{"staff": "a", "roles": ["admin"], "sha256": "{}"}}]}}"#,
                hash_token("x")
            ),
        )
        .expect_err("bad");
        assert!(
            e.message().contains("$.tokens[0].roles[0]"),
            "{}",
            e.message()
        );
        let e = Auth::from_text("server.json", "{").expect_err("bad");
        assert!(e.message().starts_with("server.json:1:"), "{}", e.message());
    }

    #[test]
    fn a_key_given_twice_in_the_configuration_is_refused_with_its_path() {
        let text = format!(
            r#"{{"format": "sphere-server/1", "tokens": [{{"staff": "a", "roles": ["viewer"], "roles": ["dpo"], "sha256": "{}"}}]}}"#,
            hash_token("x")
        );
        let e = Auth::from_text("server.json", &text).expect_err("refused");
        assert!(
            e.message().contains("$.tokens[0].roles")
                && e.message().contains("\"roles\" is given twice"),
            "{}",
            e.message()
        );
    }
}
