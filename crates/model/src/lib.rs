//! The company model (see docs/model.md): types, loading and merging, validation, fact
//! extraction and the facts export.
//!
//! Pipeline: [`load`] reads JSON files into [`ModelFile`]s and merges them into one [`Model`],
//! collecting every problem as a [`ValidationError`]; fact extraction turns a model into the
//! input relations declared in `knowledge/model.dl`.
//!
//! Invariant: this crate never prints and never reads the clock; the caller passes "today".

pub mod countries;
pub mod error;
pub mod extract;
pub mod facts_check;
pub mod facts_io;
pub mod gen;
pub mod graph;
pub mod input;
mod input_relations;
pub mod json_check;
pub mod load;
pub mod output;
pub mod types;
pub mod validate;

pub use error::{render, render_in, ErrorKind, German, Place, ValidationError};
pub use extract::{
    extract, extract_into, input_relations, At, FactSink, FactValue, Facts, InputRelation, Places,
    Rows, Val,
};
pub use facts_io::{read_facts_dir, write_facts_dir};
pub use load::{load_paths, load_texts, merge, parse_file};
pub use types::*;

/// The object lists of a model, in the order of model.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    Staff,
    Parties,
    Systems,
    Agreements,
    Assessments,
    Sources,
    Subjects,
    Consents,
    Objections,
    Notices,
    Flows,
    Activities,
    Campaigns,
    Guidelines,
}

impl Section {
    pub const ALL: [Section; 14] = [
        Section::Staff,
        Section::Parties,
        Section::Systems,
        Section::Agreements,
        Section::Assessments,
        Section::Sources,
        Section::Subjects,
        Section::Consents,
        Section::Objections,
        Section::Notices,
        Section::Flows,
        Section::Activities,
        Section::Campaigns,
        Section::Guidelines,
    ];

    /// The top-level key of the section.
    pub fn key(self) -> &'static str {
        match self {
            Section::Staff => "staff",
            Section::Parties => "parties",
            Section::Systems => "systems",
            Section::Agreements => "agreements",
            Section::Assessments => "assessments",
            Section::Sources => "sources",
            Section::Subjects => "subjects",
            Section::Consents => "consents",
            Section::Objections => "objections",
            Section::Notices => "notices",
            Section::Flows => "flows",
            Section::Activities => "activities",
            Section::Campaigns => "campaigns",
            Section::Guidelines => "guidelines",
        }
    }
}

/// Where a fact or an object comes from: a file and a JSON path in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    /// The file as it was named to sphere (`facts/s1.json`).
    pub file: String,
    /// `$.activities[2]`, `$.activities[2].subjects[0]`.
    pub path: String,
}

/// Where each object of a merged [`Model`] came from. Empty for a model built in code; then
/// every object is reported as coming from `<model>` at its index in the merged lists.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Provenance {
    /// The files, in the order given.
    pub files: Vec<String>,
    /// The file that holds `organization` (and the first that set `as_of`).
    pub organization_file: u32,
    /// Per section (indexed like [`Section::ALL`]), per object: its file and its index in
    /// that file's list.
    pub places: [Vec<(u32, u32)>; 14],
}

impl Provenance {
    fn file(&self, i: u32) -> &str {
        self.files.get(i as usize).map_or("<model>", String::as_str)
    }

    /// The file of object `index` of `section` in the merged model, and its index there.
    pub fn place(&self, section: Section, index: usize) -> (&str, usize) {
        self.places[section as usize]
            .get(index)
            .map_or(("<model>", index), |&(f, i)| (self.file(f), i as usize))
    }

    /// The file and path of object `index` of `section` in the merged model.
    pub fn origin(&self, section: Section, index: usize) -> Origin {
        let (file, i) = self.place(section, index);
        Origin {
            file: file.to_string(),
            path: format!("$.{}[{i}]", section.key()),
        }
    }

    /// The place of `organization` (and of `as_of`, when the model has it).
    pub fn organization(&self) -> Origin {
        Origin {
            file: self.file(self.organization_file).to_string(),
            path: "$.organization".to_string(),
        }
    }
}
