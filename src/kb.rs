//! The knowledge base: the shipped one (embedded at build time) or one read from a directory,
//! plus extra rule files given with `--rules`.

use std::path::PathBuf;

include!(concat!(env!("OUT_DIR"), "/kb_files.rs"));

/// One knowledge source: a display name (`knowledge/gdpr/norms.dl`) and its text.
#[derive(Clone, Debug)]
pub struct Source {
    /// Shown in diagnostics: the path as the user can open it.
    pub name: String,
    /// Path below the knowledge directory, `/`-separated: the same for the shipped and an
    /// on-disk copy, so digests agree.
    pub rel: String,
    pub text: String,
}

/// Where the knowledge base comes from.
#[derive(Clone, Debug, Default)]
pub enum Origin {
    /// Embedded in the binary at build time.
    #[default]
    Shipped,
    /// Read from a directory now.
    Dir(PathBuf),
}

/// The knowledge base's files, sorted by name.
pub fn sources(origin: &Origin) -> Result<Vec<Source>, String> {
    match origin {
        Origin::Shipped => Ok(KB_FILES
            .iter()
            .map(|(name, text)| Source {
                name: format!("knowledge/{name}"),
                rel: (*name).to_string(),
                text: (*text).to_string(),
            })
            .collect()),
        Origin::Dir(dir) => {
            let files = crate::files::files_below(dir, &crate::files::is_dl)
                .map_err(|e| format!("cannot read knowledge directory {}: {e}", dir.display()))?;
            if files.is_empty() {
                return Err(format!("no .dl files under {}", dir.display()));
            }
            let mut out = Vec::new();
            for f in files {
                let text = std::fs::read_to_string(&f)
                    .map_err(|e| format!("cannot read {}: {e}", f.display()))?;
                let rel = f
                    .strip_prefix(dir)
                    .unwrap_or(&f)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(Source {
                    name: f.display().to_string(),
                    rel,
                    text,
                });
            }
            Ok(out)
        }
    }
}

/// A digest of the knowledge base (names and texts), for `kb_digest` in reports.
pub fn digest(sources: &[Source]) -> String {
    let mut h = crate::digest::Fnv::default();
    for s in sources {
        h.write(s.rel.as_bytes())
            .write(&[0])
            .write(s.text.as_bytes())
            .write(&[0]);
    }
    h.hex()
}
