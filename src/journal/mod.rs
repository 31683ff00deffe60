//! The journal: an append-only, hash-chained record of every decision, block, refusal and
//! execution receipt, kept in SQLite, so that the company can prove later what sphere decided
//! and why (Art. 5(2) GDPR, accountability). `docs/journal.md` describes the format byte by
//! byte, the guarantees, head anchoring, retention and concurrency.
//!
//! An entry records ids and digests only (finding id, facts digest, knowledge-base digest,
//! model digest, staff ids, a digest of a reason), never message texts: the journal must not
//! itself become a store of personal data beyond what accountability needs.
//!
//! Invariant: the journal reads no clock; every entry's time is passed in by the caller.
//! Invariant: the journal knows nothing of findings, models or the engine; it stores the ids
//! and digests it is given, so the gate, the server and the report can all build on it.

mod encode;
mod store;

use std::fmt;
use std::path::PathBuf;

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use encode::{entry_hash, FORMAT};
pub use store::{Config, Filter, Journal, OpenMode, Writer, MAX_FIELD};

/// The length of an entry hash (SHA-256) in bytes.
pub const HASH_LEN: usize = 32;

/// A SHA-256 hash of an entry's canonical encoding (or 32 zero bytes before the first entry).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryHash(pub [u8; HASH_LEN]);

impl EntryHash {
    /// The "previous hash" of the first entry of a journal.
    pub const GENESIS: EntryHash = EntryHash([0; HASH_LEN]);

    /// The hash as 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(2 * HASH_LEN);
        for b in self.0 {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Option<EntryHash> {
        let bytes = text.as_bytes();
        if bytes.len() != 2 * HASH_LEN {
            return None;
        }
        let mut out = [0u8; HASH_LEN];
        for (i, pair) in bytes.chunks(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            out[i] = (hi * 16 + lo) as u8;
        }
        Some(EntryHash(out))
    }
}

impl fmt::Debug for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryHash({})", self.to_hex())
    }
}

impl fmt::Display for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The head of a journal: the sequence number and hash of its last entry. Kept outside the
/// database (printed by every append, exported by `sphere journal head`), it lets `verify`
/// see a cut tail or a rewritten journal, which a hash chain alone cannot.
///
/// Written as `SEQ:HASH`, e.g. `12:3f0c...` (64 hex digits); `0:000...` for an empty journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// The sequence number of the last entry (the count of entries ever appended, pruned
    /// ones included).
    pub seq: u64,
    pub hash: EntryHash,
}

impl Head {
    /// The head of a journal without entries.
    pub const EMPTY: Head = Head {
        seq: 0,
        hash: EntryHash::GENESIS,
    };
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for Head {
    type Err = String;

    fn from_str(s: &str) -> Result<Head, String> {
        let (seq, hash) = s
            .trim()
            .split_once(':')
            .ok_or_else(|| format!("`{s}` is not a journal head (SEQ:HASH)"))?;
        let seq = seq
            .parse::<u64>()
            .map_err(|_| format!("`{seq}` is not a sequence number"))?;
        let hash = EntryHash::from_hex(hash)
            .ok_or_else(|| format!("`{hash}` is not a hash of 64 hex digits"))?;
        Ok(Head { seq, hash })
    }
}

/// What an entry records; stored as the `action` column and covered by the hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The gate blocked a finding: it now waits for the DPO (the alarm).
    Block,
    /// The DPO approved a finding for exactly its facts digest.
    Approve,
    /// The DPO rejected a finding for exactly its facts digest.
    Reject,
    /// Someone asked for something they may not do (deciding without being the DPO, a
    /// request without a valid token, ...): every refusal is journaled.
    Refusal,
    /// A check or gate ran: versions, digests and as-of date, so the run can be replayed.
    Receipt,
    /// The model changed (an event of the CRM), by digest.
    Change,
    /// Older entries were pruned; carries the chain hash of what was pruned.
    Checkpoint,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Block,
        Action::Approve,
        Action::Reject,
        Action::Refusal,
        Action::Receipt,
        Action::Change,
        Action::Checkpoint,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Block => "block",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Refusal => "refusal",
            Action::Receipt => "receipt",
            Action::Change => "change",
            Action::Checkpoint => "checkpoint",
        }
    }

    pub fn parse(text: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A finding as the journal knows it: its id and the digest of the facts its derivation rests
/// on. An approval covers exactly this pair.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FindingRef {
    pub id: String,
    pub facts_digest: String,
}

