//! Writing output files: all or nothing, and never through a planted link. The one writer of
//! every file sphere writes under a path it was given (`gen -o`, `remedies -o`, `facts -D`,
//! `eval -D`, `kb export`).
//!
//! A file is written in full under a temporary name that `tempfile` creates exclusively
//! (`O_EXCL`, a random name, owner-only permissions) in the target folder, synced, and only
//! then renamed over the target, so a reader sees the old file or the new one, never a part;
//! a link planted at a predictable name cannot redirect the write. A set of files is first
//! written in full into a temporary folder inside the target folder, then renamed into place
//! one by one (renames within one folder do not fail for want of space); should one fail
//! anyway, the error names what was replaced and what was not.
//!
//! Temporary paths are registered while they exist, so that the command line's handler of
//! SIGINT and SIGTERM can remove them ([`remove_temporaries`]) before the process ends. After
//! [`cancel`] no write moves anything into place: it removes its temporaries and fails. The
//! moves of a set into place hold a lock that [`remove_temporaries`] waits for, so a process
//! ended by a signal leaves the old set or the new one, never a mix.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static CANCELLED: AtomicBool = AtomicBool::new(false);
/// Held while files are moved into place.
static MOVING: Mutex<()> = Mutex::new(());

/// From now on, writes move nothing into place: each removes its temporary files and fails
/// with [`INTERRUPTED`]. For a signal handler that lets the command end by itself.
pub fn cancel() {
    CANCELLED.store(true, Ordering::SeqCst);
}

/// Whether [`cancel`] was called.
pub fn cancelled() -> bool {
    CANCELLED.load(Ordering::SeqCst)
}

/// The message of a write that [`cancel`] stopped.
pub const INTERRUPTED: &str =
    "interrupted by a signal; nothing was written, the old files are as they were";

fn register(p: &Path) {
    if let Ok(mut t) = TEMPORARIES.lock() {
        t.push(p.to_path_buf());
    }
}

fn unregister(p: &Path) {
    if let Ok(mut t) = TEMPORARIES.lock() {
        t.retain(|x| x != p);
    }
}

/// Removes every temporary file and folder of a write still under way. For a signal handler:
/// the process ends right after.
pub fn remove_temporaries() {
    // Files being moved into place are all moved first.
    let _moving = MOVING.lock();
    let paths = match TEMPORARIES.lock() {
        Ok(mut t) => std::mem::take(&mut *t),
        Err(_) => return,
    };
    for p in paths {
        if p.is_dir() {
            let _ = std::fs::remove_dir_all(&p);
        } else {
            let _ = std::fs::remove_file(&p);
        }
    }
}

