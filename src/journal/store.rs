//! The journal in SQLite: opening, appending (one writer transaction per entry), queries,
//! `verify` and `prune`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

use super::encode::{hash_fields, Fields, FORMAT};
use super::{
    Action, Checkpoint, Context, Entry, EntryHash, FindingRef, Head, JournalError, NewEntry,
    Payload, Problem, ProblemKind, Verification, HASH_LEN,
};

/// The longest text an entry field may hold. Entries hold ids and digests; anything longer is
/// a mistake of the caller (or personal text that does not belong in the journal).
pub const MAX_FIELD: usize = 64 * 1024;

/// Whether `Journal::open` may create a new journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the file and the journal's tables when there is no journal yet (writers).
    Create,
    /// The journal must exist (readers: `show`, `head`, `verify`, `prune`).
    Existing,
}

/// How to open a journal.
#[derive(Clone, Debug)]
pub struct Config {
    pub mode: OpenMode,
    /// How long a writer waits for another writer's transaction before giving up with an
    /// error. Appends are short (one insert and one fsync), so waits are short unless a
    /// process holds the journal open in a transaction of its own.
    pub busy_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: OpenMode::Existing,
            busy_timeout: Duration::from_secs(30),
        }
    }
}

impl Config {
    pub fn create() -> Config {
        Config {
            mode: OpenMode::Create,
            ..Config::default()
        }
    }
}

/// Which entries `Journal::entries` returns.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only entries made at or after this time.
    pub since: Option<Timestamp>,
    /// Only entries about this finding id.
    pub finding_id: Option<String>,
    /// Only entries of these actions (all when empty).
    pub actions: Vec<Action>,
}

/// An open journal. One per thread: a `Journal` is `Send` but not `Sync`; threads and
/// processes that share a journal file each open their own, and SQLite's locks order their
/// appends.
pub struct Journal {
    conn: Connection,
    path: PathBuf,
    /// How long to wait for other writers (and for the switch to WAL mode of a new file).
    busy_timeout: Duration,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    time_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    finding_id TEXT,
    facts_digest TEXT,
    kb_digest TEXT,
    engine_version TEXT NOT NULL,
    model_digest TEXT,
    payload TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS entries_finding ON entries (finding_id, facts_digest, action, seq);
CREATE INDEX IF NOT EXISTS entries_action ON entries (action, seq);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
";

/// Deletion is refused except inside `prune`, which drops and re-creates this trigger in its
/// own transaction. The triggers guard against mistakes with other tools; tampering on
/// purpose is what the hash chain and the head are for.
const NO_DELETE: &str = "
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'journal entries are deleted only by sphere journal prune'); END;
";

const COLUMNS: &str = "seq, prev_hash, hash, time_ms, actor, action, finding_id, facts_digest, \
                       kb_digest, engine_version, model_digest, payload";

impl Journal {
    /// Opens the journal at `path` (creating it when `config.mode` allows).
    pub fn open(path: &Path, config: &Config) -> Result<Journal, JournalError> {
        let exists = path.exists();
        if !exists && config.mode == OpenMode::Existing {
            return Err(JournalError::NotFound {
                path: path.to_path_buf(),
            });
        }
        if path.is_dir() {
            return Err(JournalError::NotAJournal {
                path: path.to_path_buf(),
                detail: "it is a folder".into(),
            });
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if config.mode == OpenMode::Create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let sql = |doing: &'static str| {
            let path = path.to_path_buf();
            move |source| JournalError::Sqlite {
                path,
                doing,
                source,
            }
        };
        let conn = Connection::open_with_flags(path, flags).map_err(sql("open the journal"))?;
        conn.busy_timeout(config.busy_timeout)
            .map_err(sql("set the busy timeout"))?;
        let mut journal = Journal {
            conn,
            path: path.to_path_buf(),
            busy_timeout: config.busy_timeout,
        };
        match journal.format()? {
            Some(found) if found == FORMAT => {}
            Some(found) => {
                return Err(JournalError::UnsupportedFormat {
                    path: path.to_path_buf(),
                    found,
                })
            }
            None if config.mode == OpenMode::Create => journal.initialize()?,
            None => {
                return Err(JournalError::NotAJournal {
                    path: path.to_path_buf(),
                    detail: "a database without the journal's tables".into(),
                })
            }
        }
        // FULL: in WAL mode, NORMAL syncs the log only at checkpoints, so the last commits
        // before a power loss could roll back; FULL syncs the log at every commit, so an
        // append that returned is on disk. That is the promise of the gate: never a decision
        // the journal lacks.
        journal
            .conn
            .execute_batch("PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;")
            .map_err(sql("set the journal's pragmas"))?;
        Ok(journal)
    }

