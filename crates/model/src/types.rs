//! The types of the model: one Rust type per object of `docs/model.md`.
//!
//! [`ModelFile`] is one JSON document as written (a complete model or a fragment);
//! [`Model`] is the merged, complete model the rest of sphere works on. Both serialize to valid
//! model JSON, and the JSON Schema in `docs/model.schema.json` is generated from them.
//!
//! Defaults: a key with a default in model.md is `#[serde(default)]` here and the loader fills
//! in the same value (a test checks both agree). Defaults that depend on other parts of the
//! model (an activity without a date happens on `as_of`, a system operated by the organisation
//! has the role `own`, a consent without `obtained_by` was obtained by the organisation) stay
//! `None` in these types and are resolved in one place, the methods of [`Model`] at the end
//! of this file, which fact extraction uses.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `format` this sphere writes: the newest version of the model format.
pub const FORMAT: &str = "sphere-model/2";

/// The first version of the model format, still read: a `sphere-model/1` file means what it
/// always meant, and may not use the keys `sphere-model/2` added.
pub const FORMAT_V1: &str = "sphere-model/1";

/// An id of an object of the model. Ids are one name space across all kinds and all merged
/// files.
pub type Id = String;

/// A calendar day, written `YYYY-MM-DD` in JSON (the engine's date type inside).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(pub sphere_rt::Date);

impl Date {
    /// Parses `YYYY-MM-DD` (a real calendar day between 0001-01-01 and 9999-12-31).
    pub fn parse(s: &str) -> Option<Date> {
        let d = sphere_rt::Date::parse(s)?;
        (sphere_rt::Date::MIN..=sphere_rt::Date::MAX)
            .contains(&d)
            .then_some(Date(d))
    }

    pub fn from_ymd(y: i32, m: i32, d: i32) -> Option<Date> {
        Date::parse(&format!("{y:04}-{m:02}-{d:02}"))
    }
}

impl From<sphere_rt::Date> for Date {
    fn from(d: sphere_rt::Date) -> Date {
        Date(d)
    }
}

impl From<Date> for sphere_rt::Date {
    fn from(d: Date) -> sphere_rt::Date {
        d.0
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Date::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("`{s}` is not a calendar day written YYYY-MM-DD"))
        })
    }
}

impl JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A calendar day, YYYY-MM-DD",
            "type": "string",
            "format": "date",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
        })
    }
}

/// A closed set of words (an enum of model.md): the JSON spelling of every value, in order.
pub trait Vocab: Sized + Copy + 'static {
    /// What the values are, for messages ("activity kind").
    const WHAT: &'static str;
    /// Every allowed spelling, in the order of model.md.
    const ALL: &'static [&'static str];
    fn parse(s: &str) -> Option<Self>;
    fn as_str(self) -> &'static str;
}

macro_rules! vocab {
    ($(#[$meta:meta])* $name:ident ($what:literal) { $($(#[$vm:meta])* $var:ident = $s:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $var),*
        }

        impl $name {
            /// Every allowed spelling, in the order of model.md.
            pub const ALL: &'static [&'static str] = &[$($s),*];

            /// The JSON spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$var => $s),*
                }
            }

            /// The value spelt `s`, if any.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($s => Some($name::$var),)*
                    _ => None,
                }
            }
        }

        impl Vocab for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [&'static str] = $name::ALL;
            fn parse(s: &str) -> Option<Self> {
                $name::parse(s)
            }
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocab! {
    /// The version of the model format.
    Format ("format") { V1 = "sphere-model/1", V2 = "sphere-model/2" }
}

// Written out: the enums come from the `vocab!` macro, which cannot place `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for Format {
    fn default() -> Self {
        Format::V1
    }
}

vocab! {
    StaffFunction ("staff function") {
        Service = "service", Marketing = "marketing", Sales = "sales",
        SocialMedia = "social_media", Dpo = "dpo", Legal = "legal",
        Management = "management", It = "it", Other = "other",
    }
}

