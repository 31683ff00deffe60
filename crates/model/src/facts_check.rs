//! The checks a facts export must pass: the same as the model it stands for. A JSON model is
//! validated as it is read (enumerations, countries, ids, references); a facts directory
//! written by hand or by a CRM skips that reader, so these checks give it the same contract,
//! relation by relation: every enumerated column holds a value of its enumeration, every
//! country column an ISO code, every id is defined once (one name space, as in the model), every
//! reference names an object of the right kind, and a value the model has once (an optional
//! key, a flag) has one row. Without them a misspelt word (`Contact` for `contact`) makes
//! every rule that tests it silently not fire.
//!
//! The schema is a table over the relations of `knowledge/model.dl`; a test checks that it
//! covers every relation, column by column, and that every model of the demo passes.

use rustc_hash::FxHashMap;

use crate::countries::country_name;
use crate::error::{did_you_mean, ErrorKind, Place, ValidationError};
use crate::extract::{FactValue, InputRelation};
use crate::types::*;
use crate::validate::IdKind;

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    /// Any value of the column's type (names, texts, dates, numbers).
    Free,
    /// The id of the object the row defines (entity relations).
    Id(IdKind),
    /// The id of a tracker (`tracking`): its own name space, `<source>/tracking/<i>`.
    TrackerId,
    /// The object the row is about: an id defined in the relation of this kind.
    Of(IdKind),
    /// The tracker the row is about.
    OfTracker,
    /// A reference to an object of one of these kinds.
    Ref(&'static [IdKind]),
    /// A word of an enumeration: what it is, and every allowed spelling.
    Vocab(&'static str, &'static [&'static str]),
    /// An ISO 3166 alpha-2 country code.
    Country,
}

fn vocab<V: Vocab>() -> Col {
    Col::Vocab(V::WHAT, V::ALL)
}

/// The schema of relation `name`: one [`Col`] per column, and whether the first column is a
/// key (at most one row per value), or `None` for a relation this table does not know.
pub fn schema(name: &str) -> Option<(Vec<Col>, bool)> {
    use Col::*;
    use IdKind as K;
    const ENDS: &[IdKind] = &[K::Source, K::System, K::Party];
    // Lists (one row per element) have no key; everything else (entities, optional values and
    // flags) has one row per object.
    let (cols, keyed): (Vec<Col>, bool) = match name {
        "as_of" => (vec![Free], false),
        "organization" => (vec![Id(K::Organization), Free, Country, Free], true),
        "organization_dpo" => (vec![Of(K::Organization), Ref(&[K::Staff])], true),
        "organization_records_of_processing" => (vec![Of(K::Organization)], true),
        "staff" => (vec![Id(K::Staff), Free, vocab::<StaffFunction>()], true),
        "party" => (vec![Id(K::Party), Free, Country], true),
        "party_certification" => (vec![Of(K::Party), vocab::<Scheme>(), Free, Free], false),
        "system" => (
            vec![
                Id(K::System),
                Free,
                vocab::<SystemKind>(),
                Ref(&[K::Party, K::Organization]),
                Country,
                vocab::<SystemRole>(),
            ],
            true,
        ),
        "agreement" => (
            vec![
                Id(K::Agreement),
                vocab::<AgreementKind>(),
                Ref(&[K::Party, K::Subject]),
                Free,
                Free,
            ],
            true,
        ),
        "agreement_system" => (vec![Of(K::Agreement), Ref(&[K::System])], false),
        "agreement_source" => (vec![Of(K::Agreement), Ref(&[K::Source])], false),
        "agreement_flow" => (vec![Of(K::Agreement), Ref(&[K::Flow])], false),
        "agreement_edition" => (vec![Of(K::Agreement), Free], true),
        "agreement_published" => (vec![Of(K::Agreement)], true),
        "assessment" => (
            vec![
                Id(K::Assessment),
                vocab::<AssessmentKind>(),
                Ref(&[K::System, K::Source, K::Flow, K::Activity, K::Campaign]),
                Free,
                vocab::<Outcome>(),
            ],
            true,
        ),
        "assessment_purpose" => (vec![Of(K::Assessment), vocab::<Purpose>()], true),
        "assessment_measure" => (vec![Of(K::Assessment), Free], false),
        "source" => (
            vec![
                Id(K::Source),
                Free,
                vocab::<SourceKind>(),
                Ref(&[K::Party, K::Subject, K::Organization]),
                vocab::<Permission>(),
                vocab::<Permission>(),
            ],
            true,
        ),
        "source_platform" => (vec![Of(K::Source), Ref(&[K::Party])], true),
        "source_public" | "source_requires_login" | "source_white_label" | "source_impressum" => {
            (vec![Of(K::Source)], true)
        }
        "tracking" => (
            vec![TrackerId, Ref(&[K::Source]), vocab::<TrackingKind>()],
            true,
        ),
        "tracking_recipient" => (vec![OfTracker, Ref(&[K::Party])], true),
        "tracking_consent_banner" | "tracking_fires_before_consent" => (vec![OfTracker], true),
        "subject" => (
            vec![Id(K::Subject), Free, vocab::<SubjectKind>(), Country],
            true,
        ),
        "subject_city" | "subject_age" | "subject_crm_record" | "subject_customer_since" => {
            (vec![Of(K::Subject), Free], true)
        }
        "subject_purchase" => (vec![Of(K::Subject), Free, Free, Free], false),
        "consent" => (
            vec![
                Id(K::Consent),
                Ref(&[K::Subject]),
                Free,
                vocab::<ConsentForm>(),
                Ref(&[K::Organization, K::Party]),
            ],
            true,
        ),
        "consent_purpose" => (vec![Of(K::Consent), vocab::<Purpose>()], false),
        "consent_channel" => (vec![Of(K::Consent), vocab::<Channel>()], false),
        "consent_category" => (vec![Of(K::Consent), vocab::<Category>()], false),
        "consent_product" => (vec![Of(K::Consent), Free], false),
        "consent_withdrawn" | "consent_circumstances" => (vec![Of(K::Consent), Free], true),
        "consent_documented" | "consent_informed" | "consent_explicit" => {
            (vec![Of(K::Consent)], true)
        }
        "objection" => (
            vec![Ref(&[K::Subject]), vocab::<ObjectionScope>(), Free],
            false,
        ),
        "notice" => (vec![Id(K::Notice), vocab::<Article>(), Free], true),
        "notice_subject" => (vec![Of(K::Notice), Ref(&[K::Subject])], true),
        "notice_public" | "notice_right_to_object" => (vec![Of(K::Notice)], true),
        "notice_channel" => (vec![Of(K::Notice), vocab::<Channel>()], true),
        "notice_covers" => (vec![Of(K::Notice), vocab::<Purpose>()], false),
        "notice_source" => (vec![Of(K::Notice), Ref(&[K::Source])], false),
        "notice_category" => (vec![Of(K::Notice), vocab::<Category>()], false),
        "flow" => (
            vec![
                Id(K::Flow),
                Ref(ENDS),
                Ref(ENDS),
                vocab::<Purpose>(),
                vocab::<Mechanism>(),
                Free,
                Free,
            ],
            true,
        ),
        "flow_category" => (vec![Of(K::Flow), vocab::<Category>()], false),
        "activity" => (
            vec![
                Id(K::Activity),
                vocab::<ActivityKind>(),
                vocab::<ActivityStatus>(),
                Free,
                Ref(&[K::Staff]),
                vocab::<Purpose>(),
            ],
            true,
        ),
        "activity_source" => (vec![Of(K::Activity), Ref(&[K::Source])], true),
        "activity_system" => (vec![Of(K::Activity), Ref(&[K::System])], true),
        "activity_flow" => (vec![Of(K::Activity), Ref(&[K::Flow])], true),
        "activity_subject" => (vec![Of(K::Activity), Ref(&[K::Subject])], false),
        "activity_category" => (vec![Of(K::Activity), vocab::<Category>()], false),
        "activity_channel" => (vec![Of(K::Activity), vocab::<Channel>()], true),
        "activity_audience" => (vec![Of(K::Activity), vocab::<Audience>()], true),
        "activity_product" => (vec![Of(K::Activity), Free], false),
        "activity_identifies_company"
        | "activity_promotional"
        | "activity_automated"
        | "activity_large_scale"
        | "activity_content_original" => (vec![Of(K::Activity)], true),
        "activity_triggered_by" => (vec![Of(K::Activity), Ref(&[K::Activity])], true),
        "activity_content" => (
            vec![
                Of(K::Activity),
                vocab::<ContentOrigin>(),
                vocab::<ContentKind>(),
            ],
            true,
        ),
        "activity_content_author" => (vec![Of(K::Activity), Ref(&[K::Subject])], true),
        "activity_campaign" => (vec![Of(K::Activity), Ref(&[K::Campaign])], true),
        "campaign" => (
            vec![
                Id(K::Campaign),
                Free,
                Ref(&[K::Staff]),
                vocab::<CampaignStatus>(),
            ],
            true,
        ),
        "campaign_activity" => (vec![Of(K::Campaign), Ref(&[K::Activity])], false),
        "guideline" => (vec![Id(K::Guideline), Free], true),
        "guideline_forbid_kind" => (vec![Of(K::Guideline), vocab::<ActivityKind>()], true),
        "guideline_forbid_channel" => (vec![Of(K::Guideline), vocab::<Channel>()], true),
        "guideline_forbid_purpose" => (vec![Of(K::Guideline), vocab::<Purpose>()], true),
        "guideline_forbid_source_kind" => (vec![Of(K::Guideline), vocab::<SourceKind>()], true),
        "guideline_forbid_category" => (vec![Of(K::Guideline), vocab::<Category>()], true),
        "guideline_forbid_subject_kind" => (vec![Of(K::Guideline), vocab::<SubjectKind>()], true),
        // Model v2. Incidents, contracts and requests are named `<owner>/<list>/<i>` by the
        // extraction, like trackers; their ids are only checked to be one row each here.
        "organization_core_activities_stated" => (vec![Of(K::Organization)], true),
        "organization_core_activity" => (vec![Of(K::Organization), vocab::<CoreActivity>()], false),
        "incident" => (
            vec![Free, Ref(&[K::System]), Free, vocab::<BreachRisk>()],
            true,
        ),
        "incident_authority_notified" | "incident_subjects_informed" => (vec![Free, Free], true),
        "incident_delay_reasons" | "incident_unintelligible" | "incident_documented" => {
            (vec![Free], true)
        }
        "incident_subject" => (vec![Free, Ref(&[K::Subject])], false),
        "tracking_reject" => (vec![OfTracker, vocab::<RejectOption>()], true),
        "subject_birth_date" | "subject_retain_until" => (vec![Of(K::Subject), Free], true),
        "subject_contract" => (
            vec![
                Free,
                Ref(&[K::Subject]),
                vocab::<ContractKind>(),
                Free,
                Free,
            ],
            true,
        ),
        "request" => (
            vec![Free, Ref(&[K::Subject]), vocab::<RequestKind>(), Free],
            true,
        ),
        "request_answered" => (vec![Free, Free], true),
        "request_extended" | "request_refused" => (vec![Free], true),
        "consent_parental_authorisation" => (vec![Of(K::Consent), Free], true),
        "flow_derogation" => (vec![Of(K::Flow), vocab::<Derogation>()], true),
        "activity_content_used_as" => (vec![Of(K::Activity), vocab::<ContentUse>()], true),
        "activity_content_kug_exception" => (vec![Of(K::Activity), vocab::<KugException>()], true),
        "activity_sender" | "activity_sender_identified" | "activity_sender_stop_address" => {
            (vec![Of(K::Activity)], true)
        }
        "staff_private_account_consent" => (vec![Of(K::Staff), Free], true),
        "consent_verified_stated" => (vec![Of(K::Consent)], true),
        "consent_verified" => (vec![Of(K::Consent), vocab::<Channel>()], false),
        "activity_post" => (vec![Of(K::Activity), vocab::<PostAccount>()], true),
        "activity_objection_notice_stated"
        | "activity_objection_notice"
        | "activity_post_consideration"
        | "activity_post_labelled"
        | "activity_reviews"
        | "activity_reviews_claimed_genuine"
        | "activity_reviews_checked"
        | "activity_reviews_explained"
        | "activity_reviews_fake"
        | "activity_significant_effects" => (vec![Of(K::Activity)], true),
        _ => return None,
    };
    Some((cols, keyed))
}

/// One row as read: its values, file, line and the 1-based column of each field.
pub struct ReadRow<'a> {
    pub values: &'a [FactValue],
    pub file: &'a str,
    pub line: usize,
    pub columns: &'a [usize],
}

/// Checks the rows of every relation (`rows` in the order of `relations`) and appends every
/// problem to `errors`.
pub fn check(relations: &[(&InputRelation, Vec<ReadRow<'_>>)], errors: &mut Vec<ValidationError>) {
    // Every id with the place that defines it; trackers apart.
    let mut ids: FxHashMap<&str, (IdKind, &str, usize)> = FxHashMap::default();
    let mut trackers: FxHashMap<&str, (&str, usize)> = FxHashMap::default();
    let at =
        |r: &ReadRow<'_>, c: usize| Place::Line(r.line, r.columns.get(c).copied().unwrap_or(1));
    let schemas: Vec<(Vec<Col>, bool)> = relations
        .iter()
        .map(|(rel, _)| {
            schema(&rel.name).unwrap_or_else(|| (vec![Col::Free; rel.columns.len()], false))
        })
        .collect();
    // First pass: the ids, enumerations and countries, and one row per key.
    for ((rel, rows), (cols, keyed)) in relations.iter().zip(&schemas) {
        let mut keys: FxHashMap<&FactValue, usize> = FxHashMap::default();
        for r in rows {
            if *keyed {
                if let Some(first) = r.values.first() {
                    if let Some(line) = keys.insert(first, r.line) {
                        if !matches!(cols[0], Col::Id(_) | Col::TrackerId) {
                            errors.push(
                                ValidationError::new(
                                    ErrorKind::BadFacts,
                                    r.file,
                                    at(r, 0),
                                    format!("a second row of `{}` for `{first}` (the first is on line {line})", rel.name),
                                )
                                .de(format!("eine zweite Zeile von `{}` für `{first}` (die erste steht in Zeile {line})", rel.name))
                                .with_hints(
                                    "the model has one value here per object: remove one of the rows",
                                    "das Modell hat hier einen Wert je Objekt: eine der Zeilen entfernen",
                                ),
                            );
                        }
                    }
                }
            }
            if rel.name == "organization" && r.line > 1 {
                errors.push(
                    ValidationError::new(
                        ErrorKind::OrganizationConflict,
                        r.file,
                        at(r, 0),
                        "a second organization",
                    )
                    .de("eine zweite Organisation")
                    .with_hints(
                        "a facts export holds the one organization whose compliance is checked",
                        "ein Faktenexport enthält die eine Organisation, deren Compliance geprüft wird",
                    ),
                );
            }
            if rel.name == "as_of" && r.line > 1 {
                errors.push(
                    ValidationError::new(
                        ErrorKind::AsOfConflict,
                        r.file,
                        at(r, 0),
                        "a second evaluation date",
                    )
                    .de("ein zweiter Stichtag")
                    .with_hints(
                        "as_of.facts holds one date",
                        "as_of.facts enthält ein Datum",
                    ),
                );
            }
            for (c, (col, v)) in cols.iter().zip(r.values).enumerate() {
                let FactValue::Sym(s) = v else { continue };
                match *col {
                    Col::Id(kind) => {
                        if s.trim().is_empty() {
                            errors.push(empty_id(r, at(r, c)));
                        } else if let Some(ch) = s.chars().find(|ch| ch.is_control()) {
                            errors.push(
                                ValidationError::new(
                                    ErrorKind::InvalidValue,
                                    r.file,
                                    at(r, c),
                                    format!("the id holds the control character U+{:04X}", ch as u32),
                                )
                                .de(format!("die ID enthält das Steuerzeichen U+{:04X}", ch as u32))
                                .with_hints(
                                    "ids are names of printable characters: a control character could forge lines of a report",
                                    "IDs sind Namen aus druckbaren Zeichen: ein Steuerzeichen könnte Zeilen eines Berichts fälschen",
                                ),
                            );
                        } else if let Some(&(k, file, line)) = ids.get(s.as_str()) {
                            let (other, other_de) = if k == kind {
                                (String::new(), String::new())
                            } else {
                                (format!(" ({})", k.noun()), format!(" ({})", k.noun_de()))
                            };
                            errors.push(
                                ValidationError::new(
                                    ErrorKind::DuplicateId,
                                    r.file,
                                    at(r, c),
                                    format!("the id `{s}` is already used at {file}:{line}{other}"),
                                )
                                .de(format!("die ID `{s}` ist schon vergeben, bei {file}:{line}{other_de}"))
                                .with_hints(
                                    "ids are one name space across all objects: rename one of them",
                                    "IDs bilden einen Namensraum über alle Objekte: eines der Objekte umbenennen",
                                ),
                            );
                        } else {
                            ids.insert(s, (kind, r.file, r.line));
                        }
                    }
                    Col::TrackerId => {
                        if let Some(&(file, line)) = trackers.get(s.as_str()) {
                            errors.push(
                                ValidationError::new(
                                    ErrorKind::DuplicateId,
                                    r.file,
                                    at(r, c),
                                    format!("the tracker `{s}` is already defined at {file}:{line}"),
                                )
                                .de(format!("der Tracker `{s}` ist schon definiert, bei {file}:{line}"))
                                .with_hints(
                                    "a tracker's id is `<source id>/tracking/<index>`, one per tracker",
                                    "die ID eines Trackers ist `<source id>/tracking/<index>`, eine je Tracker",
                                ),
                            );
                        } else {
                            trackers.insert(s, (r.file, r.line));
                        }
                    }
                    Col::Vocab(what, all) if !all.contains(&s.as_str()) => {
                        let values = all.join(", ");
                        // In German each value in backticks: the words are the model's.
                        let values_de = all
                            .iter()
                            .map(|v| format!("`{v}`"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        let (hint, hint_de) = match did_you_mean(s, all.iter().copied()) {
                            Some(m) => (
                                format!("did you mean `{m}`? the values are: {values}"),
                                format!("meinten Sie `{m}`? zulässig: {values_de}"),
                            ),
                            None => (
                                format!("the values are: {values}"),
                                format!("zulässig: {values_de}"),
                            ),
                        };
                        errors.push(
                            ValidationError::new(
                                ErrorKind::UnknownValue,
                                r.file,
                                at(r, c),
                                format!("column `{}`: `{s}` is not a {what}", rel.columns[c].0),
                            )
                            .de(format!(
                                "Spalte `{}`: `{s}` ist hier kein zulässiger Wert",
                                rel.columns[c].0
                            ))
                            .with_hints(hint, hint_de),
                        );
                    }
                    Col::Country if country_name(s).is_none() => {
                        let upper = s.to_ascii_uppercase();
                        let (hint, hint_de) = if country_name(&upper).is_some() {
                            (
                                format!("country codes are upper case: `{upper}`"),
                                format!("Ländercodes werden großgeschrieben: `{upper}`"),
                            )
                        } else {
                            (
                                "use an ISO 3166 alpha-2 code such as DE, IE or US (EU is not a country)".to_string(),
                                "einen Code nach ISO 3166 alpha-2 verwenden, etwa DE, IE oder US (EU ist kein Staat)".to_string(),
                            )
                        };
                        errors.push(
                            ValidationError::new(
                                ErrorKind::UnknownCountry,
                                r.file,
                                at(r, c),
                                format!(
                                    "column `{}`: `{s}` is not an ISO 3166 alpha-2 country code",
                                    rel.columns[c].0
                                ),
                            )
                            .de(format!(
                                "Spalte `{}`: `{s}` ist kein Ländercode nach ISO 3166 alpha-2",
                                rel.columns[c].0
                            ))
                            .with_hints(hint, hint_de),
                        );
                    }
                    _ => {}
                }
            }
        }
    }
    if relations
        .iter()
        .any(|(rel, rows)| rel.name == "organization" && rows.is_empty())
    {
        if let Some((_, rows)) = relations.iter().find(|(_, rows)| !rows.is_empty()) {
            // Only when there are facts at all: an export always has its organization.
            errors.push(
                ValidationError::new(
                    ErrorKind::MissingOrganization,
                    rows[0].file,
                    Place::File,
                    "the export has no organization (organization.facts has no row)",
                )
                .de("der Export hat keine Organisation (organization.facts hat keine Zeile)")
                .with_hints(
                    "a facts export holds the organization whose compliance is checked: export the model again with `sphere facts`",
                    "ein Faktenexport enthält die Organisation, deren Compliance geprüft wird: das Modell mit `sphere facts` erneut exportieren",
                ),
            );
        }
    }
    // Second pass: references, now that every id is known.
    for ((rel, rows), (cols, _)) in relations.iter().zip(&schemas) {
        for r in rows {
            for (c, (col, v)) in cols.iter().zip(r.values).enumerate() {
                let FactValue::Sym(s) = v else { continue };
                let expected: &[IdKind] = match col {
                    Col::Of(k) => std::slice::from_ref(k),
                    Col::Ref(ks) => ks,
                    Col::OfTracker => {
                        if !trackers.contains_key(s.as_str()) {
                            errors.push(
                                ValidationError::new(
                                    ErrorKind::DanglingReference,
                                    r.file,
                                    at(r, c),
                                    format!(
                                        "column `{}`: `{s}` is not a tracker of tracking.facts",
                                        rel.columns[c].0
                                    ),
                                )
                                .de(format!(
                                    "Spalte `{}`: `{s}` ist kein Tracker aus tracking.facts",
                                    rel.columns[c].0
                                ))
                                .with_hints(
                                    "every tracker is defined by a row of tracking.facts",
                                    "jeder Tracker ist durch eine Zeile von tracking.facts definiert",
                                ),
                            );
                        }
                        continue;
                    }
                    _ => continue,
                };
                let wanted = join(expected, IdKind::noun, "or");
                let wanted_de = join(expected, IdKind::noun_de, "oder");
                match ids.get(s.as_str()) {
                    Some((k, _, _)) if expected.contains(k) => {}
                    Some(&(k, file, line)) => errors.push(
                        ValidationError::new(
                            ErrorKind::WrongReferenceKind,
                            r.file,
                            at(r, c),
                            format!(
                                "column `{}`: `{s}` is {}, but {wanted} is expected here",
                                rel.columns[c].0,
                                k.noun()
                            ),
                        )
                        .de(format!(
                            "Spalte `{}`: `{s}` ist {}, erwartet wird hier {wanted_de}",
                            rel.columns[c].0,
                            k.noun_de()
                        ))
                        .with_hints(
                            format!("`{s}` is defined at {file}:{line}; name {wanted} instead"),
                            format!(
                                "`{s}` ist definiert bei {file}:{line}; stattdessen {wanted_de} nennen"
                            ),
                        ),
                    ),
                    None => {
                        let mut candidates: Vec<&str> = ids
                            .iter()
                            .filter(|(_, (k, _, _))| expected.contains(k))
                            .map(|(id, _)| *id)
                            .collect();
                        candidates.sort_unstable();
                        let files: Vec<String> = expected
                            .iter()
                            .map(|k| format!("{}.facts", defining_relation(*k)))
                            .collect();
                        let (files, files_de) = (files.join(" or "), files.join(" oder "));
                        let (hint, hint_de) = match (candidates.len() <= 50_000)
                            .then(|| did_you_mean(s, candidates.iter().copied()))
                            .flatten()
                        {
                            Some(m) => (
                                format!("did you mean `{m}`? or define it in {files}"),
                                format!("meinten Sie `{m}`? oder in {files_de} definieren"),
                            ),
                            None => (
                                format!("define it in {files}, or correct the reference"),
                                format!("in {files_de} definieren oder den Verweis berichtigen"),
                            ),
                        };
                        errors.push(
                            ValidationError::new(
                                ErrorKind::DanglingReference,
                                r.file,
                                at(r, c),
                                format!("column `{}`: `{s}` is not the id of any object; expected {wanted}", rel.columns[c].0),
                            )
                            .de(format!(
                                "Spalte `{}`: `{s}` ist die ID keines Objekts; erwartet: {wanted_de}",
                                rel.columns[c].0
                            ))
                            .with_hints(hint, hint_de),
                        );
                    }
                }
            }
        }
    }
}

fn empty_id(r: &ReadRow<'_>, place: Place) -> ValidationError {
    ValidationError::new(ErrorKind::InvalidValue, r.file, place, "an empty id")
        .de("eine leere ID")
        .with_hints(
            "every object has a non-empty id",
            "jedes Objekt hat eine nicht leere ID",
        )
}

/// The relation whose rows define the objects of `kind`.
pub fn defining_relation(kind: IdKind) -> &'static str {
    match kind {
        IdKind::Organization => "organization",
        IdKind::Staff => "staff",
        IdKind::Party => "party",
        IdKind::System => "system",
        IdKind::Agreement => "agreement",
        IdKind::Assessment => "assessment",
        IdKind::Source => "source",
        IdKind::Subject => "subject",
        IdKind::Consent => "consent",
        IdKind::Notice => "notice",
        IdKind::Flow => "flow",
        IdKind::Activity => "activity",
        IdKind::Campaign => "campaign",
        IdKind::Guideline => "guideline",
    }
}

/// `kinds` as nouns (`noun`, the English or the German one), the last after `or`.
fn join(kinds: &[IdKind], noun: fn(IdKind) -> &'static str, or: &str) -> String {
    match kinds {
        [] => String::new(),
        [one] => noun(*one).to_string(),
        [init @ .., last] => format!(
            "{} {or} {}",
            init.iter().map(|k| noun(*k)).collect::<Vec<_>>().join(", "),
            noun(*last)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::input_relations;

    #[test]
    fn the_schema_covers_every_input_relation_column_by_column() {
        for rel in input_relations() {
            let (cols, _) =
                schema(&rel.name).unwrap_or_else(|| panic!("no schema for `{}`", rel.name));
            assert_eq!(cols.len(), rel.columns.len(), "`{}`", rel.name);
            for (col, (name, ty)) in cols.iter().zip(&rel.columns) {
                if !matches!(col, Col::Free) {
                    assert_eq!(
                        *ty,
                        sphere_rt::value::Type::Symbol,
                        "`{}.{name}` is checked as a symbol",
                        rel.name
                    );
                }
            }
        }
    }
}
