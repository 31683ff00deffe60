//! The files below a directory, recursively, sorted by path: the one directory walk behind
//! the knowledge base (`.dl` files, for `sphere`, its build script and `sphere-codegen`) and
//! the rule tests (`.test.json`). Standard library only, so that the build script and
//! `crates/codegen` include this very file (`#[path]`) rather than a copy.

use std::path::{Path, PathBuf};

/// Every file below `dir` whose path `keep` accepts, sorted by path.
pub fn files_below(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> std::io::Result<Vec<PathBuf>> {
    fn walk(
        dir: &Path,
        keep: &dyn Fn(&Path) -> bool,
        out: &mut Vec<PathBuf>,
    ) -> std::io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let p = e?.path();
            if p.is_dir() {
                walk(&p, keep, out)?;
            } else if keep(&p) {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, keep, &mut out)?;
    out.sort();
    Ok(out)
}

/// Whether `p` is a rule file (`.dl`).
pub fn is_dl(p: &Path) -> bool {
    p.extension().is_some_and(|x| x == "dl")
}