/// The versions and digests an entry was made under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// The version of the program that wrote the entry (e.g. `sphere 0.1.0`).
    pub engine_version: String,
    /// The digest of the knowledge base, when one was loaded.
    pub kb_digest: Option<String>,
    /// The digest of the model, when one was loaded.
    pub model_digest: Option<String>,
}

/// The part of an entry that depends on its action. Stored as canonical JSON (fields in the
/// order declared here, no whitespace) in the `payload` column, which the hash covers byte
/// for byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    Block(Block),
    Approve(Decision),
    Reject(Decision),
    Refusal(Refusal),
    Receipt(Receipt),
    Change(Change),
    Checkpoint(Checkpoint),
}

impl Payload {
    pub fn action(&self) -> Action {
        match self {
            Payload::Block(_) => Action::Block,
            Payload::Approve(_) => Action::Approve,
            Payload::Reject(_) => Action::Reject,
            Payload::Refusal(_) => Action::Refusal,
            Payload::Receipt(_) => Action::Receipt,
            Payload::Change(_) => Action::Change,
            Payload::Checkpoint(_) => Action::Checkpoint,
        }
    }

    /// The canonical JSON text of the payload.
    pub fn to_json(&self) -> String {
        let text = match self {
            Payload::Block(p) => serde_json::to_string(p),
            Payload::Approve(p) | Payload::Reject(p) => serde_json::to_string(p),
            Payload::Refusal(p) => serde_json::to_string(p),
            Payload::Receipt(p) => serde_json::to_string(p),
            Payload::Change(p) => serde_json::to_string(p),
            Payload::Checkpoint(p) => serde_json::to_string(p),
        };
        text.expect("payload structs of strings, numbers and dates always serialize")
    }

    /// Reads a payload of the given action from its stored JSON text. Unknown fields are an
    /// error: a payload is what this version wrote, or it was tampered with.
    pub fn from_json(action: Action, text: &str) -> Result<Payload, serde_json::Error> {
        Ok(match action {
            Action::Block => Payload::Block(serde_json::from_str(text)?),
            Action::Approve => Payload::Approve(serde_json::from_str(text)?),
            Action::Reject => Payload::Reject(serde_json::from_str(text)?),
            Action::Refusal => Payload::Refusal(serde_json::from_str(text)?),
            Action::Receipt => Payload::Receipt(serde_json::from_str(text)?),
            Action::Change => Payload::Change(serde_json::from_str(text)?),
            Action::Checkpoint => Payload::Checkpoint(serde_json::from_str(text)?),
        })
    }
}

/// The gate blocked a finding of a planned activity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    /// The activity the gate was asked about.
    pub activity_id: String,
    /// The finding's decision (`block` or `breach`).
    pub decision: String,
    /// The norms the finding rests on (ids such as `gdpr.art6.1`), sorted.
    pub norms: Vec<String>,
    /// The as-of date the gate evaluated on.
    pub as_of: Date,
}

/// An approval or a rejection by the DPO, of the entry's finding id and facts digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// The SHA-256 (hex) of the reason text the DPO gave: the text stays in the DPO's own
    /// records and can be shown to match; the journal keeps no free text.
    pub reason_digest: String,
    /// The last day the approval applies (inclusive); `None` for no end. Always `None` for a
    /// rejection.
    pub until: Option<Date>,
}

/// A refused request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// What was asked for (`approve`, `reject`, `gate`, an HTTP route, ...).
    pub attempted: String,
    /// A short reason code, e.g. `not-dpo`, `no-token`, `wrong-role`.
    pub code: String,
}

/// An execution receipt: everything a later `journal replay` needs to re-run a check or a
/// gate and compare (with the model files, whose digest is the entry's model digest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The command that ran: `check` or `gate`.
    pub command: String,
    /// The activity a gate was asked about; `None` for a check.
    pub activity_id: Option<String>,
    /// The as-of date of the evaluation.
    pub as_of: Date,
    /// The evaluator that ran (`compiled` or `interpreted`), since both must agree.
    pub evaluator: String,
    /// The outcome: `allowed`, `blocked`, or for a check its exit code as text.
    pub outcome: String,
    /// A digest of the result (e.g. of the sorted finding ids and their facts digests), which
    /// a replay recomputes and compares.
    pub result_digest: String,
    /// The number of findings the run produced.
    pub findings: u64,
    /// The result lines `result_digest` is the digest of ([`result_digest`]), when there are
    /// at most [`RECEIPT_LINES`] of them: a replay that differs can then name the findings
    /// that differ. Ids, decisions, statuses and digests only. Absent (not written) for
    /// larger results and in receipts written before this field existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<String>>,
}