vocab! {
    /// An EU-US transfer scheme a party was certified under.
    Scheme ("certification scheme") {
        SafeHarbor = "safe_harbor", PrivacyShield = "privacy_shield", Dpf = "dpf",
    }
}

vocab! {
    SystemKind ("system kind") {
        Crm = "crm", SocialMonitoring = "social_monitoring", EmailMarketing = "email_marketing",
        Helpdesk = "helpdesk", Analytics = "analytics", SocialNetwork = "social_network",
        Forum = "forum", Website = "website", DataBroker = "data_broker", Other = "other",
    }
}

vocab! {
    /// The role of a system's operator towards the organisation.
    SystemRole ("system role") {
        Own = "own", Processor = "processor", JointController = "joint_controller",
        IndependentController = "independent_controller",
    }
}

vocab! {
    AgreementKind ("agreement kind") {
        /// Art. 28 GDPR processing agreement.
        Dpa = "dpa",
        /// Standard contractual clauses.
        Scc = "scc",
        Bcr = "bcr",
        /// Art. 26 GDPR arrangement between joint controllers.
        JointControl = "joint_control",
        /// Rights to reuse content.
        ContentLicense = "content_license",
        /// A forum operator allows the company to take part.
        Participation = "participation",
    }
}

vocab! {
    AssessmentKind ("assessment kind") {
        /// Data protection impact assessment, Art. 35 GDPR.
        Dpia = "dpia",
        /// Legitimate interest assessment (balancing test for Art. 6(1)(f) GDPR).
        Lia = "lia",
        /// Transfer impact assessment.
        Tia = "tia",
        /// Art. 6(4) GDPR test of a new purpose.
        Compatibility = "compatibility",
    }
}

vocab! {
    Outcome ("assessment outcome") { Acceptable = "acceptable", NotAcceptable = "not_acceptable" }
}

vocab! {
    SourceKind ("source kind") {
        Forum = "forum", SocialNetwork = "social_network", FanPage = "fan_page",
        ReviewSite = "review_site", Blog = "blog", Messenger = "messenger", Website = "website",
        Event = "event", WebForm = "web_form", PurchasedList = "purchased_list", Other = "other",
    }
}

vocab! {
    /// Whether a source's operator allows something (company participation, scraping).
    Permission ("permission") { Allowed = "allowed", Forbidden = "forbidden", Unknown = "unknown" }
}

// Written out: the enums come from the `vocab!` macro, which cannot place `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for Permission {
    fn default() -> Self {
        Permission::Unknown
    }
}

vocab! {
    TrackingKind ("tracking kind") {
        Analytics = "analytics", Advertising = "advertising", SocialPlugin = "social_plugin",
        Necessary = "necessary",
    }
}

vocab! {
    SubjectKind ("subject kind") {
        Consumer = "consumer",
        /// A B2B contact person ("sonstiger Marktteilnehmer").
        Business = "business",
        Employee = "employee", Minor = "minor",
    }
}

vocab! {
    ConsentForm ("consent form") {
        DoubleOptIn = "double_opt_in", OptIn = "opt_in", Written = "written", Verbal = "verbal",
        PreTicked = "pre_ticked",
        /// Inferred from conduct such as a like or a comment.
        Implied = "implied",
        /// The circumstances of a business contact that may justify presumed consent.
        Presumed = "presumed",
    }
}

vocab! {
    ObjectionScope ("objection scope") {
        DirectMarketing = "direct_marketing", All = "all", Profiling = "profiling",
    }
}

vocab! {
    /// The provision a notice is given under.
    Article ("notice article") {
        A13 = "13", A14 = "14", A26 = "26", BdsgOld33 = "bdsg_old_33",
    }
}

vocab! {
    Mechanism ("flow mechanism") { Api = "api", Export = "export", Scrape = "scrape", Manual = "manual" }
}

vocab! {
    ActivityKind ("activity kind") {
        Collect = "collect", Link = "link", Enrich = "enrich", Select = "select",
        Contact = "contact", Publish = "publish", ReuseContent = "reuse_content",
        Monitor = "monitor", Profile = "profile", Transfer = "transfer", Track = "track",
        Delete = "delete",
    }
}

