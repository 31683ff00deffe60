//! A generator of large, valid, realistic models, for benchmarks and differential tests.
//!
//! `sphere gen --subjects N --activities M --seed S` writes a company ("Nordlicht Optik GmbH")
//! with a fixed infrastructure (EU and US vendors, processors with and without agreements,
//! forums, social networks, its own forum and fan page), `N` people with consents, objections
//! and notices, and `M` activities of every kind. About 3 % of the activities break a rule on
//! purpose (promotional e-mail or phone calls without consent, a social DM against the
//! company guideline, a hidden forum advertisement, an export to an uncertified US vendor
//! without a processing agreement, reuse of a photo without a licence), so checks have
//! something to find.
//!
//! The output depends only on the configuration: the random numbers come from a seeded
//! SplitMix64, and each person's traits are a pure function of the seed and their number, so
//! the activities can ask "has this person consented to e-mail?" without keeping the people
//! in memory. The JSON is written element by element, one object per line, so a model with a
//! million activities needs a few megabytes, not a tree of the whole document.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::types::*;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenConfig {
    pub subjects: u32,
    pub activities: u32,
    pub seed: u64,
    /// The model's `as_of`; activities fall in the 540 days before it (planned ones in the 30
    /// days after).
    pub as_of: Date,
}

impl GenConfig {
    /// The evaluation date of generated models unless one is given: fixed, so the output
    /// never depends on the clock.
    pub const DEFAULT_AS_OF: sphere_rt::Date = sphere_rt::Date(20_255); // 2025-06-16

    /// The earliest and the latest `as_of` a generated model can have: its dates reach from
    /// about 3,030 days before `as_of` (a customer's first purchase) to 30 days after (planned
    /// activities), and every one must be a calendar day of the model (0001-01-01 to
    /// 9999-12-30; 9999-12-31 ends open periods).
    pub fn as_of_range() -> (Date, Date) {
        let min = sphere_rt::Date::MIN.0 + 3_100;
        let max = sphere_rt::Date::MAX.0 - 1 - FUTURE_DAYS as i32;
        (Date(sphere_rt::Date(min)), Date(sphere_rt::Date(max)))
    }

    pub fn new(subjects: u32, activities: u32, seed: u64) -> GenConfig {
        GenConfig {
            subjects,
            activities,
            seed,
            as_of: Date(Self::DEFAULT_AS_OF),
        }
    }
}

/// Writes the model as JSON to `out`. `subjects` must be at least 1 when `activities` is not 0
/// (activities need people); the CLI checks this before calling.
pub fn write_model<W: Write>(cfg: &GenConfig, out: W) -> io::Result<()> {
    let mut w = io::BufWriter::with_capacity(1 << 16, out);
    Generator::new(cfg).write(&mut w)?;
    w.flush()
}

/// A small, fast, well-mixed PRNG (Steele, Lea, Flood: "Fast splittable pseudorandom number
/// generators", 2014). Good enough for test data; not for anything secret.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A number in `0..n` (0 when `n` is 0). The modulo bias is below 2^-32 for the small
    /// ranges used here.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const ORG: &str = "org-nordlicht-optik";

const FIRST: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hannes", "Ida", "Jonas", "Katrin",
    "Lukas", "Mara", "Niklas", "Olga", "Paul", "Rita", "Sven", "Tanja", "Uwe", "Vera", "Wolfgang",
    "Yvonne", "Zoe", "Mehmet", "Aylin", "Piotr", "Sofia", "Luca", "Emma",
];
const LAST: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Braun",
    "Zimmermann",
    "Krüger",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
    "Yilmaz",
    "Nowak",
];
const CITIES_DE: &[&str] = &[
    "Berlin",
    "Hamburg",
    "München",
    "Köln",
    "Frankfurt am Main",
    "Stuttgart",
    "Leipzig",
    "Dresden",
    "Nürnberg",
    "Passau",
    "Regensburg",
    "Freiburg",
    "Münster",
    "Kiel",
    "Rostock",
];
const COUNTRIES: &[(&str, &str)] = &[
    ("AT", "Wien"),
    ("AT", "Graz"),
    ("NL", "Utrecht"),
    ("FR", "Strasbourg"),
    ("CH", "Basel"),
    ("US", "Chicago"),
    ("PL", "Poznań"),
];
const PRODUCTS: &[(&str, &str)] = &[
    ("Portrait 85 mm f/1.4", "lenses"),
    ("Standardzoom 24-70 mm f/2.8", "lenses"),
    ("Tele 70-200 mm f/2.8", "lenses"),
    ("Makro 100 mm f/2.8", "lenses"),
    ("UV-Filter 77 mm", "filters"),
    ("Polfilter 82 mm", "filters"),
    ("Objektivköcher M", "accessories"),
    ("Reinigungsset", "accessories"),
];

/// What is known about person `i`: a pure function of the seed and `i`.
#[derive(Clone, Copy, Debug)]
struct Traits {
    kind: SubjectKind,
    /// 0 = no consent, else the template (see [`Generator::consent`]).
    consent: u8,
    withdrawn: bool,
    objection: Option<ObjectionScope>,
    notice: bool,
    customer: bool,
}

impl Traits {
    /// A documented, unwithdrawn opt-in for e-mail marketing, and no objection.
    fn email_ok(self) -> bool {
        matches!(self.consent, 1..=3) && !self.withdrawn && self.objection.is_none()
    }

    /// A documented, unwithdrawn consent for phone sales, and no objection.
    fn phone_ok(self) -> bool {
        self.consent == 3 && !self.withdrawn && self.objection.is_none()
    }
}

struct Generator {
    cfg: GenConfig,
    /// The text of every day an activity can fall on, index 0 = 540 days before `as_of`.
    days: Vec<String>,
    width: usize,
}

const PAST_DAYS: i64 = 540;
const FUTURE_DAYS: i64 = 30;