/// The most result lines a receipt keeps (beyond that, only their digest): 1,000 lines of a
/// finding id and a decision stay well inside one field ([`MAX_FIELD`]).
pub const RECEIPT_LINES: usize = 1000;

/// The digest a receipt keeps of its result lines: the SHA-256 (hex) of each line followed
/// by a newline, in the order given (the caller's canonical order).
pub fn result_digest(lines: &[String]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for l in lines {
        h.update(l.as_bytes());
        h.update(b"\n");
    }
    EntryHash(h.finalize().into()).to_hex()
}

/// A change of the model (an event the CRM sent), by digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// What changed: `activity`, `consent`, `withdrawal`, `objection`, `notice`, `subject`.
    pub what: String,
    /// The id of the changed record.
    pub record_id: String,
    /// The digest of the change's content.
    pub content_digest: String,
    /// The change itself (its JSON text), when it must be replayed from the journal (the
    /// server rebuilds its state on restart from the model files and these changes). Only
    /// ids, dates and flags belong here: names and contact details stay in the CRM.
    pub content: Option<String>,
}

/// The entries `1..=pruned_through` were deleted; `pruned_hash` is the hash of entry
/// `pruned_through`, which commits to all of them through the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Entries made before this time were pruned (milliseconds since the Unix epoch, UTC).
    pub before_ms: i64,
    /// The sequence number of the last pruned entry.
    pub pruned_through: u64,
    /// The hash of entry `pruned_through` (hex).
    pub pruned_hash: String,
}

/// An entry to append: everything but its sequence number and hashes, which the journal
/// computes inside the writing transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEntry {
    /// When it happened, as the caller's clock says (the journal reads no clock).
    pub time: Timestamp,
    /// The staff id of who acted (for receipts and changes: who ran the command or the
    /// client's id).
    pub actor: String,
    pub finding: Option<FindingRef>,
    pub context: Context,
    pub payload: Payload,
}

/// An entry as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub prev_hash: EntryHash,
    pub hash: EntryHash,
    /// Milliseconds since the Unix epoch, UTC.
    pub time_ms: i64,
    pub actor: String,
    pub finding: Option<FindingRef>,
    pub context: Context,
    pub payload: Payload,
}

impl Entry {
    pub fn action(&self) -> Action {
        self.payload.action()
    }

    pub fn time(&self) -> Option<Timestamp> {
        Timestamp::from_millisecond(self.time_ms).ok()
    }

    /// The entry as JSON (hashes in hex, time as RFC 3339), for `journal show`.
    pub fn to_json(&self) -> serde_json::Value {
        let payload: serde_json::Value = serde_json::from_str(&self.payload.to_json())
            .expect("a payload's canonical JSON parses");
        serde_json::json!({
            "seq": self.seq,
            "time": self.time().map(|t| t.to_string()),
            "actor": self.actor,
            "action": self.action().as_str(),
            "finding_id": self.finding.as_ref().map(|f| f.id.clone()),
            "facts_digest": self.finding.as_ref().map(|f| f.facts_digest.clone()),
            "kb_digest": self.context.kb_digest,
            "engine_version": self.context.engine_version,
            "model_digest": self.context.model_digest,
            "payload": payload,
            "prev_hash": self.prev_hash.to_hex(),
            "hash": self.hash.to_hex(),
        })
    }
}

/// The outcome of `verify`: the journal's head, and the first problem found, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// The head as stored (the last entry that could be read).
    pub head: Head,
    /// The first sequence number still kept (after pruning), 1 when nothing was pruned.
    pub first_seq: u64,
    /// How many entries were checked.
    pub entries: u64,
    /// The first problem, in sequence order; `None` when the journal is intact.
    pub problem: Option<Problem>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// A place where the journal does not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The entry named: the first bad one (for a cut tail, the expected head's entry).
    /// `None` when the damage is not in an entry (bytes after the end of the file).
    pub seq: Option<u64>,
    pub kind: ProblemKind,
    /// What exactly is wrong, in words.
    pub detail: String,
}