    /// The path the journal was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, doing: &'static str) -> impl FnOnce(rusqlite::Error) -> JournalError + '_ {
        move |source| JournalError::Sqlite {
            path: self.path.clone(),
            doing,
            source,
        }
    }

    /// The format string in `meta`, `None` for an empty database (a new journal).
    /// The journal's recorded format; `None` for a file without any table (new or empty).
    ///
    /// The tables are counted first, the format read after: a journal's tables and its format
    /// are made in one transaction, so a file with any table of a journal has them all, even
    /// while another process is creating the journal. (Read the other way round, the format
    /// could be missing at the first read and the tables there at the second: eight
    /// processes opening a new journal at once met that.)
    fn format(&self) -> Result<Option<String>, JournalError> {
        let tables = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
                r.get::<_, i64>(0)
            });
        match tables {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == ErrorCode::NotADatabase => {
                return Err(JournalError::NotAJournal {
                    path: self.path.clone(),
                    detail: "the file is not an SQLite database".into(),
                })
            }
            Err(e) => return Err(self.err("read the journal's tables")(e)),
        }
        let found: Result<Option<String>, rusqlite::Error> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'format'", [], |r| {
                r.get(0)
            })
            .optional();
        match found {
            Ok(Some(v)) => Ok(Some(v)),
            Ok(None) => Err(JournalError::NotAJournal {
                path: self.path.clone(),
                detail: "the journal's format is not recorded".into(),
            }),
            Err(e) if e.to_string().contains("no such table") => Err(JournalError::NotAJournal {
                path: self.path.clone(),
                detail: "a database without the journal's tables".into(),
            }),
            Err(e) => Err(self.err("read the journal's format")(e)),
        }
    }

    fn initialize(&mut self) -> Result<(), JournalError> {
        // WAL: readers never block the writer and the writer never blocks readers; each
        // commit is one append to the log. Set outside a transaction, as SQLite requires; the
        // mode is stored in the file, so every later connection uses it.
        // While another process reads the new file (several open it at once, each finding it
        // empty), SQLite cannot change the mode and answers with the old one instead of
        // waiting: try again, within the busy timeout.
        let started = std::time::Instant::now();
        let mode = loop {
            let mode: String = self
                .conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .map_err(self.err("switch the journal to WAL mode"))?;
            if mode.eq_ignore_ascii_case("wal") || started.elapsed() >= self.busy_timeout {
                break mode;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(JournalError::NotAJournal {
                path: self.path.clone(),
                detail: format!("SQLite refused WAL mode (it stayed in `{mode}`)"),
            });
        }
        let path = self.path.clone();
        let err = move |source| JournalError::Sqlite {
            path: path.clone(),
            doing: "create the journal's tables",
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err.clone())?;
        tx.execute_batch(SCHEMA).map_err(err.clone())?;
        tx.execute_batch(NO_DELETE).map_err(err.clone())?;
        tx.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('format', ?1)",
            [FORMAT],
        )
        .map_err(err.clone())?;
        tx.commit().map_err(err)
    }

    /// Appends one entry and returns the new head. Returns only when the entry is durable
    /// (committed and synced); an error means nothing was recorded.
    ///
    /// One writer transaction per entry: `BEGIN IMMEDIATE` takes the write lock (waiting up to
    /// the busy timeout), the head is read under the lock, the entry hashed and inserted, and
    /// the commit syncs the log. No two appends can see the same head, so the chain cannot
    /// fork, whatever the number of threads and processes.
    pub fn append(&mut self, entry: &NewEntry) -> Result<Head, JournalError> {
        let heads = self.append_all(std::slice::from_ref(entry))?;
        Ok(heads[0])
    }

    /// Appends several entries in one transaction (group commit): one lock, one sync, so a
    /// server that collects the entries of concurrent requests pays one fsync for all of them.
    /// All or nothing: on an error none of them was recorded. Returns each entry's head, in
    /// order; the last is the journal's new head. An empty slice appends nothing and returns
    /// nothing.
    pub fn append_all(&mut self, entries: &[NewEntry]) -> Result<Vec<Head>, JournalError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        for entry in entries {
            check_entry(entry)?;
        }
        let (_, heads) = self.transact(|w| {
            for entry in entries {
                w.append(entry)?;
            }
            Ok(())
        })?;
        Ok(heads)
    }

    /// Reads and appends in one writer transaction: `f` reads the journal as it stands with
    /// the write lock held (no other writer can append in between) and appends what it
    /// decides to; the commit syncs once. A conditional append ("append this block unless
    /// one is already journaled") is therefore atomic across threads and processes. All or
    /// nothing: when `f` or the commit fails, none of its entries was recorded. Returns what
    /// `f` returned and the head of each appended entry, in order.
    pub fn transact<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T, JournalError>,
    ) -> Result<(T, Vec<Head>), JournalError> {
        let path = self.path.clone();
        let err = move |source| JournalError::Sqlite {
            path: path.clone(),
            doing: "append an entry",
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err.clone())?;
        let head = head_in(&tx, &self.path)?;
        let mut writer = Writer {
            conn: &tx,
            path: &self.path,
            head,
            heads: Vec::new(),
        };
        let out = f(&mut writer)?;
        let heads = writer.heads;
        tx.commit().map_err(err)?;
        Ok((out, heads))
    }

    /// The head: the sequence number and hash of the last entry.
    pub fn head(&self) -> Result<Head, JournalError> {
        head_in(&self.conn, &self.path)
    }

    /// One entry by sequence number (`None` when it does not exist or was pruned).
    pub fn entry(&self, seq: u64) -> Result<Option<Entry>, JournalError> {
        let sql = format!("SELECT {COLUMNS} FROM entries WHERE seq = ?1");
        let mut stmt = self.conn.prepare(&sql).map_err(self.err("read an entry"))?;
        let raw = stmt
            .query_row([seq as i64], Raw::read)
            .optional()
            .map_err(self.err("read an entry"))?;
        raw.map(|r| r.into_entry()).transpose()
    }

    /// The entries that pass `filter`, by sequence number.
    pub fn entries(&self, filter: &Filter) -> Result<Vec<Entry>, JournalError> {
        let since = filter.since.map(|t| t.as_millisecond()).unwrap_or(i64::MIN);
        let sql = format!(
            "SELECT {COLUMNS} FROM entries WHERE time_ms >= ?1 AND (?2 IS NULL OR finding_id = ?2) \
             ORDER BY seq"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(self.err("read entries"))?;
        let rows = stmt
            .query_map(params![since, filter.finding_id], Raw::read)
            .map_err(self.err("read entries"))?;
        let mut out = Vec::new();
        for raw in rows {
            let entry = raw.map_err(self.err("read entries"))?.into_entry()?;
            if filter.actions.is_empty() || filter.actions.contains(&entry.action()) {
                out.push(entry);
            }
        }
        Ok(out)
    }

    /// The latest entry of one of `actions` for exactly this finding id and facts digest.
    /// The gate asks for the latest approve or reject: an approval applies only to the facts
    /// it was given for.
    pub fn latest(
        &self,
        finding: &FindingRef,
        actions: &[Action],
    ) -> Result<Option<Entry>, JournalError> {
        self.latest_before(finding, actions, u64::MAX)
    }

    /// [`Journal::latest`] among the entries before sequence number `before`: what the
    /// journal said when that entry was made (a replay of a receipt reads the decisions as
    /// they stood then).
    pub fn latest_before(
        &self,
        finding: &FindingRef,
        actions: &[Action],
        before: u64,
    ) -> Result<Option<Entry>, JournalError> {
        latest_in(&self.conn, &self.path, finding, actions, before)
    }

    /// The latest approval or rejection of this finding id and facts digest.
    pub fn latest_decision(&self, finding: &FindingRef) -> Result<Option<Entry>, JournalError> {
        self.latest(finding, &[Action::Approve, Action::Reject])
    }

    /// What waits for the DPO, oldest first: for each finding id and facts digest that was
    /// blocked after its latest decision (or never decided), the first such block. A gate
    /// appends a block only when the finding and facts have no block or decision yet, or the
    /// latest is an (expired) approval, and decides so under the write lock
    /// ([`Journal::transact`]), so the DPO is alerted once per finding and facts.
    pub fn pending(&self) -> Result<Vec<Entry>, JournalError> {
        use std::collections::HashMap;
        let sql = format!(
            "SELECT {COLUMNS} FROM entries WHERE action IN ('block', 'approve', 'reject') \
             ORDER BY seq"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(self.err("read entries"))?;
        let rows = stmt
            .query_map([], Raw::read)
            .map_err(self.err("read entries"))?;
        // Hash inside, sort at the boundary: the map keeps the first open block per finding.
        let mut open: HashMap<FindingRef, Entry> = HashMap::new();
        for raw in rows {
            let entry = raw.map_err(self.err("read entries"))?.into_entry()?;
            let Some(finding) = entry.finding.clone() else {
                continue;
            };
            match entry.action() {
                Action::Block => {
                    open.entry(finding).or_insert(entry);
                }
                _ => {
                    open.remove(&finding);
                }
            }
        }
        let mut out: Vec<Entry> = open.into_values().collect();
        out.sort_by_key(|e| e.seq);
        Ok(out)
    }

    /// Whether this finding id and facts digest waits for the DPO (blocked after its latest
    /// decision, or never decided).
    pub fn is_pending(&self, finding: &FindingRef) -> Result<bool, JournalError> {
        let latest = self.latest(finding, &[Action::Block, Action::Approve, Action::Reject])?;
        Ok(latest.is_some_and(|e| e.action() == Action::Block))
    }

    /// Checks the whole journal: every entry's hash, the chain, the sequence numbers, the
    /// start (entry 1 or a checkpoint that records what was pruned), the file's length, and
    /// the expected head when one is given. Reads one consistent snapshot, so appends that
    /// run at the same time do not disturb it.
    pub fn verify(&mut self, expect: Option<&Head>) -> Result<Verification, JournalError> {
        let path = self.path.clone();
        let err = self.err_owned("verify the journal");
        let tx = self.conn.transaction().map_err(err)?;
        let out = verify_in(&tx, &path, expect);
        // A read transaction: nothing to keep.
        drop(tx);
        out
    }

    fn err_owned(&self, doing: &'static str) -> impl Fn(rusqlite::Error) -> JournalError {
        let path = self.path.clone();
        move |source| JournalError::Sqlite {
            path: path.clone(),
            doing,
            source,
        }
    }

    /// Deletes the entries made before `before` (the longest run of oldest entries whose
    /// time is before it) and appends a checkpoint entry that records the last pruned entry's
    /// sequence number and hash, so the rest still verifies. Refuses when the journal does
    /// not verify (pruning would destroy the evidence). `by` names who pruned; `time` is now.
    ///
    /// Returns the checkpoint and the new head, or `None` when nothing was old enough.
    pub fn prune(
        &mut self,
        before: Timestamp,
        by: &str,
        context: &Context,
        time: Timestamp,
    ) -> Result<Option<(Checkpoint, Head)>, JournalError> {
        let path = self.path.clone();
        let err = move |source| JournalError::Sqlite {
            path: path.clone(),
            doing: "prune the journal",
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err.clone())?;
        let verification = verify_in(&tx, &self.path, None)?;
        if let Some(problem) = verification.problem {
            return Err(JournalError::NotIntact { problem });
        }
        let before_ms = before.as_millisecond();
        let first_young: Option<i64> = tx
            .query_row(
                "SELECT min(seq) FROM entries WHERE time_ms >= ?1",
                [before_ms],
                |r| r.get(0),
            )
            .map_err(err.clone())?;
        let last_old = match first_young {
            // Verified above: sequence numbers are positive.
            Some(s) => (s as u64).saturating_sub(1),
            None => verification.head.seq,
        };
        if last_old < verification.first_seq {
            return Ok(None);
        }
        let pruned_hash: Vec<u8> = tx
            .query_row(
                "SELECT hash FROM entries WHERE seq = ?1",
                [last_old as i64],
                |r| r.get(0),
            )
            .map_err(err.clone())?;
        let pruned_hash = to_hash(&pruned_hash).ok_or_else(|| JournalError::BadEntry {
            seq: last_old,
            detail: "its hash is not 32 bytes".into(),
        })?;
        tx.execute_batch("DROP TRIGGER entries_no_delete")
            .map_err(err.clone())?;
        tx.execute("DELETE FROM entries WHERE seq <= ?1", [last_old as i64])
            .map_err(err.clone())?;
        tx.execute_batch(NO_DELETE).map_err(err.clone())?;
        let checkpoint = Checkpoint {
            before_ms,
            pruned_through: last_old,
            pruned_hash: pruned_hash.to_hex(),
        };
        let new = NewEntry {
            time,
            actor: by.to_string(),
            finding: None,
            context: context.clone(),
            payload: Payload::Checkpoint(checkpoint.clone()),
        };
        check_entry(&new)?;
        let payload = new.payload.to_json();
        let head = verification.head;
        let fields = Fields {
            prev_hash: &head.hash,
            seq: head.seq + 1,
            time_ms: time.as_millisecond(),
            actor: by,
            action: Action::Checkpoint.as_str(),
            finding_id: None,
            facts_digest: None,
            kb_digest: context.kb_digest.as_deref(),
            engine_version: &context.engine_version,
            model_digest: context.model_digest.as_deref(),
            payload: &payload,
        };
        let hash = hash_fields(&fields);
        insert(&tx, &fields, &hash).map_err(err.clone())?;
        tx.commit().map_err(err.clone())?;
        // Move the pruned pages out of the log and truncate it: with secure_delete the deleted
        // rows are overwritten in the database file, and the old log frames that still held
        // them are gone. A reader that holds an old snapshot can keep this from completing;
        // the next checkpoint then finishes the job.
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        Ok(Some((
            checkpoint,
            Head {
                seq: head.seq + 1,
                hash,
            },
        )))
    }
}

/// The journal inside a writer transaction ([`Journal::transact`]): reads see the journal as
/// it stands under the write lock, with this transaction's own appends.
pub struct Writer<'t> {
    conn: &'t Connection,
    path: &'t Path,
    head: Head,
    heads: Vec<Head>,
}