impl Generator {
    fn new(cfg: &GenConfig) -> Generator {
        let start = cfg.as_of.0 .0 as i64 - PAST_DAYS;
        let days = (0..=PAST_DAYS + FUTURE_DAYS)
            .map(|d| sphere_rt::Date((start + d) as i32).to_string())
            .collect();
        let width = cfg.activities.max(cfg.subjects).max(1).to_string().len();
        Generator {
            cfg: *cfg,
            days,
            width,
        }
    }

    fn date(&self, offset_from_as_of: i64) -> Date {
        let d = self.cfg.as_of.0 .0 as i64 + offset_from_as_of;
        Date(sphere_rt::Date(d as i32))
    }

    fn day(&self, offset_from_as_of: i64) -> &str {
        let i = (offset_from_as_of + PAST_DAYS).clamp(0, PAST_DAYS + FUTURE_DAYS) as usize;
        &self.days[i]
    }

    fn subject_id(&self, i: u32) -> String {
        format!("subj-{:0w$}", i, w = self.width)
    }

    fn activity_id(&self, i: u32) -> String {
        format!("act-{:0w$}", i, w = self.width)
    }

    fn rng_for(&self, stream: u64, i: u64) -> SplitMix64 {
        SplitMix64::new(mix(
            self.cfg.seed ^ mix(stream.wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ i)
        ))
    }

    fn traits(&self, i: u32) -> Traits {
        let mut r = self.rng_for(1, i as u64);
        let k = r.below(100);
        let kind = match k {
            0..=74 => SubjectKind::Consumer,
            75..=94 => SubjectKind::Business,
            95..=98 => SubjectKind::Employee,
            _ => SubjectKind::Minor,
        };
        let consent = if kind == SubjectKind::Minor || !r.chance(600) {
            0
        } else {
            // 1 double opt-in e-mail, 2 opt-in e-mail, 3 written e-mail and phone, 4 pre-ticked
            // box (not valid), 5 presumed (business contacts only), 6 implied (a like).
            match r.below(100) {
                0..=44 => 1,
                45..=64 => 2,
                65..=79 => 3,
                80..=87 => 4,
                88..=93 if kind == SubjectKind::Business => 5,
                _ => 6,
            }
        };
        let withdrawn = consent != 0 && r.chance(50);
        let objection = if r.chance(30) {
            Some(*r.pick(&[
                ObjectionScope::DirectMarketing,
                ObjectionScope::All,
                ObjectionScope::Profiling,
            ]))
        } else {
            None
        };
        Traits {
            kind,
            consent,
            withdrawn,
            objection,
            notice: r.chance(350),
            customer: kind != SubjectKind::Employee && r.chance(700),
        }
    }

    /// A random person; with `want`, tries a few times to find one who satisfies it (the few
    /// misses are part of the "breaks a rule" share).
    fn person(&self, r: &mut SplitMix64, want: impl Fn(Traits) -> bool) -> u32 {
        let n = self.cfg.subjects.max(1) as u64;
        let mut i = r.below(n) as u32;
        for _ in 0..16 {
            if want(self.traits(i)) {
                break;
            }
            i = r.below(n) as u32;
        }
        i
    }