/// The kinds of problem `verify` tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The entry's content does not match its hash: a field was changed.
    Changed,
    /// The entry does not follow the one before it: an entry was deleted, inserted or moved.
    Broken,
    /// Entries are missing (a gap in the sequence numbers, or a start without a checkpoint).
    Missing,
    /// The entry cannot be read (a value of the wrong type, a payload that does not parse).
    Unreadable,
    /// The journal does not contain the expected head: its tail was cut or it was rewritten.
    Head,
    /// The database file itself is damaged (bytes appended, pages that do not check).
    File,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Changed => "changed",
            ProblemKind::Broken => "broken",
            ProblemKind::Missing => "missing",
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::Head => "head",
            ProblemKind::File => "file",
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "entry {seq}: {}", self.detail),
            None => f.write_str(&self.detail),
        }
    }
}

/// What went wrong opening, reading or writing a journal.
#[derive(Debug)]
pub enum JournalError {
    /// The file does not exist (and the command does not create one).
    NotFound { path: PathBuf },
    /// The file is not a sphere journal (not SQLite, or SQLite without the journal's tables).
    NotAJournal { path: PathBuf, detail: String },
    /// A journal of a format this version does not know.
    UnsupportedFormat { path: PathBuf, found: String },
    /// An entry to append is not acceptable (e.g. an empty actor).
    InvalidEntry { detail: String },
    /// SQLite reported an error (I/O, a full disk, a lock held too long, damage).
    Sqlite {
        path: PathBuf,
        /// What the journal was doing, e.g. `append an entry`.
        doing: &'static str,
        source: rusqlite::Error,
    },
    /// A stored entry cannot be read back (in a query; `verify` reports it as a problem).
    BadEntry { seq: u64, detail: String },
    /// `prune` refused: the journal does not verify, and pruning would destroy the evidence.
    NotIntact { problem: Problem },
}

impl JournalError {
    /// A hint for the person who reads the error.
    pub fn hint(&self) -> Option<String> {
        match self {
            JournalError::NotFound { .. } => Some(
                "give the journal with --journal PATH or SPHERE_JOURNAL; a journal is created by the first gate, approve or reject".into(),
            ),
            JournalError::NotAJournal { .. } => Some(
                "check the path: this file was not written by sphere, or its first bytes were damaged; restore it from a backup".into(),
            ),
            JournalError::UnsupportedFormat { .. } => {
                Some("use the sphere version that wrote this journal".into())
            }
            JournalError::InvalidEntry { .. } => None,
            JournalError::Sqlite { source, .. } => Some(match sqlite_code(source) {
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                    "another process held the journal longer than the busy timeout; try again".into()
                }
                Some(rusqlite::ErrorCode::DiskFull) => "free space on the journal's disk".into(),
                Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen) => {
                    "check that the journal and its folder are writable".into()
                }
                Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                    "the file is damaged: run `sphere journal verify` and restore it from a backup".into()
                }
                _ => "nothing was recorded by the failed operation; run `sphere journal verify`".into(),
            }),
            JournalError::BadEntry { .. } => {
                Some("run `sphere journal verify` to find the first damaged entry".into())
            }
            JournalError::NotIntact { .. } => Some(
                "keep this journal as it is for investigation; restore a verified copy before pruning".into(),
            ),
        }
    }
}