impl Writer<'_> {
    /// The head, this transaction's appends included.
    pub fn head(&self) -> Head {
        self.head
    }

    /// [`Journal::latest`], under the write lock.
    pub fn latest(
        &self,
        finding: &FindingRef,
        actions: &[Action],
    ) -> Result<Option<Entry>, JournalError> {
        latest_in(self.conn, self.path, finding, actions, u64::MAX)
    }

    /// Appends an entry to the transaction (recorded when the transaction commits) and
    /// returns the head it will make.
    pub fn append(&mut self, entry: &NewEntry) -> Result<Head, JournalError> {
        check_entry(entry)?;
        let payload = entry.payload.to_json();
        let seq = self.head.seq + 1;
        let fields = Fields {
            prev_hash: &self.head.hash,
            seq,
            time_ms: entry.time.as_millisecond(),
            actor: &entry.actor,
            action: entry.payload.action().as_str(),
            finding_id: entry.finding.as_ref().map(|f| f.id.as_str()),
            facts_digest: entry.finding.as_ref().map(|f| f.facts_digest.as_str()),
            kb_digest: entry.context.kb_digest.as_deref(),
            engine_version: &entry.context.engine_version,
            model_digest: entry.context.model_digest.as_deref(),
            payload: &payload,
        };
        let hash = hash_fields(&fields);
        insert(self.conn, &fields, &hash).map_err(|source| JournalError::Sqlite {
            path: self.path.to_path_buf(),
            doing: "append an entry",
            source,
        })?;
        self.head = Head { seq, hash };
        self.heads.push(self.head);
        Ok(self.head)
    }
}