/// Why an output could not be written.
#[derive(Debug)]
pub struct WriteError {
    /// The file or folder it is about.
    pub path: PathBuf,
    /// What failed, and what was left.
    pub message: String,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for WriteError {}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes the file `path` with what `write` produces: all of it or, on any error, nothing (the
/// old file, if any, stays as it was).
pub fn write_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let fail = |what: &str, e: std::io::Error| WriteError {
        path: path.to_path_buf(),
        message: format!("cannot {what}: {e}; the file was left as it was"),
    };
    let folder = folder_of(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".sphere-")
        .suffix(".tmp")
        .tempfile_in(folder)
        .map_err(|e| fail("create a temporary file beside it", e))?;
    register(tmp.path());
    let result = (|| {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        write(&mut w)?;
        w.flush()?;
        drop(w);
        tmp.as_file().sync_all()
    })();
    let tmp_path = tmp.path().to_path_buf();
    let result = result.map_err(|e| fail("write", e)).and_then(|()| {
        let _moving = MOVING.lock();
        if cancelled() {
            return Err(WriteError {
                path: path.to_path_buf(),
                message: INTERRUPTED.to_string(),
            });
        }
        tmp.persist(path)
            .map(drop)
            .map_err(|e| fail("move the new file into place", e.error))
    });
    // On error, `tmp` was dropped above and removed the file.
    unregister(&tmp_path);
    result
}

/// Writes the files `files` (name, bytes; a name may have folders: `answer/a.csv`) into
/// `dir`, creating it if needed: every file is
/// written in full before any is moved into place. Then files named by `stale` (earlier
/// outputs of the same kind that this set no longer has) are removed. Returns the names of
/// the stale files removed.
pub fn write_files(
    dir: &Path,
    files: &[(String, Vec<u8>)],
    stale: impl Fn(&str) -> bool,
) -> Result<Vec<String>, WriteError> {
    let fail = |path: &Path, message: String| WriteError {
        path: path.to_path_buf(),
        message,
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| fail(dir, format!("cannot create the folder: {e}")))?;
    let staging = tempfile::Builder::new()
        .prefix(".sphere-")
        .suffix(".tmp")
        .tempdir_in(dir)
        .map_err(|e| {
            fail(
                dir,
                format!("cannot create a temporary folder in it: {e}; nothing was written"),
            )
        })?;
    register(staging.path());
    let staged = (|| {
        for (name, bytes) in files {
            if cancelled() {
                return Err(fail(dir, INTERRUPTED.to_string()));
            }
            let p = staging.path().join(name);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    fail(
                        &dir.join(name),
                        format!("cannot write: {e}; nothing was written, the folder is as it was"),
                    )
                })?;
            }
            let written = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&p)
                .and_then(|mut f| {
                    f.write_all(bytes)?;
                    f.sync_all()
                });
            if let Err(e) = written {
                return Err(fail(
                    &dir.join(name),
                    format!("cannot write: {e}; nothing was written, the folder is as it was"),
                ));
            }
        }
        Ok(())
    })();
    // What would make a rename fail is looked for before the first: a folder where a file
    // goes (a rename can still fail after this, for reasons outside sphere, and says so).
    let staged = staged.and_then(|()| {
        for (name, _) in files {
            let target = dir.join(name);
            if target.is_dir() {
                return Err(fail(&target, "a folder is in the way of the file; nothing was written, the folder is as it was".into()));
            }
        }
        Ok(())
    });
    let moving = MOVING.lock();
    let staged = staged.and_then(|()| {
        if cancelled() {
            return Err(fail(dir, INTERRUPTED.to_string()));
        }
        Ok(())
    });
    let moved = staged.and_then(|()| {
        for (i, (name, _)) in files.iter().enumerate() {
            let target = dir.join(name);
            let renamed = match target.parent() {
                Some(parent) => std::fs::create_dir_all(parent),
                None => Ok(()),
            }
            .and_then(|()| std::fs::rename(staging.path().join(name), &target));
            if let Err(e) = renamed {
                let done: Vec<&str> = files[..i].iter().map(|(n, _)| n.as_str()).collect();
                return Err(fail(
                    &dir.join(name),
                    format!(
                        "cannot move the new file into place: {e}; replaced already: {}; the others are as they were",
                        if done.is_empty() { "none".to_string() } else { done.join(", ") }
                    ),
                ));
            }
        }
        Ok(())
    });
    drop(moving);
    unregister(staging.path());
    let _ = staging.close();
    moved?;
    let mut removed = Vec::new();
    let keep: std::collections::BTreeSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !keep.contains(n.as_str()) && stale(n))
            .collect();
        names.sort();
        for n in names {
            if std::fs::remove_file(dir.join(&n)).is_ok() {
                removed.push(n);
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(name)
            .tempdir()
            .expect("temporary folder")
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = scratch("out-file");
        let p = dir.path().join("m.json");
        std::fs::write(&p, "old").expect("writable");
        let e = write_file(&p, |w: &mut dyn Write| {
            w.write_all(b"new, half")?;
            Err(std::io::Error::other("disk full"))
        })
        .expect_err("fails");
        assert!(
            e.message.contains("disk full") && e.message.contains("left as it was"),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&p).expect("readable"), "old");
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
        write_file(&p, |w: &mut dyn Write| w.write_all(b"new")).expect("writes");
        assert_eq!(std::fs::read_to_string(&p).expect("readable"), "new");
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_at_an_old_temporary_name_is_not_followed() {
        let dir = scratch("out-link");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").expect("writable");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).expect("dir");
        // The names the writers used before (`.<name>.<pid>.tmp`, `.<name>.tmp<pid>`).
        let pid = std::process::id();
        for name in [format!(".a.csv.{pid}.tmp"), format!(".a.csv.tmp{pid}")] {
            std::os::unix::fs::symlink(&victim, out.join(name)).expect("link");
        }
        write_files(&out, &[("a.csv".into(), b"1\n".to_vec())], |_| false).expect("writes");
        assert_eq!(
            std::fs::read_to_string(&victim).expect("readable"),
            "precious"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("a.csv")).expect("written"),
            "1\n"
        );
    }

    #[test]
    fn stale_files_named_so_are_removed_after_the_set_is_in_place() {
        let dir = scratch("out-stale");
        std::fs::write(dir.path().join("gone.facts"), "x\n").expect("writable");
        std::fs::write(dir.path().join("notes.txt"), "mine\n").expect("writable");
        let removed = write_files(dir.path(), &[("a.facts".into(), vec![])], |n| {
            n.ends_with(".facts")
        })
        .expect("writes");
        assert_eq!(removed, ["gone.facts"]);
        assert!(dir.path().join("notes.txt").exists());
        assert!(dir.path().join("a.facts").exists());
    }
}