vocab! {
    ActivityStatus ("activity status") { Done = "done", Planned = "planned" }
}

// Written out: the enums come from the `vocab!` macro, which cannot place `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for ActivityStatus {
    fn default() -> Self {
        ActivityStatus::Done
    }
}

vocab! {
    Purpose ("purpose") {
        Service = "service", Support = "support", Contract = "contract", Marketing = "marketing",
        Newsletter = "newsletter", Survey = "survey", Greeting = "greeting", Sales = "sales",
        Profiling = "profiling", Analytics = "analytics", Recruiting = "recruiting",
        LegalObligation = "legal_obligation",
    }
}

vocab! {
    Channel ("channel") {
        Email = "email", Phone = "phone", Sms = "sms", Fax = "fax", Post = "post",
        AutomatedCall = "automated_call", ForumReply = "forum_reply", SocialDm = "social_dm",
        SocialPost = "social_post", Comment = "comment", Chat = "chat", InPerson = "in_person",
    }
}

vocab! {
    Audience ("audience") { OneToOne = "one_to_one", OneToMany = "one_to_many" }
}

// Written out: the enums come from the `vocab!` macro, which cannot place `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for Audience {
    fn default() -> Self {
        Audience::OneToOne
    }
}

vocab! {
    ContentOrigin ("content origin") { Own = "own", User = "user" }
}

vocab! {
    ContentKind ("content kind") { Text = "text", Photo = "photo", Video = "video" }
}

// Written out: the enums come from the `vocab!` macro, which cannot place `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for ContentKind {
    fn default() -> Self {
        ContentKind::Text
    }
}

vocab! {
    CampaignStatus ("campaign status") { Planned = "planned", Running = "running", Done = "done" }
}

vocab! {
    /// Data categories. Which are special (Art. 9, 10 GDPR) is legal knowledge, not model.
    Category ("data category") {
        Identity = "identity",
        /// Job title, employer, business role.
        Professional = "professional",
        ContactEmail = "contact_email", ContactPhone = "contact_phone",
        PostalAddress = "postal_address", Birthday = "birthday", Age = "age",
        Location = "location", Content = "content", Image = "image",
        OnlineIdentifier = "online_identifier", PurchaseHistory = "purchase_history",
        Financial = "financial", Health = "health", Religion = "religion",
        PoliticalOpinion = "political_opinion", EthnicOrigin = "ethnic_origin",
        SexualOrientation = "sexual_orientation", Biometric = "biometric", Genetic = "genetic",
        TradeUnion = "trade_union", Criminal = "criminal",
        /// Data concerning a person's sex life (Art. 9(1) GDPR).
        SexLife = "sex_life",
        /// Philosophical beliefs (Art. 9(1) GDPR).
        PhilosophicalBelief = "philosophical_belief",
    }
}

vocab! {
    /// What the organisation's core activities consist of (Art. 37(1)(b), (c) GDPR): the
    /// operations its business exists for, not ancillary ones (Recital 97).
    CoreActivity ("core activity") {
        /// Regular and systematic monitoring of people on a large scale (Art. 37(1)(b)).
        Monitoring = "monitoring",
        /// Large-scale processing of special categories (Art. 9) (Art. 37(1)(c)).
        SpecialCategories = "special_categories",
        /// Large-scale processing of criminal convictions and offences data (Art. 10)
        /// (Art. 37(1)(c)).
        CriminalData = "criminal_data",
        /// Something else: monitoring and special categories are at most ancillary.
        Other = "other",
    }
}

vocab! {
    /// A contract with the person, or steps before one taken at his request (Art. 6(1)(b)).
    ContractKind ("contract kind") {
        Contract = "contract",
        /// Steps taken at the person's request before entering into a contract.
        PreContractual = "pre_contractual",
    }
}

vocab! {
    /// The right a data-subject request exercises (Arts. 15 to 21 GDPR).
    RequestKind ("request kind") {
        Access = "access", Rectification = "rectification", Erasure = "erasure",
        Restriction = "restriction", Portability = "portability", Objection = "objection",
    }
}