/// The latest entry of one of `actions` for this finding id and facts digest before `before`.
fn latest_in(
    conn: &Connection,
    path: &Path,
    finding: &FindingRef,
    actions: &[Action],
    before: u64,
) -> Result<Option<Entry>, JournalError> {
    let err = |source| JournalError::Sqlite {
        path: path.to_path_buf(),
        doing: "read entries",
        source,
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM entries WHERE finding_id = ?1 AND facts_digest = ?2 \
         AND seq < ?3 ORDER BY seq DESC"
    );
    let before = i64::try_from(before).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare(&sql).map_err(err)?;
    let rows = stmt
        .query_map(params![finding.id, finding.facts_digest, before], Raw::read)
        .map_err(err)?;
    for raw in rows {
        let entry = raw.map_err(err)?.into_entry()?;
        if actions.contains(&entry.action()) {
            return Ok(Some(entry));
        }
    }
    Ok(None)
}

fn check_entry(entry: &NewEntry) -> Result<(), JournalError> {
    if entry.actor.trim().is_empty() {
        return Err(JournalError::InvalidEntry {
            detail: "the actor (a staff id) is empty".into(),
        });
    }
    if entry.context.engine_version.is_empty() {
        return Err(JournalError::InvalidEntry {
            detail: "the engine version is empty".into(),
        });
    }
    let mut long = vec![
        ("actor", entry.actor.len()),
        ("engine version", entry.context.engine_version.len()),
        ("payload", entry.payload.to_json().len()),
    ];
    if let Some(f) = &entry.finding {
        long.push(("finding id", f.id.len()));
        long.push(("facts digest", f.facts_digest.len()));
    }
    if let Some(d) = &entry.context.kb_digest {
        long.push(("knowledge-base digest", d.len()));
    }
    if let Some(d) = &entry.context.model_digest {
        long.push(("model digest", d.len()));
    }
    for (name, len) in long {
        if len > MAX_FIELD {
            return Err(JournalError::InvalidEntry {
                detail: format!("the {name} is {len} bytes long (at most {MAX_FIELD})"),
            });
        }
    }
    Ok(())
}

