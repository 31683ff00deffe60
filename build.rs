//! Embeds the knowledge base (`knowledge/**/*.dl`) into the binary, so `sphere check` works
//! from any directory; `--kb DIR` reads a knowledge base from disk instead.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "src/files.rs"]
mod files;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    println!("cargo:rerun-if-changed=knowledge");
    let files = files::files_below(&root, &files::is_dl).expect("knowledge/ is readable");
    let mut out = String::from(
        "/// The shipped knowledge base: (path below `knowledge/`, text), sorted by path.\n",
    );
    out.push_str("pub static KB_FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .expect("below knowledge/")
            .to_string_lossy()
            .replace('\\', "/");
        let _ = writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("kb_files.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