impl JournalError {
    /// The message in German. SQLite's own words (an internal detail) are left out; the
    /// English message has them.
    pub fn message_de(&self) -> String {
        match self {
            JournalError::NotFound { path } => {
                format!("{}: an diesem Pfad ist kein Journal", path.display())
            }
            JournalError::NotAJournal { path, .. } => {
                format!("{}: kein Journal von sphere", path.display())
            }
            JournalError::UnsupportedFormat { path, found } => format!(
                "{}: das Journalformat `{found}` wird nicht unterstützt (diese Version liest `{FORMAT}`)",
                path.display()
            ),
            JournalError::InvalidEntry { detail } => {
                format!("ungültiger Eintrag für das Journal: {detail}")
            }
            JournalError::Sqlite { path, doing, .. } => {
                let what = match *doing {
                    "open the journal" => "das Öffnen des Journals",
                    "append an entry" => "das Anfügen eines Eintrags",
                    "read an entry" => "das Lesen eines Eintrags",
                    "read entries" => "das Lesen der Einträge",
                    "read the journal's head" => "das Lesen des Kopfs des Journals",
                    "read the journal's format" => "das Lesen des Formats des Journals",
                    "read the journal's tables" => "das Lesen der Tabellen des Journals",
                    "create the journal's tables" => "das Anlegen der Tabellen des Journals",
                    "check the journal's file" => "das Prüfen der Datei des Journals",
                    "verify the journal" => "das Prüfen des Journals",
                    "prune the journal" => "das Kürzen des Journals",
                    _ => "der Zugriff auf das Journal",
                };
                format!(
                    "{}: {what} ist fehlgeschlagen (die Meldung von SQLite zeigt `--lang en`)",
                    path.display()
                )
            }
            JournalError::BadEntry { seq, .. } => {
                format!("der Eintrag {seq} des Journals lässt sich nicht lesen")
            }
            JournalError::NotIntact { .. } => {
                "das Journal besteht die Prüfung nicht, deshalb wurde nichts gekürzt".to_string()
            }
        }
    }

    /// [`JournalError::hint`] in German.
    pub fn hint_de(&self) -> Option<String> {
        match self {
            JournalError::NotFound { .. } => Some(
                "das Journal mit --journal PATH oder SPHERE_JOURNAL angeben; ein Journal entsteht beim ersten gate, approve oder reject".into(),
            ),
            JournalError::NotAJournal { .. } => Some(
                "den Pfad prüfen: diese Datei hat nicht sphere geschrieben, oder ihr Anfang ist beschädigt; aus einer Sicherung wiederherstellen".into(),
            ),
            JournalError::UnsupportedFormat { .. } => {
                Some("die Version von sphere verwenden, die dieses Journal geschrieben hat".into())
            }
            JournalError::InvalidEntry { .. } => None,
            JournalError::Sqlite { source, .. } => Some(match sqlite_code(source) {
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                    "ein anderer Prozess hielt das Journal länger als die Wartezeit; erneut versuchen".into()
                }
                Some(rusqlite::ErrorCode::DiskFull) => {
                    "Platz auf dem Datenträger des Journals schaffen".into()
                }
                Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen) => {
                    "prüfen, ob Journal und Ordner beschreibbar sind".into()
                }
                Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                    "die Datei ist beschädigt: `sphere journal verify` ausführen und sie aus einer Sicherung wiederherstellen".into()
                }
                _ => "der fehlgeschlagene Vorgang hat nichts aufgezeichnet; `sphere journal verify` ausführen".into(),
            }),
            JournalError::BadEntry { .. } => Some(
                "`sphere journal verify` ausführen, um den ersten beschädigten Eintrag zu finden".into(),
            ),
            JournalError::NotIntact { .. } => Some(
                "dieses Journal zur Untersuchung unverändert aufbewahren; vor dem Kürzen eine geprüfte Kopie wiederherstellen".into(),
            ),
        }
    }
}

fn sqlite_code(e: &rusqlite::Error) -> Option<rusqlite::ErrorCode> {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.code),
        _ => None,
    }
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalError::NotFound { path } => {
                write!(f, "{}: no journal at this path", path.display())
            }
            JournalError::NotAJournal { path, detail } => {
                write!(f, "{}: not a sphere journal ({detail})", path.display())
            }
            JournalError::UnsupportedFormat { path, found } => write!(
                f,
                "{}: journal format `{found}` is not supported (this version reads `{FORMAT}`)",
                path.display()
            ),
            JournalError::InvalidEntry { detail } => write!(f, "invalid journal entry: {detail}"),
            JournalError::Sqlite {
                path,
                doing,
                source,
            } => write!(f, "{}: cannot {doing}: {source}", path.display()),
            JournalError::BadEntry { seq, detail } => {
                write!(f, "journal entry {seq} cannot be read: {detail}")
            }
            JournalError::NotIntact { problem } => {
                write!(
                    f,
                    "the journal does not verify, so nothing was pruned: {problem}"
                )
            }
        }
    }
}

impl std::error::Error for JournalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JournalError::Sqlite { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The SHA-256 of a text as 64 hex digits: for reason texts, which the journal keeps only as
/// digests.
pub fn text_digest(text: &str) -> String {
    use sha2::Digest;
    let out = sha2::Sha256::digest(text.as_bytes());
    EntryHash(out.into()).to_hex()
}