fn insert(conn: &Connection, f: &Fields<'_>, hash: &EntryHash) -> Result<(), rusqlite::Error> {
    conn.execute(
        "INSERT INTO entries (seq, prev_hash, hash, time_ms, actor, action, finding_id, \
         facts_digest, kb_digest, engine_version, model_digest, payload) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            f.seq as i64,
            &f.prev_hash.0[..],
            &hash.0[..],
            f.time_ms,
            f.actor,
            f.action,
            f.finding_id,
            f.facts_digest,
            f.kb_digest,
            f.engine_version,
            f.model_digest,
            f.payload,
        ],
    )?;
    Ok(())
}

fn head_in(conn: &Connection, path: &Path) -> Result<Head, JournalError> {
    let row: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(|source| JournalError::Sqlite {
            path: path.to_path_buf(),
            doing: "read the journal's head",
            source,
        })?;
    match row {
        None => Ok(Head::EMPTY),
        Some((seq, hash)) => {
            let seq = u64::try_from(seq).map_err(|_| JournalError::BadEntry {
                seq: 0,
                detail: format!("the last entry has the sequence number {seq}"),
            })?;
            // Never extend a damaged chain: the new entry would hide the damage.
            let hash = to_hash(&hash).ok_or_else(|| JournalError::BadEntry {
                seq,
                detail: "its hash is not 32 bytes".into(),
            })?;
            Ok(Head { seq, hash })
        }
    }
}

