//! The files below a directory, recursively, sorted by path: the one directory walk behind
//! the knowledge base (`.dl` files, for `sphere`, its build script and `sphere-codegen`) and
//! the rule tests (`.test.json`). Standard library only, so that the build script and
//! `crates/codegen` include this very file (`#[path]`) rather than a copy.
//!
//! Symbolic links are followed, but no directory is read twice: a link back to a directory
//! that contains it (`ln -s . knowledge/self`) would otherwise be walked forever, and a second
//! way to the same directory would read its files twice (every rule of them "declared
//! twice"). Either is an error that names the link and where it leads.

use std::path::{Path, PathBuf};

/// Every file below `dir` whose path `keep` accepts, sorted by path.
pub fn files_below(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    // Every directory read so far, as its canonical path, with the path it was read by.
    let mut seen: Vec<(PathBuf, PathBuf)> = Vec::new();
    // Directories still to read: (path as reached, canonical path, the directories above it).
    let root = std::fs::canonicalize(dir)?;
    let mut todo = vec![(dir.to_path_buf(), root, Vec::<PathBuf>::new())];
    while let Some((path, real, above)) = todo.pop() {
        if let Some((_, first)) = seen.iter().find(|(r, _)| *r == real) {
            let why = if above.contains(&real) {
                format!(
                    "`{}` is a symbolic link back to `{}`, which contains it (a loop)",
                    path.display(),
                    first.display()
                )
            } else {
                format!(
                    "`{}` leads to `{}`, which is read already (its files would count twice)",
                    path.display(),
                    first.display()
                )
            };
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{why}: remove the symbolic link, each directory is read once"),
            ));
        }
        seen.push((real.clone(), path.clone()));
        let mut entries = Vec::new();
        for e in std::fs::read_dir(&path)? {
            entries.push(e?.path());
        }
        // Sorted, so that of two ways to one directory the first by path is the one read.
        entries.sort();
        let mut below = above.clone();
        below.push(real);
        let mut dirs = Vec::new();
        for p in entries {
            if p.is_dir() {
                let real = std::fs::canonicalize(&p)?;
                dirs.push((p, real, below.clone()));
            } else if keep(&p) {
                out.push(p);
            }
        }
        // Depth first, in path order.
        todo.extend(dirs.into_iter().rev());
    }
    out.sort();
    Ok(out)
}

/// Whether `p` is a rule file (`.dl`).
pub fn is_dl(p: &Path) -> bool {
    p.extension().is_some_and(|x| x == "dl")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sphere-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("a/b")).expect("temporary directory");
        std::fs::write(dir.join("a/one.dl"), "").expect("writable");
        std::fs::write(dir.join("a/b/two.dl"), "").expect("writable");
        std::fs::write(dir.join("a/b/notes.txt"), "").expect("writable");
        dir
    }

    #[test]
    fn files_come_sorted_and_filtered() {
        let dir = tree("plain");
        let got = files_below(&dir, &is_dl).expect("readable");
        assert_eq!(got, [dir.join("a/b/two.dl"), dir.join("a/one.dl")]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_back_up_is_a_loop_not_thousands_of_files() {
        let dir = tree("loop");
        std::os::unix::fs::symlink(".", dir.join("a/self")).expect("symlink");
        let err = files_below(&dir, &is_dl).expect_err("a loop");
        let msg = err.to_string();
        assert!(
            msg.contains("a/self` is a symbolic link back to")
                && msg.contains("which contains it (a loop)"),
            "{msg}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn two_links_to_each_other_end_instead_of_hanging() {
        let dir = tree("cross");
        std::fs::create_dir_all(dir.join("c")).expect("directory");
        std::os::unix::fs::symlink("../c", dir.join("a/to_c")).expect("symlink");
        std::os::unix::fs::symlink("../a", dir.join("c/to_a")).expect("symlink");
        let err = files_below(&dir, &is_dl).expect_err("a loop");
        assert!(err.to_string().contains("(a loop)"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_second_way_to_a_directory_is_refused() {
        let dir = tree("twice");
        std::os::unix::fs::symlink("a/b", dir.join("again")).expect("symlink");
        let err = files_below(&dir, &is_dl).expect_err("read twice");
        let msg = err.to_string();
        assert!(msg.contains("which is read already"), "{msg}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_directory_elsewhere_is_read() {
        let dir = tree("elsewhere");
        let other = tree("elsewhere-target");
        std::os::unix::fs::symlink(other.join("a/b"), dir.join("linked")).expect("symlink");
        let got = files_below(&dir, &is_dl).expect("readable");
        assert_eq!(
            got,
            [
                dir.join("a/b/two.dl"),
                dir.join("a/one.dl"),
                dir.join("linked/two.dl")
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&other);
    }
}