vocab! {
    /// The risk of a personal data breach to people's rights (Arts. 33(1), 34(1) GDPR).
    BreachRisk ("breach risk") { Unlikely = "unlikely", Risk = "risk", High = "high" }
}

vocab! {
    /// How a consent banner lets the user refuse (§ 25 TDDDG with Art. 4(11), 7 GDPR).
    RejectOption ("reject option") {
        /// A "reject" as easy and as visible as "accept", on the same layer.
        Equal = "equal",
        /// Refusing needs more clicks than accepting (e.g. only in the settings).
        SecondLayer = "second_layer",
        /// No way to refuse but leaving.
        NoReject = "none",
    }
}

vocab! {
    /// How an activity uses someone else's content.
    ContentUse ("content use") {
        /// A copy stored and made available by the company.
        Copy = "copy",
        /// Embedded with the platform's own function, the content stays at its place.
        Embed = "embed",
        /// Quoted to discuss it, with the source named (§ 51 UrhG).
        Quote = "quote",
    }
}

vocab! {
    /// An exception of § 23(1) KUG to the consent § 22 KUG requires for pictures of people.
    KugException ("KUG exception") {
        /// No. 1: a picture from the sphere of contemporary history.
        ContemporaryHistory = "contemporary_history",
        /// No. 2: people appear only as an accessory beside a landscape or place.
        Accessory = "accessory",
        /// No. 3: assemblies, processions and similar events the people took part in.
        Assembly = "assembly",
        /// No. 4: not made to order, serving a higher interest of art.
        Art = "art",
    }
}

vocab! {
    /// v2: whose account or medium a public post appears in.
    PostAccount ("post account") {
        /// An account of the company.
        Company = "company",
        /// A staff member's private account.
        StaffPrivate = "staff_private",
        /// The account of an influencer or other third party posting for the company.
        Influencer = "influencer",
        /// Editorial content of a medium (an article, a programme).
        Media = "media",
    }
}

vocab! {
    /// A derogation of Art. 49(1) GDPR for a transfer without adequacy or safeguards.
    Derogation ("transfer derogation") {
        /// (a): explicit consent after being told of the risks.
        ExplicitConsent = "explicit_consent",
        /// (b): necessary for a contract with the person (or steps at his request).
        Contract = "contract",
    }
}

/// For keys that must be present but may be null: serde's derive treats a missing `Option`
/// field as `None`, unless the field has its own `deserialize_with`, as here.
fn nullable<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_true(b: &bool) -> bool {
    *b
}

fn yes() -> bool {
    true
}

fn is_default<T: Default + PartialEq>(t: &T) -> bool {
    *t == T::default()
}

/// One JSON document: a complete model (with `organization`) or a fragment (without).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "sphere model file",
    description = "One file of a sphere model (sphere-model/2; sphere-model/1 files are read too, without the keys version 2 added). Keys starting with `x-` are ignored everywhere.",
    extend("patternProperties" = { "^x-": {} })
)]
pub struct ModelFile {
    pub format: Format,
    /// Evaluation date; default: today. Merged files must agree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Date>,
    /// The controller whose compliance is checked; in exactly one of the merged files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<Organization>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff: Vec<Staff>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub systems: Vec<System>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agreements: Vec<Agreement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assessments: Vec<Assessment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<Subject>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consents: Vec<Consent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objections: Vec<Objection>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<Notice>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<Flow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activities: Vec<Activity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub campaigns: Vec<Campaign>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guidelines: Vec<Guideline>,
}

/// The merged, complete model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub format: Format,
    pub as_of: Date,
    pub organization: Organization,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff: Vec<Staff>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub systems: Vec<System>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agreements: Vec<Agreement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assessments: Vec<Assessment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<Subject>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consents: Vec<Consent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objections: Vec<Objection>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<Notice>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<Flow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activities: Vec<Activity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub campaigns: Vec<Campaign>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guidelines: Vec<Guideline>,
    /// Where each object came from (file and index); empty for a model built in code.
    #[serde(skip)]
    pub provenance: crate::Provenance,
}