fn to_hash(bytes: &[u8]) -> Option<EntryHash> {
    <[u8; HASH_LEN]>::try_from(bytes).ok().map(EntryHash)
}

/// A row as stored, before its action and payload are interpreted.
struct Raw {
    seq: u64,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
    time_ms: i64,
    actor: String,
    action: String,
    finding_id: Option<String>,
    facts_digest: Option<String>,
    kb_digest: Option<String>,
    engine_version: String,
    model_digest: Option<String>,
    payload: String,
}

impl Raw {
    fn read(r: &rusqlite::Row<'_>) -> Result<Raw, rusqlite::Error> {
        let seq: i64 = r.get(0)?;
        Ok(Raw {
            seq: seq.max(0) as u64,
            prev_hash: r.get(1)?,
            hash: r.get(2)?,
            time_ms: r.get(3)?,
            actor: r.get(4)?,
            action: r.get(5)?,
            finding_id: r.get(6)?,
            facts_digest: r.get(7)?,
            kb_digest: r.get(8)?,
            engine_version: r.get(9)?,
            model_digest: r.get(10)?,
            payload: r.get(11)?,
        })
    }

    fn fields<'a>(&'a self, prev_hash: &'a EntryHash) -> Fields<'a> {
        Fields {
            prev_hash,
            seq: self.seq,
            time_ms: self.time_ms,
            actor: &self.actor,
            action: &self.action,
            finding_id: self.finding_id.as_deref(),
            facts_digest: self.facts_digest.as_deref(),
            kb_digest: self.kb_digest.as_deref(),
            engine_version: &self.engine_version,
            model_digest: self.model_digest.as_deref(),
            payload: &self.payload,
        }
    }

    fn into_entry(self) -> Result<Entry, JournalError> {
        let seq = self.seq;
        let bad = |detail: String| JournalError::BadEntry { seq, detail };
        let prev_hash = to_hash(&self.prev_hash)
            .ok_or_else(|| bad("its previous hash is not 32 bytes".into()))?;
        let hash = to_hash(&self.hash).ok_or_else(|| bad("its hash is not 32 bytes".into()))?;
        let action = Action::parse(&self.action)
            .ok_or_else(|| bad(format!("unknown action `{}`", self.action)))?;
        let payload = Payload::from_json(action, &self.payload)
            .map_err(|e| bad(format!("its payload does not parse: {e}")))?;
        let finding = match (self.finding_id, self.facts_digest) {
            (None, None) => None,
            (Some(id), Some(facts_digest)) => Some(FindingRef { id, facts_digest }),
            _ => {
                return Err(bad(
                    "a finding id without a facts digest, or the reverse".into()
                ))
            }
        };
        Ok(Entry {
            seq,
            prev_hash,
            hash,
            time_ms: self.time_ms,
            actor: self.actor,
            finding,
            context: Context {
                engine_version: self.engine_version,
                kb_digest: self.kb_digest,
                model_digest: self.model_digest,
            },
            payload,
        })
    }
}

