//! The canonical encoding of an entry and its hash. `docs/journal.md` describes it byte by
//! byte; a change here is a new format (and a new `FORMAT` string).

use sha2::{Digest, Sha256};

use super::{EntryHash, FindingRef};

/// The format of the journal, written into its `meta` table and at the start of every
/// entry's encoding (so a hash of this format can never equal a hash of another).
pub const FORMAT: &str = "sphere-journal/1";

/// The fields an entry's hash covers, in their stored form.
pub(crate) struct Fields<'a> {
    pub prev_hash: &'a EntryHash,
    pub seq: u64,
    pub time_ms: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub finding_id: Option<&'a str>,
    pub facts_digest: Option<&'a str>,
    pub kb_digest: Option<&'a str>,
    pub engine_version: &'a str,
    pub model_digest: Option<&'a str>,
    /// The payload's JSON text exactly as stored.
    pub payload: &'a str,
}

/// The canonical encoding: the format string and a newline, the previous hash (32 bytes), the
/// sequence number (u64, big-endian), the time (i64 milliseconds, big-endian, two's
/// complement), then each text field as a u32 big-endian byte length and its UTF-8 bytes, an
/// optional text field as one byte 0 (absent) or 1 followed by the text.
pub(crate) fn encode(f: &Fields<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + f.payload.len());
    out.extend_from_slice(FORMAT.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(&f.prev_hash.0);
    out.extend_from_slice(&f.seq.to_be_bytes());
    out.extend_from_slice(&f.time_ms.to_be_bytes());
    text(&mut out, f.actor);
    text(&mut out, f.action);
    optional(&mut out, f.finding_id);
    optional(&mut out, f.facts_digest);
    optional(&mut out, f.kb_digest);
    text(&mut out, f.engine_version);
    optional(&mut out, f.model_digest);
    text(&mut out, f.payload);
    out
}

fn text(out: &mut Vec<u8>, s: &str) {
    // Texts longer than 4 GiB cannot occur: `append` refuses fields over `MAX_FIELD`.
    let len = u32::try_from(s.len()).expect("journal fields are at most MAX_FIELD bytes");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn optional(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            text(out, s);
        }
    }
}

pub(crate) fn hash_fields(f: &Fields<'_>) -> EntryHash {
    EntryHash(Sha256::digest(encode(f)).into())
}

/// The hash of a stored entry, recomputed from its fields (what `verify` compares with the
/// stored hash). Public so that tests and other tools can check the documented encoding.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    prev_hash: &EntryHash,
    seq: u64,
    time_ms: i64,
    actor: &str,
    action: &str,
    finding: Option<&FindingRef>,
    kb_digest: Option<&str>,
    engine_version: &str,
    model_digest: Option<&str>,
    payload: &str,
) -> EntryHash {
    hash_fields(&Fields {
        prev_hash,
        seq,
        time_ms,
        actor,
        action,
        finding_id: finding.map(|f| f.id.as_str()),
        facts_digest: finding.map(|f| f.facts_digest.as_str()),
        kb_digest,
        engine_version,
        model_digest,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(prev: &'a EntryHash, payload: &'a str) -> Fields<'a> {
        Fields {
            prev_hash: prev,
            seq: 1,
            time_ms: 0,
            actor: "a",
            action: "block",
            finding_id: None,
            facts_digest: Some(""),
            kb_digest: None,
            engine_version: "v",
            model_digest: None,
            payload,
        }
    }

    #[test]
    fn encoding_is_the_documented_bytes() {
        let prev = EntryHash::GENESIS;
        let bytes = encode(&fields(&prev, "{}"));
        let mut want = b"sphere-journal/1\n".to_vec();
        want.extend_from_slice(&[0; 32]);
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        want.extend_from_slice(&[0; 8]);
        want.extend_from_slice(&[0, 0, 0, 1, b'a']);
        want.extend_from_slice(&[0, 0, 0, 5]);
        want.extend_from_slice(b"block");
        want.push(0);
        want.extend_from_slice(&[1, 0, 0, 0, 0]);
        want.push(0);
        want.extend_from_slice(&[0, 0, 0, 1, b'v']);
        want.push(0);
        want.extend_from_slice(&[0, 0, 0, 2, b'{', b'}']);
        assert_eq!(bytes, want);
    }

    #[test]
    fn absent_and_empty_optional_fields_hash_differently() {
        let prev = EntryHash::GENESIS;
        let a = hash_fields(&fields(&prev, "{}"));
        let mut f = fields(&prev, "{}");
        f.facts_digest = None;
        assert_ne!(a, hash_fields(&f));
    }

    #[test]
    fn field_boundaries_are_part_of_the_hash() {
        // "ab" + "c" and "a" + "bc" must not collide: lengths are encoded.
        let prev = EntryHash::GENESIS;
        let mut f = fields(&prev, "{}");
        f.actor = "ab";
        f.action = "c";
        let x = hash_fields(&f);
        f.actor = "a";
        f.action = "bc";
        assert_ne!(x, hash_fields(&f));
    }
}