impl Default for Date {
    /// 1970-01-01; only a placeholder for `Model::default()`.
    fn default() -> Self {
        Date(sphere_rt::Date(0))
    }
}

/// The controller whose compliance is checked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Organization {
    pub id: Id,
    pub name: String,
    /// ISO 3166 alpha-2.
    pub country: String,
    /// People regularly processing personal data (§ 38 BDSG).
    pub persons_processing: u32,
    /// Staff id of the data protection officer, or null.
    #[serde(deserialize_with = "nullable")]
    #[schemars(required)]
    pub dpo: Option<Id>,
    /// An Art. 30 GDPR record of processing activities is kept.
    #[serde(default, skip_serializing_if = "is_false")]
    pub records_of_processing: bool,
    /// v2: what the core activities consist of; absent means the model does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_activities: Option<Vec<CoreActivity>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Staff {
    pub id: Id,
    pub name: String,
    pub function: StaffFunction,
    /// v2: the day the staff member agreed that the company uses his private social-network
    /// account for its purposes (a voluntary consent in writing or electronic form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_account_consent: Option<Date>,
}

/// An outside organisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Party {
    pub id: Id,
    pub name: String,
    /// ISO 3166 alpha-2.
    pub country: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certifications: Vec<Certification>,
}

/// A period in which a party was certified under an EU-US scheme.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Certification {
    pub scheme: Scheme,
    pub from: Date,
    /// Last day, or null while it lasts.
    #[serde(deserialize_with = "nullable")]
    #[schemars(required)]
    pub to: Option<Date>,
}

/// IT the organisation uses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct System {
    pub id: Id,
    pub name: String,
    pub kind: SystemKind,
    /// A party id, or the organization id.
    pub operator: Id,
    /// ISO 3166 alpha-2.
    pub hosting_country: String,
    /// Default `own` when the operator is the organisation; required otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<SystemRole>,
    /// v2: personal data breaches of data held in this system.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incidents: Vec<Incident>,
}

/// v2: a personal data breach (Art. 4(12) GDPR) of data held in a system.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Incident {
    /// The day the organisation became aware of the breach.
    pub aware: Date,
    /// The risk to the people concerned, as assessed.
    pub risk: BreachRisk,
    /// The day the supervisory authority was notified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority_notified: Option<Date>,
    /// A late notification gave the reasons for the delay (Art. 33(1) sentence 2).
    #[serde(default, skip_serializing_if = "is_false")]
    pub delay_reasons: bool,
    /// The day the people concerned were told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subjects_informed: Option<Date>,
    /// The data were unintelligible to anyone not authorised, e.g. encrypted (Art. 34(3)(a)).
    #[serde(default, skip_serializing_if = "is_false")]
    pub unintelligible: bool,
    /// The breach is documented (Art. 33(5)).
    #[serde(default, skip_serializing_if = "is_false")]
    pub documented: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<Id>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Agreement {
    pub id: Id,
    pub kind: AgreementKind,
    /// A party or subject id.
    pub with: Id,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub systems: Vec<Id>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Id>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<Id>,
    pub from: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
    /// For `scc`: the Commission decision (`2001/497`, `2004/915`, `2010/87`, `2021/914`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
    /// For `joint_control`: the essence is made available to the data subjects (Art. 26(2)).
    #[serde(default, skip_serializing_if = "is_false")]
    pub published: bool,
}

/// A documented evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Assessment {
    pub id: Id,
    pub kind: AssessmentKind,
    /// Id of a system, source, flow, activity or campaign.
    pub about: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
    pub date: Date,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<String>,
}