fn problem(seq: Option<u64>, kind: ProblemKind, detail: impl Into<String>) -> Problem {
    Problem {
        seq,
        kind,
        detail: detail.into(),
    }
}

/// `verify` inside a transaction (a read snapshot, or `prune`'s write transaction).
fn verify_in(
    conn: &Connection,
    path: &Path,
    expect: Option<&Head>,
) -> Result<Verification, JournalError> {
    let err = |doing: &'static str| {
        move |source| JournalError::Sqlite {
            path: path.to_path_buf(),
            doing,
            source,
        }
    };
    // The latest checkpoint says where the kept entries must start; it is itself checked as
    // part of the chain below.
    let checkpoint: Option<Checkpoint> = conn
        .query_row(
            "SELECT payload FROM entries WHERE action = 'checkpoint' ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .ok()
        .flatten()
        .and_then(|text| serde_json::from_str(&text).ok());

    let mut stmt = conn
        .prepare(&format!("SELECT {COLUMNS} FROM entries ORDER BY seq"))
        .map_err(err("verify the journal"))?;
    let mut rows = stmt.query([]).map_err(err("verify the journal"))?;
    let mut first_problem: Option<Problem> = None;
    let mut head = Head::EMPTY;
    let mut first_seq = 1;
    let mut count = 0u64;
    let mut expected_seq: Option<u64> = None;
    let mut prev = EntryHash::GENESIS;
    let mut hashes_at_expect: Option<EntryHash> = None;
    loop {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => {
                // Damaged pages end the scan; the entry after the last good one is named.
                first_problem = Some(problem(
                    Some(head.seq + 1),
                    ProblemKind::Unreadable,
                    format!("the database cannot be read past entry {}: {e}", head.seq),
                ));
                break;
            }
        };
        let seq_value: i64 = row.get(0).unwrap_or(-1);
        if seq_value < 1 {
            first_problem = Some(problem(
                Some(head.seq + 1),
                ProblemKind::Unreadable,
                format!("an entry has the sequence number {seq_value}, which is not positive"),
            ));
            break;
        }
        let seq = seq_value as u64;
        let raw = match Raw::read(row) {
            Ok(raw) => raw,
            Err(e) => {
                first_problem = Some(problem(
                    Some(seq),
                    ProblemKind::Unreadable,
                    format!("a field cannot be read: {e}"),
                ));
                break;
            }
        };
        match expected_seq {
            None => {
                first_seq = seq;
                if seq == 1 {
                    prev = EntryHash::GENESIS;
                } else {
                    match &checkpoint {
                        Some(c) if c.pruned_through.checked_add(1) == Some(seq) => {
                            match EntryHash::from_hex(&c.pruned_hash) {
                                Some(h) => prev = h,
                                None => {
                                    first_problem = Some(problem(
                                        Some(seq),
                                        ProblemKind::Unreadable,
                                        "the checkpoint's hash of the pruned entries is not 64 hex digits",
                                    ));
                                    break;
                                }
                            }
                        }
                        Some(c) => {
                            first_problem = Some(problem(
                                Some(c.pruned_through.saturating_add(1)),
                                ProblemKind::Missing,
                                format!(
                                    "missing: the latest checkpoint pruned entries up to {} but the journal starts at entry {seq}",
                                    c.pruned_through
                                ),
                            ));
                            break;
                        }
                        None => {
                            first_problem = Some(problem(
                                Some(1),
                                ProblemKind::Missing,
                                format!(
                                    "missing: the journal starts at entry {seq} and no checkpoint records the pruning of entries 1 to {}",
                                    seq - 1
                                ),
                            ));
                            break;
                        }
                    }
                }
            }
            Some(want) if seq != want => {
                let detail = if seq == want + 1 {
                    format!(
                        "missing: entry {want} was deleted (entry {seq} follows entry {})",
                        want - 1
                    )
                } else {
                    format!(
                        "missing: entries {want} to {} were deleted (entry {seq} follows entry {})",
                        seq - 1,
                        want - 1
                    )
                };
                first_problem = Some(problem(Some(want), ProblemKind::Missing, detail));
                break;
            }
            Some(_) => {}
        }
        let stored = to_hash(&raw.hash);
        let stored_prev = to_hash(&raw.prev_hash);
        let (Some(stored), Some(stored_prev)) = (stored, stored_prev) else {
            first_problem = Some(problem(
                Some(seq),
                ProblemKind::Unreadable,
                "a stored hash is not 32 bytes",
            ));
            break;
        };
        if hash_fields(&raw.fields(&stored_prev)) != stored {
            first_problem = Some(problem(
                Some(seq),
                ProblemKind::Changed,
                "changed: its content does not match its hash",
            ));
            break;
        }
        if stored_prev != prev {
            let detail = if seq == first_seq && seq > 1 {
                format!(
                    "broken: it does not follow the pruned entry {} recorded by the checkpoint",
                    seq - 1
                )
            } else if seq == 1 {
                "broken: the first entry does not start the chain".to_string()
            } else {
                format!(
                    "broken: it does not follow entry {} (an entry was changed and rehashed, inserted, deleted or moved)",
                    seq - 1
                )
            };
            first_problem = Some(problem(Some(seq), ProblemKind::Broken, detail));
            break;
        }
        if let Err(e) = raw.into_entry() {
            let detail = match e {
                JournalError::BadEntry { detail, .. } => detail,
                other => other.to_string(),
            };
            first_problem = Some(problem(Some(seq), ProblemKind::Unreadable, detail));
            break;
        }
        if expect.is_some_and(|h| h.seq == seq) {
            hashes_at_expect = Some(stored);
        }
        prev = stored;
        head = Head { seq, hash: stored };
        count += 1;
        expected_seq = Some(seq + 1);
    }
    drop(rows);
    drop(stmt);

    if first_problem.is_none() {
        if let Some(h) = expect {
            first_problem = check_head(h, &head, first_seq, checkpoint.as_ref(), hashes_at_expect);
        }
    }
    if first_problem.is_none() {
        first_problem = check_file(conn, path)?;
    }
    Ok(Verification {
        head,
        first_seq,
        entries: count,
        problem: first_problem,
    })
}

