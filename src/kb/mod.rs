//! The knowledge base as a value: its files (the shipped ones, embedded into the binary at
//! build time, or a directory), any extra rules, compiled once into a [`Program`] and reused
//! for any number of evaluations. It also answers the questions a front end asks of the
//! catalogue: a norm's versions, the rules citing it, authorities, relation names.
//!
//! This is the one place that loads and compiles a knowledge base: `sphere check`, `explain`,
//! the rule tests, the `kb` tools and the graph all come through [`KnowledgeBase::builder`].

pub mod german;
pub mod lint;
pub mod testing;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sphere_engine::diag::Diagnostic;
use sphere_engine::ir::legal::{Authority, Catalogue, NormRef, NormVersion, RuleMeta};
use sphere_engine::ir::lower::resolve_ref;
use sphere_engine::ir::Program;
use sphere_engine::{compile, CompileOptions, Date, SourceMap, Span, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::texts::Texts;

include!(concat!(env!("OUT_DIR"), "/kb_files.rs"));

/// One file of the knowledge base: a display name (`knowledge/gdpr/norms.dl`) and its text.
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// Embedded in the binary at build time.
    #[default]
    Shipped,
    /// Read from a directory when loaded.
    Dir(PathBuf),
}

/// The knowledge base's files, sorted by name.
pub fn sources(origin: &Origin) -> Result<Vec<Source>> {
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
            let io =
                |en: String, de: String| Error::texts(ErrorKind::Io, crate::Texts::new(en, de));
            let files = crate::files::files_below(dir, &crate::files::is_dl).map_err(|e| {
                io(
                    format!("cannot read knowledge directory {}: {e}", dir.display()),
                    format!(
                        "das Verzeichnis der Wissensbasis {} lässt sich nicht lesen",
                        dir.display()
                    ),
                )
            })?;
            if files.is_empty() {
                return Err(io(
                    format!("no .dl files under {}", dir.display()),
                    format!("keine .dl-Dateien unter {}", dir.display()),
                ));
            }
            let mut out = Vec::new();
            for f in files {
                let text = std::fs::read_to_string(&f).map_err(|e| {
                    io(
                        format!("cannot read {}: {e}", f.display()),
                        format!("{} lässt sich nicht lesen", f.display()),
                    )
                })?;
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

/// Extra rules evaluated with the knowledge base.
#[derive(Clone, Debug)]
enum Extra {
    File(PathBuf),
    Text { name: String, text: String },
}

/// How to load a knowledge base: [`KnowledgeBase::builder`].
#[derive(Clone, Debug, Default)]
pub struct Builder {
    origin: Origin,
    extra: Vec<Extra>,
}

impl Builder {
    /// Read the knowledge base from this directory instead of the shipped one.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.origin = Origin::Dir(dir.into());
        self
    }

    /// The shipped knowledge base or a directory.
    pub fn origin(mut self, origin: Origin) -> Builder {
        self.origin = origin;
        self
    }

    /// Add a rules file, evaluated with the knowledge base (by the interpreter).
    pub fn rules_file(mut self, path: impl Into<PathBuf>) -> Builder {
        self.extra.push(Extra::File(path.into()));
        self
    }

    /// Add rules given as text; `name` is what diagnostics call the text.
    pub fn rules_text(mut self, name: impl Into<String>, text: impl Into<String>) -> Builder {
        self.extra.push(Extra::Text {
            name: name.into(),
            text: text.into(),
        });
        self
    }

    /// Reads and compiles everything. Every diagnostic of every file is in the error.
    pub fn build(self) -> Result<KnowledgeBase> {
        let files = sources(&self.origin)?;
        let digest = digest(&files);
        let mut map = SourceMap::new();
        let mut rels = Vec::with_capacity(files.len());
        for s in files {
            map.add(s.name, s.text);
            rels.push(s.rel);
        }
        for e in &self.extra {
            match e {
                Extra::File(f) => {
                    let text = std::fs::read_to_string(f).map_err(|e| {
                        Error::texts(
                            ErrorKind::Io,
                            crate::Texts::new(
                                format!("cannot read rules file {}: {e}", f.display()),
                                format!("die Regeldatei {} lässt sich nicht lesen", f.display()),
                            ),
                        )
                        .with_hint_texts(crate::Texts::new(
                            "check the path given to --rules",
                            "den bei --rules angegebenen Pfad prüfen",
                        ))
                    })?;
                    map.add(f.display().to_string(), text);
                }
                Extra::Text { name, text } => {
                    map.add(name.clone(), text.clone());
                }
            }
        }
        let compiled = compile(&map, &CompileOptions::default());
        let Some(program) = compiled.program else {
            return Err(Error::diagnostics(
                ErrorKind::Rules,
                compiled.diagnostics,
                map,
            ));
        };
        let compiled_code = sphere_kb_compiled::KB.matches(&program).map_err(|e| {
            let code = sphere_kb_compiled::KB.code;
            crate::Texts::new(
                e.to_string(),
                format!(
                    "das kompilierte Programm wurde aus einer anderen Fassung von {} erzeugt (Prüfsumme {:016x}, dieses Programm {:016x})",
                    code.source,
                    code.digest,
                    sphere_engine::eval::native::program_digest(&program)
                ),
            )
        });
        Ok(KnowledgeBase {
            origin: self.origin,
            rels,
            extra_rules: !self.extra.is_empty(),
            sources: map,
            program,
            digest,
            warnings: compiled.diagnostics,
            compiled: compiled_code,
            locality: std::sync::OnceLock::new(),
        })
    }
}

/// A compiled knowledge base: parsed, resolved and checked once, then evaluated on any number
/// of models. `Send + Sync`, so a server shares one in an `Arc`.
#[derive(Debug)]
pub struct KnowledgeBase {
    origin: Origin,
    /// Path below the knowledge directory of each knowledge file, by file id (extra rule
    /// files follow them in `sources` and have none).
    rels: Vec<String>,
    extra_rules: bool,
    sources: SourceMap,
    program: Program,
    digest: String,
    warnings: Vec<Diagnostic>,
    /// Whether the compiled back end (`crates/kb-compiled`) was generated from this program.
    compiled: std::result::Result<(), crate::Texts>,
    /// The locality of its rules, analysed on first use.
    locality: std::sync::OnceLock<std::sync::Arc<crate::locality::Locality>>,
}

impl KnowledgeBase {
    /// How to load one: the shipped knowledge base unless a directory is given, plus extra
    /// rules.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The shipped knowledge base.
    pub fn shipped() -> Result<KnowledgeBase> {
        Self::builder().build()
    }

    /// The knowledge base in a directory.
    pub fn from_dir(dir: impl Into<PathBuf>) -> Result<KnowledgeBase> {
        Self::builder().dir(dir).build()
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Whether rules beyond the knowledge base's own files were added.
    pub fn has_extra_rules(&self) -> bool {
        self.extra_rules
    }

    /// The resolved program (the knowledge base's rules and any extra rules).
    /// The locality of the rules: whether a change to some data subjects' records can be
    /// evaluated on their components alone (analysed once).
    pub fn locality(&self) -> std::sync::Arc<crate::locality::Locality> {
        std::sync::Arc::clone(
            self.locality.get_or_init(|| {
                std::sync::Arc::new(crate::locality::Locality::analyse(&self.program))
            }),
        )
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The source files, for rendering diagnostics and locating rules.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// The digest of the knowledge base's files (without extra rules): `kb_digest`.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Warnings of the compiler (errors stop [`Builder::build`]).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// `Ok` when the compiled back end was generated from exactly this program, so it can
    /// evaluate it; else why not (another knowledge base, extra rules, stale generated code).
    pub fn compiled(&self) -> std::result::Result<(), &str> {
        self.compiled
            .as_ref()
            .map(|_| ())
            .map_err(|t| t.en.as_str())
    }

    /// Why the compiled back end cannot evaluate this program, in English and German; `None`
    /// when it can.
    pub fn compiled_reason(&self) -> Option<&crate::Texts> {
        self.compiled.as_ref().err()
    }

    /// Norms, authorities and rule annotations.
    pub fn catalogue(&self) -> &Catalogue {
        &self.program.legal
    }

    /// `file:line:col` of a span, the file as the user can open it.
    pub fn location(&self, span: Span) -> String {
        self.sources.location(span)
    }

    /// The path below the knowledge directory of the file a span is in (`?` for extra rules).
    pub fn rel(&self, span: Span) -> &str {
        self.rels
            .get(span.file.0 as usize)
            .map_or("?", String::as_str)
    }

    /// `knowledge/<rel>:line:col`: the same wherever the directory is.
    pub fn place(&self, span: Span) -> String {
        let (l, c) = self.sources.line_col(span.file, span.start);
        format!("knowledge/{}:{l}:{c}", self.rel(span))
    }

    /// The versions of the norm `id`, oldest first.
    pub fn norm(&self, id: &str) -> Vec<&NormVersion> {
        self.catalogue()
            .norms
            .iter()
            .filter(|n| n.id == id)
            .collect()
    }

    /// The norm versions a query names, as indexes into the catalogue's norms: an id
    /// (`uwg:7.2.2`, every version), a version (`uwg:7.2.2@2008-12-30`) or, where no id
    /// matches, a prefix on unit boundaries (`gdpr:6`). An error says what was meant.
    pub fn find_norms(&self, query: &str) -> Result<Vec<usize>> {
        let norms = &self.catalogue().norms;
        let (id, version) = match query.split_once('@') {
            Some((i, v)) => {
                let d = Date::parse(v).ok_or_else(|| {
                    Error::texts(
                        ErrorKind::Usage,
                        Texts::new(format!("`{v}` is not a date"), format!("`{v}` ist kein Datum")),
                    )
                    .with_hint_texts(Texts::new(
                        "pin a version as `<id>@YYYY-MM-DD`, e.g. `uwg:7.2.2@2008-12-30`",
                        "eine Fassung als `<Kennung>@JJJJ-MM-TT` wählen, z. B. `uwg:7.2.2@2008-12-30`",
                    ))
                })?;
                (i, Some(d))
            }
            None => (query, None),
        };
        let exact: Vec<usize> = (0..norms.len())
            .filter(|&i| norms[i].id == id && version.is_none_or(|d| norms[i].from == d))
            .collect();
        let picked: Vec<usize> = if exact.is_empty() && version.is_none() {
            (0..norms.len())
                .filter(|&i| norm_prefix(id, &norms[i].id))
                .collect()
        } else {
            exact
        };
        if picked.is_empty() {
            let ids: BTreeSet<&str> = norms.iter().map(|n| n.id.as_str()).collect();
            let hint = match crate::did_you_mean(id, ids.iter().copied()) {
                Some(s) => crate::did_you_mean_texts(&s),
                None => Texts::new(
                    "ids look like `gdpr:6.1.f` or `uwg:7.2.2`; a prefix like `gdpr:6` shows every provision below it",
                    "Kennungen sehen aus wie `gdpr:6.1.f` oder `uwg:7.2.2`; ein Präfix wie `gdpr:6` zeigt alle Vorschriften darunter",
                ),
            };
            return Err(Error::texts(
                ErrorKind::Usage,
                Texts::new(
                    format!("no norm `{query}` in the catalogue"),
                    format!("keine Norm `{query}` im Katalog"),
                ),
            )
            .with_hint_texts(hint));
        }
        Ok(picked)
    }

    /// For every norm version (by index), the rules citing it (directly or along its
    /// replacement chain) and the reference they wrote, sorted by rule id.
    pub fn citing_rules(&self) -> BTreeMap<usize, Vec<(&RuleMeta, &NormRef)>> {
        let legal = self.catalogue();
        let mut out: BTreeMap<usize, Vec<(&RuleMeta, &NormRef)>> = BTreeMap::new();
        for m in &legal.rule_meta {
            for r in &m.norms {
                if let Some(i) = resolve_ref(&legal.norms, r) {
                    for j in chain(&legal.norms, i) {
                        out.entry(j).or_default().push((m, r));
                    }
                }
            }
        }
        for v in out.values_mut() {
            v.sort_by(|a, b| a.0.id.cmp(&b.0.id));
            v.dedup_by(|a, b| a.0.id == b.0.id);
        }
        out
    }

    /// The annotated rules citing any version of the norm `id` (or a provision below it),
    /// sorted by rule id.
    pub fn rules_citing(&self, id: &str) -> Vec<&RuleMeta> {
        let mut out: Vec<&RuleMeta> = self
            .catalogue()
            .rule_meta
            .iter()
            .filter(|m| m.norms.iter().any(|r| norm_prefix(id, &r.id)))
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// The annotated rule `id`.
    pub fn rule(&self, id: &str) -> Option<&RuleMeta> {
        self.catalogue().rule_meta.iter().find(|m| m.id == id)
    }

    /// Every authority (rulings, guidance, company guidelines).
    pub fn authorities(&self) -> &[Authority] {
        &self.catalogue().authorities
    }

    /// The authority `id`.
    pub fn authority(&self, id: &str) -> Option<&Authority> {
        self.authorities().iter().find(|a| a.id == id)
    }

    /// The names of the relations a user can write (not the ones lowering generates), sorted:
    /// for completion in a REPL.
    pub fn relation_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .program
            .relations
            .iter()
            .filter(|r| !r.generated)
            .map(|r| r.name.as_str())
            .collect();
        out.sort_unstable();
        out
    }

    /// The member states of the EU and the EEA (ISO 3166 alpha-2), as the knowledge base's
    /// relation `eea` lists them: the one list, which the rules on transfers use and the
    /// data-flow graph asks.
    pub fn eea(&self) -> BTreeSet<String> {
        let Some(rel) = self.program.relation_by_name("eea") else {
            return BTreeSet::new();
        };
        self.program
            .facts
            .iter()
            .filter(|f| f.rel == rel)
            .filter_map(|f| match f.values.first() {
                Some(Value::Sym(s)) => Some(self.program.interner.resolve(*s).to_string()),
                _ => None,
            })
            .collect()
    }

    /// The knowledge directory a `Dir` knowledge base was read from.
    pub fn dir(&self) -> Option<&Path> {
        match &self.origin {
            Origin::Dir(d) => Some(d),
            Origin::Shipped => None,
        }
    }
}

/// `prefix` names `id` or a provision inside it: `gdpr:6` matches `gdpr:6` and `gdpr:6.1.f`,
/// not `gdpr:60`.
pub fn norm_prefix(prefix: &str, id: &str) -> bool {
    id == prefix
        || id
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The versions reachable from `start` along `replaced_by`, in either direction.
pub fn chain(norms: &[NormVersion], start: usize) -> Vec<usize> {
    let next: Vec<Option<usize>> = norms
        .iter()
        .map(|n| n.replaced_by.as_ref().and_then(|r| resolve_ref(norms, r)))
        .collect();
    let mut seen = vec![false; norms.len()];
    let mut stack = vec![start];
    seen[start] = true;
    while let Some(i) = stack.pop() {
        let around: Vec<usize> = next[i]
            .into_iter()
            .chain((0..norms.len()).filter(|&j| next[j] == Some(i)))
            .collect();
        for j in around {
            if !seen[j] {
                seen[j] = true;
                stack.push(j);
            }
        }
    }
    (0..norms.len()).filter(|&i| seen[i]).collect()
}

/// `id@date` as written in an annotation, or the bare id.
pub fn ref_text(r: &NormRef) -> String {
    match r.version {
        Some(d) => format!("{}@{d}", r.id),
        None => r.id.clone(),
    }
}

/// The version of a cited norm in force on `date`: the cited version or one reachable from it
/// along `replaced_by`, in either direction.
pub fn version_at<'a>(
    norms: &'a [NormVersion],
    r: &NormRef,
    date: Date,
) -> Option<&'a NormVersion> {
    let start = resolve_ref(norms, r)?;
    sphere_engine::ir::lower::chain_members(norms, start)
        .into_iter()
        .map(|i| &norms[i])
        .find(|n| n.in_force(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_knowledge_base_is_shareable_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<KnowledgeBase>();
    }

    #[test]
    fn the_shipped_knowledge_base_runs_compiled_and_lists_the_eea() {
        let kb = KnowledgeBase::shipped().expect("the shipped knowledge base compiles");
        assert_eq!(kb.compiled(), Ok(()));
        let eea = kb.eea();
        assert_eq!(eea.len(), 30, "27 member states and 3 EEA states");
        assert!(eea.contains("DE") && eea.contains("NO") && eea.contains("IS"));
        assert!(!eea.contains("US") && !eea.contains("CH") && !eea.contains("GB"));
    }

    #[test]
    fn norms_are_found_by_id_version_and_prefix_with_a_hint_otherwise() {
        let kb = KnowledgeBase::shipped().expect("compiles");
        let all = kb.find_norms("uwg:7.2.2").expect("known");
        assert_eq!(all.len(), kb.norm("uwg:7.2.2").len());
        assert!(all.len() > 1, "the phone rule changed number over time");
        let one = kb.find_norms("uwg:7.2.2@2008-12-30").expect("a version");
        assert_eq!(one.len(), 1);
        let below = kb.find_norms("gdpr:6").expect("a prefix");
        assert!(below
            .iter()
            .all(|&i| kb.catalogue().norms[i].id.starts_with("gdpr:6")));
        let e = kb.find_norms("uwg:7.2.22").expect_err("unknown");
        assert_eq!(e.hint(), Some("did you mean `uwg:7.2.2`?"));
        assert!(!kb.rules_citing("uwg:7.2").is_empty());
        assert!(kb.relation_names().contains(&"activity"));
        assert!(!kb.relation_names().contains(&"finding_raw"));
    }
}