    fn write<W: Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"{\n\"format\": \"sphere-model/1\",\n")?;
        writeln!(w, "\"as_of\": \"{}\",", self.cfg.as_of)?;
        w.write_all(b"\"organization\": ")?;
        json(
            w,
            &Organization {
                id: ORG.into(),
                name: "Nordlicht Optik GmbH".into(),
                country: "DE".into(),
                persons_processing: 40,
                dpo: Some("staff-dpo".into()),
                records_of_processing: true,
                core_activities: None,
            },
        )?;
        w.write_all(b",\n")?;
        array(w, "staff", &self.staff())?;
        array(w, "parties", &parties())?;
        array(w, "systems", &systems())?;
        array(w, "agreements", &self.agreements())?;
        array(w, "assessments", &self.assessments())?;
        array(w, "sources", &sources())?;
        self.stream(w, "subjects", self.cfg.subjects, |i| Some(self.subject(i)))?;
        self.stream(w, "consents", self.cfg.subjects, |i| self.consent(i))?;
        self.stream(w, "objections", self.cfg.subjects, |i| self.objection(i))?;
        // Everyone the activities touch gets an Art. 14 notice on the day they first appear
        // (naming the forum, the categories and the right to object), so ordinary work is
        // lawful and only the planted breaks give findings. Finding that day takes one pass
        // over the activities, which are cheap to make again.
        let first_seen = self.first_seen();
        let n = self.cfg.subjects;
        self.stream(w, "notices", 2 * n + 1, |i| match i {
            i if i < n => self.notice(i),
            i if i < 2 * n => self.art14_notice(i - n, first_seen[(i - n) as usize]),
            _ => self.notice(n),
        })?;
        array(w, "flows", &flows())?;
        let mut campaigns: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let n = if self.cfg.subjects == 0 {
            0
        } else {
            self.cfg.activities
        };
        self.stream(w, "activities", n, |i| {
            let (a, _) = self.activity(i);
            if let Some(c) = &a.campaign {
                campaigns.entry(c.clone()).or_default().push(a.id.clone());
            }
            Some(a)
        })?;
        let campaigns: Vec<Campaign> = campaigns
            .into_iter()
            .map(|(id, activities)| {
                let month = id.trim_start_matches("camp-newsletter-").to_string();
                let now = self.cfg.as_of.to_string();
                let status = match month.as_str().cmp(&now[..7]) {
                    std::cmp::Ordering::Less => CampaignStatus::Done,
                    std::cmp::Ordering::Equal => CampaignStatus::Running,
                    std::cmp::Ordering::Greater => CampaignStatus::Planned,
                };
                Campaign {
                    name: format!("Newsletter {month}"),
                    id,
                    owner: "staff-marketing-1".into(),
                    status,
                    activities,
                }
            })
            .collect();
        array(w, "campaigns", &campaigns)?;
        w.write_all(b"\"guidelines\": [\n")?;
        json(
            w,
            &Guideline {
                id: "gl-no-social-dm-marketing".into(),
                text: "No marketing through private messages on social networks.".into(),
                forbid: Forbid {
                    channel: Some(Channel::SocialDm),
                    purpose: Some(Purpose::Marketing),
                    ..Forbid::default()
                },
            },
        )?;
        w.write_all(b"\n]\n}\n")
    }

    /// Writes `"key": [ ... ],` with one element per line, produced one at a time.
    fn stream<W: Write, T: Serialize>(
        &self,
        w: &mut W,
        key: &str,
        n: u32,
        mut item: impl FnMut(u32) -> Option<T>,
    ) -> io::Result<()> {
        write!(w, "\"{key}\": [")?;
        let mut first = true;
        for i in 0..n {
            if let Some(t) = item(i) {
                w.write_all(if first { b"\n" } else { b",\n" })?;
                first = false;
                json(w, &t)?;
            }
        }
        w.write_all(b"\n],\n")
    }

    fn staff(&self) -> Vec<Staff> {
        let mut s = vec![
            staff("staff-dpo", "Dr. Helga Brandt", StaffFunction::Dpo),
            staff("staff-legal", "Jan Sommer", StaffFunction::Legal),
            staff(
                "staff-social-media",
                "Mia Köhler",
                StaffFunction::SocialMedia,
            ),
            staff(
                "staff-management",
                "Georg Lindqvist",
                StaffFunction::Management,
            ),
            staff("staff-it", "Tobias Engel", StaffFunction::It),
        ];
        for i in 1..=4 {
            let name =
                |k: usize| format!("{} {}", FIRST[k % FIRST.len()], LAST[(k * 7) % LAST.len()]);
            s.push(staff(
                &format!("staff-service-{i}"),
                &name(i * 3),
                StaffFunction::Service,
            ));
            s.push(staff(
                &format!("staff-marketing-{i}"),
                &name(i * 5 + 1),
                StaffFunction::Marketing,
            ));
            s.push(staff(
                &format!("staff-sales-{i}"),
                &name(i * 7 + 2),
                StaffFunction::Sales,
            ));
        }
        s
    }

    fn agreements(&self) -> Vec<Agreement> {
        let d = |s: &str| Date::parse(s).expect("fixed dates are valid");
        let agr = |id: &str, kind, with: &str, systems: &[&str], from: &str| Agreement {
            id: id.into(),
            kind,
            with: with.into(),
            systems: systems.iter().map(|s| s.to_string()).collect(),
            sources: vec![],
            flows: vec![],
            from: d(from),
            to: None,
            edition: None,
            published: false,
        };
        let mut scc = agr(
            "agr-socialscope-scc",
            AgreementKind::Scc,
            "party-socialscope",
            &["sys-monitoring"],
            "2021-09-01",
        );
        scc.edition = Some("2021/914".into());
        let mut jc = agr(
            "agr-meta-joint-control",
            AgreementKind::JointControl,
            "party-meta",
            &["sys-page-insights"],
            "2018-09-11",
        );
        jc.sources = vec!["src-fanpage".into()];
        jc.published = true;
        let mut part = agr(
            "agr-fotoforum-participation",
            AgreementKind::Participation,
            "party-fotoforum",
            &[],
            "2020-02-01",
        );
        part.sources = vec!["src-fotoforum".into()];
        vec![
            agr(
                "agr-cloudhelp-dpa",
                AgreementKind::Dpa,
                "party-cloudhelp",
                &["sys-helpdesk"],
                "2019-04-01",
            ),
            agr(
                "agr-postwerk-dpa",
                AgreementKind::Dpa,
                "party-postwerk",
                &["sys-newsletter"],
                "2019-01-15",
            ),
            agr(
                "agr-socialscope-dpa",
                AgreementKind::Dpa,
                "party-socialscope",
                &["sys-monitoring"],
                "2019-06-01",
            ),
            scc,
            agr(
                "agr-clickmetrics-dpa",
                AgreementKind::Dpa,
                "party-clickmetrics",
                &["sys-analytics"],
                "2023-11-01",
            ),
            jc,
            part,
        ]
    }

    fn assessments(&self) -> Vec<Assessment> {
        let d = |s: &str| Date::parse(s).expect("fixed dates are valid");
        let asm =
            |id: &str, kind, about: &str, purpose: Purpose, date: &str, measure: &str| Assessment {
                id: id.into(),
                kind,
                about: about.into(),
                purpose: Some(purpose),
                date: d(date),
                outcome: Outcome::Acceptable,
                measures: vec![measure.into()],
            };
        let mut more = vec![
            asm(
                "asm-lia-link-support",
                AssessmentKind::Lia,
                "flow-helpdesk-crm",
                Purpose::Support,
                "2020-02-01",
                "link only to answer the person's own request",
            ),
            asm(
                "asm-compatibility-link-support",
                AssessmentKind::Compatibility,
                "flow-helpdesk-crm",
                Purpose::Support,
                "2020-02-01",
                "support follows from the complaint the person posted",
            ),
            asm(
                "asm-compatibility-webform-contract",
                AssessmentKind::Compatibility,
                "src-webform",
                Purpose::Contract,
                "2020-02-01",
                "the person asked for an offer through the form",
            ),
        ];
        let mut v = vec![
            Assessment {
                id: "asm-lia-forum-service".into(),
                kind: AssessmentKind::Lia,
                about: "flow-forum-helpdesk".into(),
                purpose: Some(Purpose::Service),
                date: d("2020-02-01"),
                outcome: Outcome::Acceptable,
                measures: vec!["only posts addressed to the company".into()],
            },
            Assessment {
                id: "asm-tia-socialscope".into(),
                kind: AssessmentKind::Tia,
                about: "flow-crm-monitoring".into(),
                purpose: None,
                date: d("2021-09-01"),
                outcome: Outcome::Acceptable,
                measures: vec![
                    "pseudonymisation".into(),
                    "encryption_controller_keys".into(),
                ],
            },
            Assessment {
                id: "asm-dpia-monitoring".into(),
                kind: AssessmentKind::Dpia,
                about: "sys-monitoring".into(),
                purpose: None,
                date: d("2019-05-20"),
                outcome: Outcome::Acceptable,
                measures: vec!["keyword lists reviewed by the DPO".into()],
            },
        ];
        v.append(&mut more);
        v
    }

    fn subject(&self, i: u32) -> Subject {
        let t = self.traits(i);
        let mut r = self.rng_for(2, i as u64);
        let first = r.pick(FIRST);
        let last = r.pick(LAST);
        let (country, city) = if r.chance(880) {
            ("DE", *r.pick(CITIES_DE))
        } else {
            *r.pick(COUNTRIES)
        };
        let age = match t.kind {
            SubjectKind::Minor => Some(14 + r.below(4) as u32),
            _ if r.chance(500) => Some(18 + r.below(62) as u32),
            _ => None,
        };
        let since = -(r.below(3000) as i64) - 30;
        let purchases = if t.customer {
            (0..1 + r.below(3))
                .map(|_| {
                    let (product, category) = *r.pick(PRODUCTS);
                    Purchase {
                        product: product.into(),
                        category: category.into(),
                        date: self.date(since + r.below((-since) as u64) as i64),
                    }
                })
                .collect()
        } else {
            vec![]
        };
        Subject {
            id: self.subject_id(i),
            name: format!("{first} {last}"),
            kind: t.kind,
            country: country.into(),
            city: Some(city.into()),
            age,
            crm_record: t.customer.then(|| format!("CRM-{}", 100_000 + i as u64)),
            customer_since: t.customer.then(|| self.date(since)),
            purchases,
            birth_date: None,
            contracts: vec![],
            requests: vec![],
            retain_until: None,
        }
    }

    fn consent(&self, i: u32) -> Option<Consent> {
        let t = self.traits(i);
        if t.consent == 0 {
            return None;
        }
        let mut r = self.rng_for(3, i as u64);
        // Before any activity (they start 540 days before `as_of`), so a consent covers them.
        let given = -(r.below(1500) as i64) - 560;
        let (form, purposes, channels) = match t.consent {
            1 => (
                ConsentForm::DoubleOptIn,
                vec![Purpose::Newsletter, Purpose::Marketing],
                vec![Channel::Email],
            ),
            2 => (
                ConsentForm::OptIn,
                vec![Purpose::Newsletter, Purpose::Marketing],
                vec![Channel::Email],
            ),
            3 => (
                ConsentForm::Written,
                vec![Purpose::Marketing, Purpose::Sales, Purpose::Newsletter],
                vec![Channel::Email, Channel::Phone],
            ),
            4 => (
                ConsentForm::PreTicked,
                vec![Purpose::Marketing],
                vec![Channel::Email],
            ),
            5 => (
                ConsentForm::Presumed,
                vec![Purpose::Sales],
                vec![Channel::Phone],
            ),
            _ => (
                ConsentForm::Implied,
                vec![Purpose::Marketing],
                vec![Channel::SocialDm],
            ),
        };
        let documented = matches!(t.consent, 1..=3 | 5);
        Some(Consent {
            id: format!("cns-{:0w$}", i, w = self.width),
            subject: self.subject_id(i),
            purposes,
            channels,
            categories: vec![],
            products: vec![],
            given: self.date(given),
            withdrawn: t
                .withdrawn
                .then(|| self.date(given + 1 + r.below((-given) as u64 - 1) as i64)),
            form,
            documented,
            informed: documented,
            explicit: false,
            obtained_by: None,
            circumstances: (t.consent == 5)
                .then(|| "asked at a trade fair for an offer on studio lenses".to_string()),
            parental_authorisation: None,
            verified: None,
        })
    }

    fn objection(&self, i: u32) -> Option<Objection> {
        let scope = self.traits(i).objection?;
        let mut r = self.rng_for(4, i as u64);
        Some(Objection {
            subject: self.subject_id(i),
            scope,
            date: self.date(-(r.below(700) as i64) - 1),
        })
    }

    /// Notice `subjects` (the last index) is the public privacy policy; the others are Art. 13
    /// notices given to customers when they bought.
    fn notice(&self, i: u32) -> Option<Notice> {
        if i == self.cfg.subjects {
            return Some(Notice {
                id: "ntc-privacy-policy".into(),
                subject: None,
                article: Article::A13,
                date: Date::parse("2018-05-25").expect("fixed date is valid"),
                channel: None,
                covers: vec![
                    Purpose::Service,
                    Purpose::Contract,
                    Purpose::Newsletter,
                    Purpose::Analytics,
                ],
                sources: vec!["src-webform".into(), "src-own-forum".into()],
                categories: vec![
                    Category::Identity,
                    Category::ContactEmail,
                    Category::OnlineIdentifier,
                ],
                right_to_object: true,
            });
        }
        let t = self.traits(i);
        if !t.notice || !t.customer {
            return None;
        }
        let s = self.subject(i);
        Some(Notice {
            id: format!("ntc-{:0w$}", i, w = self.width),
            subject: Some(s.id),
            article: Article::A13,
            date: s.customer_since?,
            channel: Some(Channel::Email),
            covers: vec![Purpose::Contract, Purpose::Marketing],
            sources: vec![],
            categories: vec![
                Category::Identity,
                Category::ContactEmail,
                Category::PurchaseHistory,
            ],
            right_to_object: true,
        })
    }

    /// Activity `i`, and the numbers of the people it concerns.
    fn activity(&self, i: u32) -> (Activity, Vec<u32>) {
        let mut r = self.rng_for(5, i as u64);
        let planned = r.chance(80);
        let offset = if planned {
            r.below(FUTURE_DAYS as u64 + 1) as i64
        } else {
            -(r.below(PAST_DAYS as u64) as i64)
        };
        let mut a = Activity {
            id: self.activity_id(i),
            kind: ActivityKind::Contact,
            date: Some(self.date(offset)),
            status: if planned {
                ActivityStatus::Planned
            } else {
                ActivityStatus::Done
            },
            by: format!("staff-service-{}", 1 + r.below(4)),
            source: None,
            system: Some("sys-crm".into()),
            flow: None,
            subjects: vec![],
            categories: vec![],
            purpose: Purpose::Service,
            channel: None,
            audience: Audience::OneToOne,
            identifies_company: true,
            promotional: false,
            products: vec![],
            automated: false,
            large_scale: false,
            triggered_by: None,
            content: None,
            campaign: None,
            sender: None,
            objection_notice: None,
            post: None,
            reviews: None,
            significant_effects: false,
        };
        let s = |id: &str| Some(id.to_string());
        let product = |r: &mut SplitMix64| vec![r.pick(PRODUCTS).1.to_string()];
        let marketing = |r: &mut SplitMix64| format!("staff-marketing-{}", 1 + r.below(4));
        let mut who: Vec<u32> = Vec::new();
        let roll = r.below(1000);
        match roll {
            // Rule breakers, 30 in 1000.
            0..=7 => {
                // Promotional e-mail to someone without a valid e-mail consent.
                let p = self.person(&mut r, |t| !t.email_ok() && t.kind == SubjectKind::Consumer);
                a.by = marketing(&mut r);
                who = vec![p];
                a.categories = vec![Category::Identity, Category::ContactEmail];
                a.purpose = Purpose::Marketing;
                a.channel = Some(Channel::Email);
                a.promotional = true;
                a.products = product(&mut r);
            }
            8..=13 => {
                // Sales call to a consumer without phone consent.
                let p = self.person(&mut r, |t| !t.phone_ok() && t.kind == SubjectKind::Consumer);
                a.by = format!("staff-sales-{}", 1 + r.below(4));
                who = vec![p];
                a.categories = vec![Category::Identity, Category::ContactPhone];
                a.purpose = Purpose::Sales;
                a.channel = Some(Channel::Phone);
                a.promotional = true;
                a.products = product(&mut r);
            }
            14..=18 => {
                // Marketing by social DM: against the company guideline.
                let p = self.person(&mut r, |t| t.kind == SubjectKind::Business);
                a.by = "staff-social-media".into();
                a.source = s("src-linkedin");
                a.system = None;
                who = vec![p];
                a.categories = vec![Category::Identity, Category::Professional];
                a.purpose = Purpose::Marketing;
                a.channel = Some(Channel::SocialDm);
                a.promotional = true;
                a.products = product(&mut r);
            }
            19..=22 => {
                // A forum post that advertises without saying who writes it.
                let p = self.person(&mut r, |_| true);
                a.source = s("src-fotoforum");
                a.system = None;
                who = vec![p];
                a.categories = vec![Category::Identity];
                a.purpose = Purpose::Marketing;
                a.channel = Some(Channel::ForumReply);
                a.audience = Audience::OneToMany;
                a.identifies_company = false;
                a.promotional = true;
                a.products = product(&mut r);
            }
            23..=26 => {
                // Export to a US vendor with neither certification nor agreement.
                a.kind = ActivityKind::Transfer;
                a.by = marketing(&mut r);
                a.system = s("sys-datanest");
                a.flow = s("flow-crm-datanest");
                who = self.people(&mut r, 3, |_| true);
                a.categories = vec![Category::OnlineIdentifier, Category::PurchaseHistory];
                a.purpose = Purpose::Analytics;
                a.automated = true;
            }
            27..=29 => {
                // A customer's photo from the fan page reused without a licence.
                let p = self.person(&mut r, |_| true);
                a.kind = ActivityKind::ReuseContent;
                a.by = marketing(&mut r);
                a.source = s("src-fanpage");
                a.system = s("sys-website");
                who = vec![p];
                a.categories = vec![Category::Identity, Category::Image];
                a.purpose = Purpose::Marketing;
                a.audience = Audience::OneToMany;
                a.promotional = true;
                a.content = Some(Content {
                    origin: ContentOrigin::User,
                    author: Some(self.subject_id(p)),
                    kind: ContentKind::Photo,
                    original: false,
                    used_as: None,
                    kug_exception: None,
                });
            }
            // Ordinary work.
            30..=179 => {
                a.kind = ActivityKind::Collect;
                a.source = s("src-fotoforum");
                a.system = s("sys-helpdesk");
                a.flow = s("flow-forum-helpdesk");
                who = vec![self.person(&mut r, |_| true)];
                a.categories = vec![Category::Identity, Category::Location, Category::Content];
            }
            180..=379 => {
                let p = self.person(&mut r, Traits::email_ok);
                a.by = marketing(&mut r);
                a.system = s("sys-newsletter");
                a.flow = s("flow-crm-newsletter");
                who = vec![p];
                a.categories = vec![Category::Identity, Category::ContactEmail];
                a.purpose = Purpose::Newsletter;
                a.channel = Some(Channel::Email);
                a.promotional = true;
                a.products = product(&mut r);
                a.automated = true;
                a.campaign = Some(format!("camp-newsletter-{}", &self.day(offset)[..7]));
            }
            380..=479 => {
                who = vec![self.person(&mut r, |_| true)];
                a.categories = vec![Category::Identity, Category::ContactPhone];
                a.purpose = Purpose::Support;
                a.channel = Some(Channel::Phone);
            }
            480..=559 => {
                a.source = s("src-fotoforum");
                a.system = None;
                who = vec![self.person(&mut r, |_| true)];
                a.categories = vec![Category::Identity];
                a.purpose = Purpose::Support;
                a.channel = Some(Channel::ForumReply);
                a.audience = Audience::OneToMany;
            }
            560..=639 => {
                a.kind = ActivityKind::Publish;
                a.by = "staff-social-media".into();
                a.source = s("src-fanpage");
                a.system = None;
                a.purpose = Purpose::Marketing;
                a.channel = Some(Channel::SocialPost);
                a.audience = Audience::OneToMany;
                a.promotional = true;
                a.products = product(&mut r);
            }
            640..=699 => {
                a.kind = ActivityKind::Select;
                a.by = marketing(&mut r);
                who = self.people(&mut r, 8, Traits::email_ok);
                a.categories = vec![
                    Category::Identity,
                    Category::ContactEmail,
                    Category::PurchaseHistory,
                ];
                a.purpose = Purpose::Newsletter;
                a.campaign = Some(format!("camp-newsletter-{}", &self.day(offset)[..7]));
            }
            700..=749 => {
                a.kind = ActivityKind::Enrich;
                a.by = format!("staff-sales-{}", 1 + r.below(4));
                a.source = s("src-webform");
                who = vec![self.person(&mut r, |_| true)];
                a.categories = vec![Category::Professional, Category::ContactEmail];
                a.purpose = Purpose::Contract;
            }
            750..=809 => {
                a.kind = ActivityKind::Transfer;
                a.by = "staff-social-media".into();
                a.system = s("sys-monitoring");
                a.flow = s("flow-crm-monitoring");
                who = self.people(&mut r, 5, |_| true);
                a.categories = vec![Category::Identity, Category::OnlineIdentifier];
                a.automated = true;
                a.large_scale = true;
            }
            810..=849 => {
                a.kind = ActivityKind::Track;
                a.by = "staff-it".into();
                a.source = s("src-own-forum");
                a.system = s("sys-analytics");
                a.flow = s("flow-forum-analytics");
                a.categories = vec![Category::OnlineIdentifier];
                a.purpose = Purpose::Analytics;
                a.automated = true;
                a.large_scale = true;
            }
            850..=889 => {
                a.kind = ActivityKind::Delete;
                a.system = s("sys-helpdesk");
                who = vec![self.person(&mut r, |_| true)];
                a.categories = vec![Category::Identity, Category::Content];
                a.purpose = Purpose::LegalObligation;
            }
            890..=929 => {
                a.kind = ActivityKind::Link;
                a.source = s("src-fotoforum");
                a.flow = s("flow-helpdesk-crm");
                who = vec![self.person(&mut r, |t| t.customer)];
                a.categories = vec![Category::Identity, Category::Content];
                a.purpose = Purpose::Support;
            }
            930..=959 => {
                a.kind = ActivityKind::Monitor;
                a.by = "staff-social-media".into();
                a.source = s("src-fanpage");
                a.system = s("sys-page-insights");
                a.flow = s("flow-fanpage-insights");
                a.categories = vec![Category::OnlineIdentifier];
                a.purpose = Purpose::Analytics;
                a.automated = true;
            }
            _ => {
                who = vec![self.person(&mut r, |_| true)];
                a.categories = vec![Category::Identity];
                a.purpose = Purpose::Contract;
                a.channel = Some(Channel::InPerson);
            }
        }
        a.subjects = who.iter().map(|&p| self.subject_id(p)).collect();
        (a, who)
    }

    /// For each person, the offset from `as_of` of the first activity concerning them
    /// (`i64::MAX` for people no activity touches).
    fn first_seen(&self) -> Vec<i64> {
        let mut first = vec![i64::MAX; self.cfg.subjects as usize];
        let n = if self.cfg.subjects == 0 {
            0
        } else {
            self.cfg.activities
        };
        for i in 0..n {
            let (a, who) = self.activity(i);
            let day = a
                .date
                .map_or(0, |d| d.0 .0 as i64 - self.cfg.as_of.0 .0 as i64);
            for p in who {
                if let Some(f) = first.get_mut(p as usize) {
                    *f = (*f).min(day);
                }
            }
        }
        first
    }

    /// The Art. 14 notice to person `i`, given the day they first appear (`offset` from
    /// `as_of`); none for people no activity touches.
    fn art14_notice(&self, i: u32, offset: i64) -> Option<Notice> {
        if offset == i64::MAX {
            return None;
        }
        use Category as C;
        Some(Notice {
            id: format!("ntc14-{:0w$}", i, w = self.width),
            subject: Some(self.subject_id(i)),
            article: Article::A14,
            date: self.date(offset),
            channel: Some(Channel::Email),
            covers: vec![
                Purpose::Service,
                Purpose::Support,
                Purpose::Contract,
                Purpose::Newsletter,
                Purpose::Analytics,
            ],
            sources: vec!["src-fotoforum".into(), "src-webform".into()],
            categories: vec![
                C::Identity,
                C::Location,
                C::Content,
                C::ContactEmail,
                C::ContactPhone,
                C::Professional,
                C::PurchaseHistory,
                C::OnlineIdentifier,
            ],
            right_to_object: true,
        })
    }

    /// Up to `n` distinct people, sorted, preferring those that satisfy `want`.
    fn people(&self, r: &mut SplitMix64, n: u32, want: impl Fn(Traits) -> bool + Copy) -> Vec<u32> {
        let k = 1 + r.below(n as u64) as u32;
        let mut ids: Vec<u32> = (0..k).map(|_| self.person(r, want)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

fn json<W: Write, T: Serialize>(w: &mut W, t: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *w, t).map_err(io::Error::other)
}

fn array<W: Write, T: Serialize>(w: &mut W, key: &str, items: &[T]) -> io::Result<()> {
    write!(w, "\"{key}\": [")?;
    for (i, t) in items.iter().enumerate() {
        w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        json(w, t)?;
    }
    w.write_all(b"\n],\n")
}

fn staff(id: &str, name: &str, function: StaffFunction) -> Staff {
    Staff {
        id: id.into(),
        name: name.into(),
        function,
        private_account_consent: None,
    }
}

fn parties() -> Vec<Party> {
    let cert = |scheme, from: &str, to: Option<&str>| Certification {
        scheme,
        from: Date::parse(from).expect("fixed dates are valid"),
        to: to.and_then(Date::parse),
    };
    let party = |id: &str, name: &str, country: &str, certifications| Party {
        id: id.into(),
        name: name.into(),
        country: country.into(),
        certifications,
    };
    vec![
        party(
            "party-clickmetrics",
            "ClickMetrics Inc.",
            "US",
            vec![cert(Scheme::Dpf, "2023-10-05", None)],
        ),
        party("party-cloudhelp", "CloudHelp B.V.", "NL", vec![]),
        party("party-datanest", "DataNest LLC", "US", vec![]),
        party("party-fotoforum", "Fotoforum Media GmbH", "DE", vec![]),
        party(
            "party-linkedin",
            "LinkedIn Ireland Unlimited Company",
            "IE",
            vec![],
        ),
        party("party-meta", "Meta Platforms Ireland Ltd.", "IE", vec![]),
        party("party-postwerk", "Postwerk Mailing GmbH", "DE", vec![]),
        party(
            "party-socialscope",
            "SocialScope Inc.",
            "US",
            vec![
                cert(Scheme::PrivacyShield, "2017-01-16", Some("2023-07-09")),
                cert(Scheme::Dpf, "2023-07-10", None),
            ],
        ),
    ]
}

fn systems() -> Vec<System> {
    let sys = |id: &str, name: &str, kind, operator: &str, country: &str, role| System {
        id: id.into(),
        name: name.into(),
        kind,
        operator: operator.into(),
        hosting_country: country.into(),
        role: Some(role),
        incidents: vec![],
    };
    use SystemKind as K;
    use SystemRole as R;
    vec![
        sys(
            "sys-analytics",
            "ClickMetrics Web Analytics",
            K::Analytics,
            "party-clickmetrics",
            "US",
            R::Processor,
        ),
        sys("sys-crm", "Nordlicht CRM", K::Crm, ORG, "DE", R::Own),
        sys(
            "sys-datanest",
            "DataNest Audience Cloud",
            K::Analytics,
            "party-datanest",
            "US",
            R::Processor,
        ),
        sys(
            "sys-helpdesk",
            "CloudHelp Desk",
            K::Helpdesk,
            "party-cloudhelp",
            "NL",
            R::Processor,
        ),
        sys(
            "sys-monitoring",
            "SocialScope Listening",
            K::SocialMonitoring,
            "party-socialscope",
            "US",
            R::Processor,
        ),
        sys(
            "sys-newsletter",
            "Postwerk Mailer",
            K::EmailMarketing,
            "party-postwerk",
            "DE",
            R::Processor,
        ),
        sys(
            "sys-page-insights",
            "Facebook Page Insights",
            K::Analytics,
            "party-meta",
            "IE",
            R::JointController,
        ),
        sys(
            "sys-website",
            "nordlicht-optik.de",
            K::Website,
            ORG,
            "DE",
            R::Own,
        ),
    ]
}

fn sources() -> Vec<Source> {
    let src = |id: &str, name: &str, kind, operator: &str| Source {
        id: id.into(),
        name: name.into(),
        kind,
        operator: operator.into(),
        platform: None,
        public: true,
        requires_login: false,
        white_label: false,
        company_participation: Permission::Allowed,
        scraping: Permission::Forbidden,
        impressum: false,
        tracking: vec![],
    };
    let mut fotoforum = src(
        "src-fotoforum",
        "Fotoforum.de",
        SourceKind::Forum,
        "party-fotoforum",
    );
    fotoforum.white_label = true;
    let mut linkedin = src(
        "src-linkedin",
        "LinkedIn",
        SourceKind::SocialNetwork,
        "party-linkedin",
    );
    linkedin.platform = Some("party-linkedin".into());
    linkedin.requires_login = true;
    let mut fanpage = src(
        "src-fanpage",
        "Nordlicht Optik on Facebook",
        SourceKind::FanPage,
        ORG,
    );
    fanpage.platform = Some("party-meta".into());
    fanpage.impressum = true;
    let mut own_forum = src(
        "src-own-forum",
        "Nordlicht Community",
        SourceKind::Forum,
        ORG,
    );
    own_forum.impressum = true;
    own_forum.tracking = vec![Tracking {
        kind: TrackingKind::Analytics,
        recipient: Some("party-clickmetrics".into()),
        consent_banner: true,
        fires_before_consent: false,
        reject: None,
    }];
    let mut webform = src("src-webform", "Kontaktformular", SourceKind::WebForm, ORG);
    webform.public = false;
    webform.impressum = true;
    vec![fanpage, fotoforum, linkedin, own_forum, webform]
}

fn flows() -> Vec<Flow> {
    let flow =
        |id: &str, from: &str, to: &str, categories: Vec<Category>, purpose, mechanism| Flow {
            id: id.into(),
            from: from.into(),
            to: to.into(),
            categories,
            purpose,
            mechanism,
            from_date: None,
            to_date: None,
            derogation: None,
        };
    use Category as C;
    use Mechanism as M;
    vec![
        flow(
            "flow-crm-datanest",
            "sys-crm",
            "sys-datanest",
            vec![C::OnlineIdentifier, C::PurchaseHistory],
            Purpose::Analytics,
            M::Export,
        ),
        flow(
            "flow-crm-monitoring",
            "sys-crm",
            "sys-monitoring",
            vec![C::Identity, C::OnlineIdentifier],
            Purpose::Service,
            M::Api,
        ),
        flow(
            "flow-crm-newsletter",
            "sys-crm",
            "sys-newsletter",
            vec![C::Identity, C::ContactEmail],
            Purpose::Newsletter,
            M::Api,
        ),
        flow(
            "flow-fanpage-insights",
            "src-fanpage",
            "sys-page-insights",
            vec![C::OnlineIdentifier],
            Purpose::Analytics,
            M::Api,
        ),
        flow(
            "flow-forum-analytics",
            "src-own-forum",
            "sys-analytics",
            vec![C::OnlineIdentifier],
            Purpose::Analytics,
            M::Api,
        ),
        flow(
            "flow-forum-helpdesk",
            "src-fotoforum",
            "sys-helpdesk",
            vec![C::Identity, C::Location, C::Content],
            Purpose::Service,
            M::Manual,
        ),
        flow(
            "flow-helpdesk-crm",
            "sys-helpdesk",
            "sys-crm",
            vec![C::Identity, C::Content],
            Purpose::Support,
            M::Api,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen(subjects: u32, activities: u32, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_model(&GenConfig::new(subjects, activities, seed), &mut out)
            .expect("writing to a Vec");
        out
    }

    #[test]
    fn models_at_both_ends_of_the_as_of_range_are_valid() {
        let (min, max) = GenConfig::as_of_range();
        for as_of in [min, max] {
            let cfg = GenConfig {
                as_of,
                ..GenConfig::new(60, 300, 3)
            };
            let mut out = Vec::new();
            write_model(&cfg, &mut out).expect("writes");
            let text = String::from_utf8(out).expect("UTF-8");
            let loaded = crate::load_texts(&[("gen.json", &text)], as_of);
            assert!(loaded.is_ok(), "{as_of}: {:?}", loaded.err());
        }
    }

    #[test]
    fn default_as_of_is_the_documented_day() {
        assert_eq!(Date(GenConfig::DEFAULT_AS_OF).to_string(), "2025-06-16");
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let a = gen(50, 300, 7);
        assert_eq!(a, gen(50, 300, 7));
        assert_ne!(a, gen(50, 300, 8));
    }

    #[test]
    fn output_is_a_complete_model_with_the_requested_sizes() {
        let bytes = gen(40, 500, 1);
        let model: Model =
            serde_json::from_slice(&bytes).expect("generated JSON parses as a model");
        assert_eq!(model.subjects.len(), 40);
        assert_eq!(model.activities.len(), 500);
        assert_eq!(model.organization.id, ORG);
    }

    #[test]
    fn every_reference_of_an_activity_names_a_defined_object() {
        let model: Model = serde_json::from_slice(&gen(30, 2000, 3)).expect("parses");
        let it = &model;
        let ids: std::collections::BTreeSet<&str> = it
            .staff
            .iter()
            .map(|x| x.id.as_str())
            .chain(it.sources.iter().map(|x| x.id.as_str()))
            .chain(it.systems.iter().map(|x| x.id.as_str()))
            .chain(it.flows.iter().map(|x| x.id.as_str()))
            .chain(it.subjects.iter().map(|x| x.id.as_str()))
            .chain(it.campaigns.iter().map(|x| x.id.as_str()))
            .collect();
        for a in &it.activities {
            let refs = [
                &Some(a.by.clone()),
                &a.source,
                &a.system,
                &a.flow,
                &a.campaign,
            ];
            for r in refs.into_iter().flatten() {
                assert!(ids.contains(r.as_str()), "{} names unknown {r}", a.id);
            }
            for s in &a.subjects {
                assert!(ids.contains(s.as_str()), "{} names unknown {s}", a.id);
            }
        }
        for c in &it.consents {
            if let Some(w) = c.withdrawn {
                assert!(w > c.given, "{} withdrawn before given", c.id);
            }
        }
    }

    #[test]
    fn a_few_percent_break_a_rule() {
        let model: Model = serde_json::from_slice(&gen(200, 10_000, 11)).expect("parses");
        let dm = model
            .activities
            .iter()
            .filter(|a| a.channel == Some(Channel::SocialDm))
            .count();
        let hidden = model
            .activities
            .iter()
            .filter(|a| a.audience == Audience::OneToMany && !a.identifies_company)
            .count();
        // 5 and 4 in 1000 expected: generous bounds, but zero or a flood would fail.
        assert!((20..=90).contains(&dm), "social DMs: {dm}");
        assert!((15..=70).contains(&hidden), "hidden adverts: {hidden}");
    }

    #[test]
    fn generated_models_pass_validation() {
        let today = Date::parse("2025-01-01").expect("a valid date");
        for seed in [1, 2, 3] {
            let text = String::from_utf8(gen(60, 1500, seed)).expect("the generator writes UTF-8");
            if let Err(e) = crate::load_texts(&[("generated.json", &text)], today) {
                panic!("seed {seed}:\n{}", crate::render(&e));
            }
        }
    }

    #[test]
    fn everyone_touched_is_informed_by_their_first_activity() {
        let model: Model = serde_json::from_slice(&gen(40, 800, 9)).expect("parses");
        let mut first: BTreeMap<&str, Date> = BTreeMap::new();
        for a in &model.activities {
            let d = a.date.expect("generated activities are dated");
            for s in &a.subjects {
                let f = first.entry(s.as_str()).or_insert(d);
                *f = (*f).min(d);
            }
        }
        for (s, d) in first {
            let informed = model.notices.iter().any(|n| {
                n.subject.as_deref() == Some(s)
                    && n.article == Article::A14
                    && n.date <= d
                    && n.right_to_object
            });
            assert!(
                informed,
                "{s} first appears on {d} without an Art. 14 notice"
            );
        }
    }

    #[test]
    fn no_activities_without_people() {
        let model: Model = serde_json::from_slice(&gen(0, 10, 1)).expect("parses");
        assert!(model.activities.is_empty());
    }
}