fn check_head(
    expect: &Head,
    head: &Head,
    first_seq: u64,
    checkpoint: Option<&Checkpoint>,
    found: Option<EntryHash>,
) -> Option<Problem> {
    if expect.seq == 0 {
        return None;
    }
    if expect.seq > head.seq {
        return Some(problem(
            Some(expect.seq),
            ProblemKind::Head,
            format!(
                "head: the expected head is entry {} but the journal ends at entry {} (its tail was cut)",
                expect.seq, head.seq
            ),
        ));
    }
    let actual = if expect.seq < first_seq {
        match checkpoint {
            Some(c) if c.pruned_through == expect.seq => EntryHash::from_hex(&c.pruned_hash),
            _ => {
                return Some(problem(
                    Some(expect.seq),
                    ProblemKind::Head,
                    format!(
                        "head: the expected head, entry {}, was pruned and cannot be compared; export a newer head",
                        expect.seq
                    ),
                ))
            }
        }
    } else {
        found
    };
    if actual != Some(expect.hash) {
        return Some(problem(
            Some(expect.seq),
            ProblemKind::Head,
            "head: it differs from the expected head (the journal was rewritten from here or before)",
        ));
    }
    None
}

/// File-level checks: SQLite's own page checks, and bytes after the last page (SQLite itself
/// ignores them, so nothing else would notice).
fn check_file(conn: &Connection, path: &Path) -> Result<Option<Problem>, JournalError> {
    let err = |source| JournalError::Sqlite {
        path: path.to_path_buf(),
        doing: "check the journal's file",
        source,
    };
    let quick: String = conn
        .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
        .map_err(err)?;
    if quick != "ok" {
        return Some(Ok(problem(
            None,
            ProblemKind::File,
            format!("the database file is damaged: {quick}"),
        )))
        .transpose();
    }
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .map_err(err)?;
    let page_count: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .map_err(err)?;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(None);
    };
    // Inside this read transaction no checkpoint can copy pages past this snapshot into the
    // file, so a file longer than the snapshot's pages has had bytes added by something else.
    let len = meta.len();
    let pages = (page_size.max(0) as u64) * (page_count.max(0) as u64);
    if len > pages {
        return Ok(Some(problem(
            None,
            ProblemKind::File,
            format!(
                "file: {} bytes follow the last page of the database (bytes were appended)",
                len - pages
            ),
        )));
    }
    Ok(None)
}