/// Where data about people comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Source {
    pub id: Id,
    pub name: String,
    pub kind: SourceKind,
    /// A party, subject or the organization id.
    pub operator: Id,
    /// Party id of the platform the source runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Id>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub public: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub requires_login: bool,
    /// A forum not tied to any company or product.
    #[serde(default, skip_serializing_if = "is_false")]
    pub white_label: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    pub company_participation: Permission,
    #[serde(default, skip_serializing_if = "is_default")]
    pub scraping: Permission,
    #[serde(default, skip_serializing_if = "is_false")]
    pub impressum: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracking: Vec<Tracking>,
}

/// A tracker on a source the organisation operates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Tracking {
    pub kind: TrackingKind,
    /// Party id that receives the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Id>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub consent_banner: bool,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub fires_before_consent: bool,
    /// v2: how the banner lets the user refuse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject: Option<RejectOption>,
}

/// A person whose data is processed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Subject {
    pub id: Id,
    /// May be a pseudonym (a forum handle).
    pub name: String,
    pub kind: SubjectKind,
    /// ISO 3166 alpha-2.
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<u32>,
    /// The CRM record this person is (or would be) linked to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crm_record: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_since: Option<Date>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purchases: Vec<Purchase>,
    /// v2: the day of birth (the age on any date follows from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<Date>,
    /// v2: contracts with the person and steps before one taken at his request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contracts: Vec<Contract>,
    /// v2: requests the person made under Arts. 15 to 21 GDPR.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<Request>,
    /// v2: the last day the person's data may be kept (the end of the retention period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain_until: Option<Date>,
}

/// v2: a contract with the person, or steps at his request before one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Contract {
    pub kind: ContractKind,
    pub from: Date,
    /// Last day, absent while it lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
}

/// v2: a data-subject request and its answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Request {
    pub kind: RequestKind,
    /// The day the request reached the organisation.
    pub received: Date,
    /// The day it was answered (the information given, the erasure done, or the refusal
    /// with its reasons).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<Date>,
    /// The person was told within the first month that the time is extended by up to two
    /// months, with the reasons (Art. 12(3) sentences 2 and 3).
    #[serde(default, skip_serializing_if = "is_false")]
    pub extended: bool,
    /// The answer refused the request (with reasons, Art. 12(4)).
    #[serde(default, skip_serializing_if = "is_false")]
    pub refused: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Purchase {
    pub product: String,
    pub category: String,
    pub date: Date,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Consent {
    pub id: Id,
    pub subject: Id,
    pub purposes: Vec<Purpose>,
    pub channels: Vec<Channel>,
    /// Empty means all non-special categories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
    /// Empty means all products.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
    pub given: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Date>,
    pub form: ConsentForm,
    #[serde(default, skip_serializing_if = "is_false")]
    pub documented: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub informed: bool,
    /// An express statement covering special categories (Art. 9(2)(a) GDPR).
    #[serde(default, skip_serializing_if = "is_false")]
    pub explicit: bool,
    /// The organization or a party id; default the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obtained_by: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circumstances: Option<String>,
    /// v2: the day the holder of parental responsibility gave or authorised the consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parental_authorisation: Option<Date>,
    /// v2: the channels for which the record proves that the holder of the address or
    /// number agreed (an e-mail address confirmed by the double opt-in link, a number
    /// confirmed by a code sent to it); absent means the model does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<Vec<Channel>>,
}

/// An objection (Art. 21 GDPR; also "no more ads" under § 7 UWG).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Objection {
    pub subject: Id,
    pub scope: ObjectionScope,
    pub date: Date,
}

/// Information given to people.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Notice {
    pub id: Id,
    /// The person informed, or null for a public notice.
    #[serde(deserialize_with = "nullable")]
    #[schemars(required)]
    pub subject: Option<Id>,
    pub article: Article,
    pub date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<Purpose>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Id>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub right_to_object: bool,
}

/// Personal data moving between sources, systems and parties.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Flow {
    pub id: Id,
    /// A source, system or party id.
    pub from: Id,
    /// A source, system or party id.
    pub to: Id,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
    pub purpose: Purpose,
    pub mechanism: Mechanism,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_date: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_date: Option<Date>,
    /// v2: the Art. 49(1) GDPR derogation the transfer relies on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derogation: Option<Derogation>,
}

