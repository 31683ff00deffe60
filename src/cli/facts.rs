//! `sphere facts`: write the facts extracted from a model as a `sphere-facts/1` directory
//! (one tab-separated `<relation>.facts` per input relation, Soufflé's convention).

use std::io::Write;
use std::path::PathBuf;

use sphere_model::{extract, write_facts_dir};

use super::{exit, CliError, CmdResult};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  sphere facts facts/s10_newsletter_selection.json -D out/s10\n  \
    sphere facts company.json activities.json -D export\n\n\
    The layout (FORMAT file, one <relation>.facts per relation of knowledge/model.dl, \
    escaping of tabs, newlines and backslashes) is described in docs/model.md. \
    `sphere check --facts DIR` reads such a directory back."
)]
pub struct Args {
    /// Model files (JSON, sphere-model/1); several files are merged into one model
    #[arg(required = true, value_name = "MODEL")]
    pub models: Vec<PathBuf>,
    /// Output directory: created if absent; an earlier facts export is replaced
    #[arg(short = 'D', long = "output-dir", value_name = "DIR")]
    pub dir: PathBuf,
}

pub fn run(args: Args) -> CmdResult {
    let model = super::graph::load_models(&args.models)?;
    let facts = extract(&model);
    let files = write_facts_dir(&facts, &args.dir).map_err(|e| {
        let mut c = CliError::new(format!("{}: {}", e.file, e.message));
        c.hint = e.hint;
        c
    })?;
    let _ = writeln!(
        std::io::stderr().lock(),
        "wrote {} facts in {files} files to {}",
        facts.len(),
        args.dir.display()
    );
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use crate::findings::{self, Lang};
    use crate::kb;
    use crate::session::{Request, Session};

    fn request(models: Vec<PathBuf>, facts_dir: Option<PathBuf>) -> Request {
        Request {
            models,
            facts_dir,
            as_of: None,
            kb: kb::Origin::Shipped,
            rules: Vec::new(),
            assume: Vec::new(),
            today: sphere_engine::Date::parse("2025-01-01").expect("date"),
            color: false,
        }
    }

    /// The findings of one evaluation, reduced to what must not depend on the input form.
    fn findings_of(req: &Request) -> Vec<String> {
        let session = Session::load(req).unwrap_or_else(|f| panic!("{}", f.rendered));
        let (ev, origins) = session.evaluate().expect("evaluates");
        let opts = findings::Options {
            lang: Lang::En,
            tree: false,
        };
        let mut out: Vec<String> = findings::collect(&ev, &origins, &opts)
            .iter()
            .map(|f| {
                let norms: Vec<&str> = f.norms.iter().map(|n| n.id.as_str()).collect();
                format!(
                    "{} {} {:?} {} {} {norms:?} {}",
                    f.rule,
                    f.about(),
                    f.subjects,
                    f.date,
                    f.decision,
                    f.message
                )
            })
            .collect();
        out.sort();
        out
    }

    /// Issue 3, item 4: model → facts → check gives the same findings as checking the model.
    #[test]
    fn a_facts_export_gives_the_same_findings_as_its_model() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut models: Vec<PathBuf> = std::fs::read_dir(root.join("facts"))
            .expect("facts/")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        models.sort();
        let dir =
            std::env::temp_dir().join(format!("sphere-facts-roundtrip-{}", std::process::id()));
        let mut total = 0;
        for model in models {
            let _ = std::fs::remove_dir_all(&dir);
            let direct = findings_of(&request(vec![model.clone()], None));
            let loaded = sphere_model::load_paths(
                &[&model],
                sphere_model::Date::parse("2025-01-01").expect("date"),
            )
            .expect("demo models are valid");
            sphere_model::write_facts_dir(&sphere_model::extract(&loaded), &dir).expect("writes");
            let via_facts = findings_of(&request(Vec::new(), Some(dir.clone())));
            assert_eq!(direct, via_facts, "{}", model.display());
            total += direct.len();
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            total > 0,
            "the demo models produce findings, so the comparison means something"
        );
    }
}