/// What staff did or plan to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Activity {
    pub id: Id,
    pub kind: ActivityKind,
    /// Null means `as_of`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub status: ActivityStatus,
    /// Staff id.
    pub by: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<Id>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<Id>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
    pub purpose: Purpose,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub audience: Audience,
    /// The message shows it comes from the company.
    #[serde(default, skip_serializing_if = "is_false")]
    pub identifies_company: bool,
    /// The content promotes goods or services.
    #[serde(default, skip_serializing_if = "is_false")]
    pub promotional: bool,
    /// Product categories promoted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub automated: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub large_scale: bool,
    /// The activity that caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggered_by: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<Id>,
    /// v2: how a message presents its sender; absent means the model does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<Sender>,
    /// v2: the message itself clearly pointed out that the person may object to further
    /// advertising at any time at no cost beyond basic rates; absent means the model does
    /// not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objection_notice: Option<bool>,
    /// v2: whose account or medium a public post appears in, and whether it was paid for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<Post>,
    /// v2: consumer reviews the activity shows, and what the company does about their
    /// authenticity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviews: Option<Reviews>,
    /// v2: decisions with legal or similarly significant effects on the people are based on
    /// the activity (Art. 35(3)(a) GDPR).
    #[serde(default, skip_serializing_if = "is_false")]
    pub significant_effects: bool,
}

/// v2: where a public post appears and what the poster got for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Post {
    pub account: PostAccount,
    /// The poster received or was promised payment, free goods or another consideration
    /// from the company for the post.
    pub consideration: bool,
    /// The post itself makes its commercial purpose clear (marked as advertising).
    pub labelled: bool,
}

/// v2: consumer reviews an activity shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Reviews {
    /// The company states that the reviews come from people who bought or used the product.
    pub claimed_genuine: bool,
    /// Reasonable and proportionate steps check that each review comes from such a person.
    pub checked: bool,
    /// Readers are told whether and how the company ensures that.
    pub explained: bool,
    /// Reviews written, bought or commissioned by or for the company, or reviews
    /// misrepresented (good ones picked, bad ones hidden).
    pub fake: bool,
}

/// v2: the sender identification of a message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Sender {
    /// The message names on whose behalf it is sent, not disguised in header or subject.
    pub identified: bool,
    /// The message gives a valid address to which the person can send a request to stop.
    pub stop_address: bool,
}

/// Content an activity publishes or reuses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Content {
    pub origin: ContentOrigin,
    /// Subject id of the author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Id>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub kind: ContentKind,
    /// A personal intellectual creation (§ 2 UrhG); photos are protected in any case.
    #[serde(default, skip_serializing_if = "is_false")]
    pub original: bool,
    /// v2: how the content is used; absent means a copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_as: Option<ContentUse>,
    /// v2: the § 23(1) KUG exception a picture of people falls under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kug_exception: Option<KugException>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Campaign {
    pub id: Id,
    pub name: String,
    /// Staff id.
    pub owner: Id,
    pub status: CampaignStatus,
    pub activities: Vec<Id>,
}

/// The company's own rule, stricter than the law.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Guideline {
    pub id: Id,
    pub text: String,
    /// An activity matching every field given breaks the guideline.
    pub forbid: Forbid,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Forbid {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ActivityKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_kind: Option<SourceKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_kind: Option<SubjectKind>,
}

impl Model {
    /// The date of an activity: its own, or `as_of` when it has none.
    pub fn activity_date(&self, a: &Activity) -> Date {
        a.date.unwrap_or(self.as_of)
    }

    /// The role of a system's operator: as given, else `own` (validation ensures a role is
    /// given whenever the operator is not the organisation).
    pub fn system_role(&self, s: &System) -> SystemRole {
        s.role.unwrap_or(SystemRole::Own)
    }

    /// Who obtained a consent: as given, else the organisation.
    pub fn consent_obtained_by<'a>(&'a self, c: &'a Consent) -> &'a str {
        c.obtained_by.as_deref().unwrap_or(&self.organization.id)
    }
}
