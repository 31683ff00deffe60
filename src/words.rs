//! Words for facts: what a fact of a relation says, in English and German, so that a why-not
//! can tell a jurist which piece is missing ("consent c-karl-1 covers channel email, not
//! phone") instead of showing `no consent_channel("c-karl-1", "phone")`.
//!
//! Templates are attached to relations by name and name the relation's columns in braces
//! (`{consent}`); the words for a column used in a comparison (a date the act falls after)
//! are attached to `relation.column`. A relation without a template is shown in a neutral
//! form naming the relation and its values. `tests::templates_name_the_columns_of_their_relation`
//! holds every template to the shipped knowledge base's declarations, and
//! `tests::every_input_and_negated_relation_has_words` to its coverage.

use sphere_engine::ir::{Program, RelId};

use crate::findings::{Lang, Texts};

/// A relation's words: what one of its facts says (`en`, `de`), and, where the plain negation
/// "not on record: ..." reads badly, what its absence says (`en_not`, `de_not`; empty: the
/// plain negation).
pub struct Words {
    pub relation: &'static str,
    pub en: &'static str,
    pub de: &'static str,
    pub en_not: &'static str,
    pub de_not: &'static str,
}

const fn w(relation: &'static str, en: &'static str, de: &'static str) -> Words {
    Words {
        relation,
        en,
        de,
        en_not: "",
        de_not: "",
    }
}

const fn wn(
    relation: &'static str,
    en: &'static str,
    de: &'static str,
    en_not: &'static str,
    de_not: &'static str,
) -> Words {
    Words {
        relation,
        en,
        de,
        en_not,
        de_not,
    }
}

/// The words of every relation that has them, by name. Input relations first (the model's
/// facts, in the order of `knowledge/model.dl`), then derived relations.
pub const RELATIONS: &[Words] = &[
    // ------------------------------------------------------------- the model's facts
    w("as_of", "the evaluation date is {date}", "der Stichtag ist der {date}"),
    w("organization", "{org} is the controller ({name}, {country})", "{org} ist der Verantwortliche ({name}, {country})"),
    wn("organization_dpo", "{staff} is the data protection officer of {org}", "{staff} ist Datenschutzbeauftragte(r) von {org}", "{org} has named no data protection officer", "{org} hat keine(n) Datenschutzbeauftragte(n) benannt"),
    wn("organization_records_of_processing", "{org} keeps a record of processing activities", "{org} führt ein Verzeichnis von Verarbeitungstätigkeiten", "{org} keeps no record of processing activities", "{org} führt kein Verzeichnis von Verarbeitungstätigkeiten"),
    w("staff", "{staff} ({name}) is staff, function {function}", "{staff} ({name}) ist Mitarbeiter(in), Funktion {function}"),
    w("party", "{party} ({name}) is a party in {country}", "{party} ({name}) ist eine Stelle in {country}"),
    wn("party_certification", "{party} was certified under {scheme} from {from} to {to}", "{party} war von {from} bis {to} nach {scheme} zertifiziert", "no {scheme} certification of {party} is on record", "keine {scheme}-Zertifizierung von {party} ist erfasst"),
    w("system", "{system} ({name}) is a {kind} system operated by {operator} in {hosting_country}", "{system} ({name}) ist ein System der Art {kind}, betrieben von {operator} in {hosting_country}"),
    wn("agreement", "agreement {agreement} ({kind}) with {with} runs from {from} to {to}", "Vereinbarung {agreement} ({kind}) mit {with} gilt von {from} bis {to}", "no {kind} agreement with {with} is on record", "keine Vereinbarung der Art {kind} mit {with} ist erfasst"),
    w("agreement_system", "agreement {agreement} covers system {system}", "Vereinbarung {agreement} erfasst das System {system}"),
    w("agreement_source", "agreement {agreement} covers source {source}", "Vereinbarung {agreement} erfasst die Quelle {source}"),
    w("agreement_flow", "agreement {agreement} covers flow {flow}", "Vereinbarung {agreement} erfasst den Datenfluss {flow}"),
    w("agreement_edition", "agreement {agreement} is of edition {edition}", "Vereinbarung {agreement} hat die Fassung {edition}"),
    wn("agreement_published", "the essence of agreement {agreement} is made available", "das Wesentliche der Vereinbarung {agreement} ist zugänglich gemacht", "the essence of agreement {agreement} is not made available", "das Wesentliche der Vereinbarung {agreement} ist nicht zugänglich gemacht"),
    w("assessment", "assessment {assessment} ({kind}) of {about} on {date} came to {outcome}", "Prüfung {assessment} ({kind}) zu {about} vom {date} ergab {outcome}"),
    w("assessment_purpose", "assessment {assessment} balances purpose {purpose}", "Prüfung {assessment} wägt den Zweck {purpose} ab"),
    w("assessment_measure", "assessment {assessment} adds the measure {measure}", "Prüfung {assessment} sieht die Maßnahme {measure} vor"),
    w("source", "{source} ({name}) is a {kind} source operated by {operator}", "{source} ({name}) ist eine Quelle der Art {kind}, betrieben von {operator}"),
    w("source_platform", "source {source} runs on the platform of {platform}", "Quelle {source} läuft auf der Plattform von {platform}"),
    wn("source_public", "source {source} is public", "Quelle {source} ist öffentlich", "source {source} is not public", "Quelle {source} ist nicht öffentlich"),
    wn("source_requires_login", "source {source} requires a login", "Quelle {source} verlangt eine Anmeldung", "source {source} requires no login", "Quelle {source} verlangt keine Anmeldung"),
    w("source_white_label", "source {source} is a white-label site", "Quelle {source} ist eine White-Label-Seite"),
    wn("source_impressum", "source {source} has an imprint", "Quelle {source} hat ein Impressum", "source {source} has no imprint", "Quelle {source} hat kein Impressum"),
    w("tracking", "tracking {tracking} ({kind}) runs on source {source}", "Tracking {tracking} ({kind}) läuft auf der Quelle {source}"),
    w("tracking_recipient", "tracking {tracking} sends data to {party}", "Tracking {tracking} übermittelt Daten an {party}"),
    wn("tracking_consent_banner", "tracking {tracking} asks for consent with a banner", "Tracking {tracking} fragt mit einem Banner nach Einwilligung", "tracking {tracking} does not ask for consent with a banner", "Tracking {tracking} fragt nicht mit einem Banner nach Einwilligung"),
    w("tracking_fires_before_consent", "tracking {tracking} fires before consent", "Tracking {tracking} wird vor der Einwilligung ausgelöst"),
    w("subject", "{subject} ({name}) is a {kind} in {country}", "{subject} ({name}) ist {kind} in {country}"),
    w("subject_city", "{subject} lives in {city}", "{subject} wohnt in {city}"),
    wn("subject_age", "{subject} is {age} years old", "{subject} ist {age} Jahre alt", "the age of {subject} is not on record", "das Alter von {subject} ist nicht erfasst"),
    w("subject_crm_record", "{subject} has CRM record {record}", "{subject} hat den CRM-Datensatz {record}"),
    w("subject_customer_since", "{subject} is a customer since {date}", "{subject} ist seit {date} Kunde"),
    w("subject_purchase", "{subject} bought {product} ({category}) on {date}", "{subject} kaufte am {date} {product} ({category})"),
    wn("consent", "{subject} gave consent {consent} on {given} ({form}, obtained by {obtained_by})", "{subject} erteilte am {given} die Einwilligung {consent} ({form}, eingeholt von {obtained_by})", "no consent of {subject} is on record", "keine Einwilligung von {subject} ist erfasst"),
    w("consent_purpose", "consent {consent} covers purpose {purpose}", "Einwilligung {consent} umfasst den Zweck {purpose}"),
    w("consent_channel", "consent {consent} covers channel {channel}", "Einwilligung {consent} umfasst den Kanal {channel}"),
    w("consent_category", "consent {consent} covers category {category}", "Einwilligung {consent} umfasst die Kategorie {category}"),
    w("consent_product", "consent {consent} covers product {product}", "Einwilligung {consent} umfasst das Produkt {product}"),
    w("consent_withdrawn", "consent {consent} was withdrawn on {date}", "Einwilligung {consent} wurde am {date} widerrufen"),
    wn("consent_documented", "consent {consent} is documented", "Einwilligung {consent} ist dokumentiert", "consent {consent} is not documented", "Einwilligung {consent} ist nicht dokumentiert"),
    wn("consent_informed", "consent {consent} was given informed", "Einwilligung {consent} wurde in informierter Weise erteilt", "consent {consent} was not given informed", "Einwilligung {consent} wurde nicht in informierter Weise erteilt"),
    wn("consent_explicit", "consent {consent} is explicit", "Einwilligung {consent} ist ausdrücklich", "consent {consent} is not explicit", "Einwilligung {consent} ist nicht ausdrücklich"),
    w("consent_circumstances", "consent {consent} is presumed from: {text}", "Einwilligung {consent} wird vermutet aus: {text}"),
    wn("objection", "{subject} objected ({scope}) on {date}", "{subject} widersprach am {date} ({scope})", "no objection of {subject} is on record", "kein Widerspruch von {subject} ist erfasst"),
    w("notice", "notice {notice} under {article} was given on {date}", "Information {notice} nach {article} erfolgte am {date}"),
    w("notice_subject", "notice {notice} went to {subject}", "Information {notice} ging an {subject}"),
    w("notice_public", "notice {notice} is public", "Information {notice} ist öffentlich"),
    w("notice_channel", "notice {notice} was given by {channel}", "Information {notice} erfolgte über {channel}"),
    w("notice_covers", "notice {notice} covers purpose {purpose}", "Information {notice} umfasst den Zweck {purpose}"),
    w("notice_source", "notice {notice} names source {source}", "Information {notice} nennt die Quelle {source}"),
    w("notice_category", "notice {notice} names category {category}", "Information {notice} nennt die Kategorie {category}"),
    w("notice_right_to_object", "notice {notice} points to the right to object", "Information {notice} weist auf das Widerspruchsrecht hin"),
    w("flow", "flow {flow} sends data from {from} to {to} for {purpose} under {mechanism}, from {from_date} to {to_date}", "Datenfluss {flow} übermittelt von {from} an {to} für {purpose} gestützt auf {mechanism}, von {from_date} bis {to_date}"),
    w("flow_category", "flow {flow} carries category {category}", "Datenfluss {flow} umfasst die Kategorie {category}"),
    w("activity", "activity {activity} ({kind}, {status}) on {date} by {by} for {purpose}", "Tätigkeit {activity} ({kind}, {status}) am {date} durch {by} für {purpose}"),
    w("activity_source", "activity {activity} uses source {source}", "Tätigkeit {activity} nutzt die Quelle {source}"),
    w("activity_system", "activity {activity} uses system {system}", "Tätigkeit {activity} nutzt das System {system}"),
    w("activity_flow", "activity {activity} uses flow {flow}", "Tätigkeit {activity} nutzt den Datenfluss {flow}"),
    w("activity_subject", "activity {activity} concerns {subject}", "Tätigkeit {activity} betrifft {subject}"),
    w("activity_category", "activity {activity} processes category {category}", "Tätigkeit {activity} verarbeitet die Kategorie {category}"),
    w("activity_channel", "activity {activity} uses channel {channel}", "Tätigkeit {activity} nutzt den Kanal {channel}"),
    w("activity_audience", "activity {activity} is addressed to {audience}", "Tätigkeit {activity} richtet sich an {audience}"),
    wn("activity_identifies_company", "activity {activity} names the company", "Tätigkeit {activity} nennt das Unternehmen", "activity {activity} does not name the company", "Tätigkeit {activity} nennt das Unternehmen nicht"),
    w("activity_promotional", "activity {activity} is promotional", "Tätigkeit {activity} ist werblich"),
    w("activity_product", "activity {activity} promotes {product}", "Tätigkeit {activity} bewirbt {product}"),
    w("activity_automated", "activity {activity} is automated", "Tätigkeit {activity} ist automatisiert"),
    w("activity_large_scale", "activity {activity} is large-scale", "Tätigkeit {activity} ist umfangreich"),
    w("activity_triggered_by", "activity {activity} was triggered by {cause}", "Tätigkeit {activity} wurde durch {cause} ausgelöst"),
    w("activity_content", "activity {activity} uses {kind} content from {origin}", "Tätigkeit {activity} nutzt Inhalte der Art {kind} aus {origin}"),
    w("activity_content_author", "the content of {activity} is by {author}", "der Inhalt von {activity} stammt von {author}"),
    w("activity_content_original", "the content of {activity} is original", "der Inhalt von {activity} ist eigenständig"),
    w("activity_campaign", "activity {activity} belongs to campaign {campaign}", "Tätigkeit {activity} gehört zur Kampagne {campaign}"),
    w("campaign", "campaign {campaign} ({name}) of {owner} is {status}", "Kampagne {campaign} ({name}) von {owner} ist {status}"),
    w("campaign_activity", "campaign {campaign} includes {activity}", "Kampagne {campaign} umfasst {activity}"),
    w("guideline", "guideline {guideline}: {text}", "Richtlinie {guideline}: {text}"),
    w("guideline_forbid_kind", "guideline {guideline} forbids activities of kind {kind}", "Richtlinie {guideline} verbietet Tätigkeiten der Art {kind}"),
    w("guideline_forbid_channel", "guideline {guideline} forbids channel {channel}", "Richtlinie {guideline} verbietet den Kanal {channel}"),
    w("guideline_forbid_purpose", "guideline {guideline} forbids purpose {purpose}", "Richtlinie {guideline} verbietet den Zweck {purpose}"),
    w("guideline_forbid_source_kind", "guideline {guideline} forbids sources of kind {source_kind}", "Richtlinie {guideline} verbietet Quellen der Art {source_kind}"),
    w("guideline_forbid_category", "guideline {guideline} forbids category {category}", "Richtlinie {guideline} verbietet die Kategorie {category}"),
    w("guideline_forbid_subject_kind", "guideline {guideline} forbids subjects of kind {subject_kind}", "Richtlinie {guideline} verbietet Betroffene der Art {subject_kind}"),
    // ------------------------------------------------------------- derived concepts
    w("activity_source_kind", "activity {activity} uses a source of kind {kind}", "Tätigkeit {activity} nutzt eine Quelle der Art {kind}"),
    w("activity_subject_kind", "activity {activity} concerns a {kind}", "Tätigkeit {activity} betrifft eine Person der Art {kind}"),
    wn("ad_consent", "{subject} gave prior express consent to advertising by {activity}", "{subject} hat in die Werbung durch {activity} vorher ausdrücklich eingewilligt", "{subject} gave no prior express consent to advertising by {activity}", "{subject} hat in die Werbung durch {activity} nicht vorher ausdrücklich eingewilligt"),
    wn("ad_consent_via", "consent {consent} is a prior express consent of {subject} to advertising by {activity}", "Einwilligung {consent} ist eine vorherige ausdrückliche Einwilligung von {subject} in die Werbung durch {activity}", "no consent of {subject} is a prior express consent to advertising by {activity}", "keine Einwilligung von {subject} ist eine vorherige ausdrückliche Einwilligung in die Werbung durch {activity}"),
    wn("ad_consent_documented", "the advertising consent of {subject} for {activity} is documented", "die Werbeeinwilligung von {subject} für {activity} ist dokumentiert", "the advertising consent of {subject} for {activity} is not documented", "die Werbeeinwilligung von {subject} für {activity} ist nicht dokumentiert"),
    wn("advertising", "activity {activity} is advertising", "Tätigkeit {activity} ist Werbung", "activity {activity} is not advertising", "Tätigkeit {activity} ist keine Werbung"),
    wn("assessed", "activity {activity} has an assessment of kind {kind}", "zu Tätigkeit {activity} liegt eine Prüfung der Art {kind} vor", "activity {activity} has no assessment of kind {kind}", "zu Tätigkeit {activity} liegt keine Prüfung der Art {kind} vor"),
    w("bought_before", "{subject} had bought goods of category {category} by the day of {activity}", "{subject} hatte bis zum Tag von {activity} Waren der Kategorie {category} gekauft"),
    w("category_named", "the category {category} was named to {subject}", "die Kategorie {category} wurde {subject} genannt"),
    wn("child", "{subject} is a child", "{subject} ist ein Kind", "{subject} is not known to be a child", "{subject} ist nicht als Kind bekannt"),
    wn("child_consent", "the consent for {subject} in {activity} is a child's", "die Einwilligung für {subject} in {activity} stammt von einem Kind", "no consent for {subject} in {activity} is a child's", "keine Einwilligung für {subject} in {activity} stammt von einem Kind"),
    wn("consent_after_objection", "{subject} consented to {activity} after the objection of {objected}", "{subject} willigte in {activity} nach dem Widerspruch vom {objected} ein", "{subject} gave no consent to {activity} after the objection of {objected}", "{subject} willigte nach dem Widerspruch vom {objected} nicht in {activity} ein"),
    wn("consent_covers", "consent {consent} covers {activity} for {subject}", "Einwilligung {consent} deckt {activity} für {subject}", "no consent of {subject} covers {activity}", "keine Einwilligung von {subject} deckt {activity}"),
    wn("consent_ended", "consent {consent} had ended before {activity}", "Einwilligung {consent} war vor {activity} beendet", "consent {consent} had not ended before {activity}", "Einwilligung {consent} war vor {activity} nicht beendet"),
    wn("consent_scope", "consent {consent} of {subject} covers the purpose, form and categories of {activity}", "Einwilligung {consent} von {subject} deckt Zweck, Form und Kategorien von {activity}", "no consent of {subject} covers the purpose, form and categories of {activity}", "keine Einwilligung von {subject} deckt Zweck, Form und Kategorien von {activity}"),
    w("consent_for_us", "consent {consent} was given to the organization itself", "Einwilligung {consent} wurde der Organisation selbst erteilt"),
    wn("consent_in_effect", "consent {consent} of {subject} was in effect for {activity}", "Einwilligung {consent} von {subject} war für {activity} wirksam", "no consent of {subject} was in effect for {activity}", "keine Einwilligung von {subject} war für {activity} wirksam"),
    wn("consent_misses_category", "consent {consent} does not cover a category {activity} processes", "Einwilligung {consent} umfasst eine von {activity} verarbeitete Kategorie nicht", "consent {consent} covers the categories {activity} processes", "Einwilligung {consent} umfasst die von {activity} verarbeiteten Kategorien"),
    wn("consent_misses_product", "consent {consent} does not cover the product {activity} promotes", "Einwilligung {consent} umfasst das von {activity} beworbene Produkt nicht", "consent {consent} covers the product {activity} promotes", "Einwilligung {consent} umfasst das von {activity} beworbene Produkt"),
    wn("consent_objected", "the person who gave consent {consent} later objected to marketing before {activity}", "die Person, die Einwilligung {consent} erteilte, widersprach vor {activity} der Werbung", "the person who gave consent {consent} did not object to marketing before {activity}", "die Person, die Einwilligung {consent} erteilte, widersprach vor {activity} nicht der Werbung"),
    wn("consent_purpose_fits", "consent {consent} covers the purpose of {activity}", "Einwilligung {consent} umfasst den Zweck von {activity}", "consent {consent} does not cover the purpose of {activity}", "Einwilligung {consent} umfasst den Zweck von {activity} nicht"),
    wn("consent_unprovable", "the consent of {subject} for {activity} cannot be proved", "die Einwilligung von {subject} für {activity} ist nicht beweisbar", "no consent of {subject} for {activity} lacks proof", "keiner Einwilligung von {subject} für {activity} fehlt der Nachweis"),
    wn("consent_withdrawn_for", "{subject} had withdrawn the consent for {activity}", "{subject} hatte die Einwilligung für {activity} widerrufen", "{subject} had not withdrawn a consent for {activity}", "{subject} hatte keine Einwilligung für {activity} widerrufen"),
    w("consumer", "{subject} is a consumer", "{subject} ist Verbraucher(in)"),
    wn("contract_basis", "{activity} is necessary for a contract with {subject}", "{activity} ist für einen Vertrag mit {subject} erforderlich", "{activity} is not necessary for a contract with {subject}", "{activity} ist für keinen Vertrag mit {subject} erforderlich"),
    wn("covered_by_marketing_objection", "the objection of {subject} to marketing covers {activity}", "der Werbewiderspruch von {subject} erfasst {activity}", "no objection of {subject} to marketing covers {activity}", "kein Werbewiderspruch von {subject} erfasst {activity}"),
    w("documentation_duty", "the duty to document consents applied to {subject} on {date}", "für {subject} galt am {date} die Pflicht, Einwilligungen zu dokumentieren"),
    wn("dpa_in_force", "a processing agreement with {party} was in force for {activity}", "für {activity} galt ein Auftragsverarbeitungsvertrag mit {party}", "no processing agreement with {party} was in force for {activity}", "für {activity} galt kein Auftragsverarbeitungsvertrag mit {party}"),
    w("eea", "{country} is in the EEA", "{country} liegt im EWR"),
    wn("electronic_mail_channel", "{channel} is electronic mail", "{channel} ist elektronische Post", "{channel} is not electronic mail", "{channel} ist keine elektronische Post"),
    wn("email_ad", "activity {activity} is advertising to {subject} by electronic mail on {date}", "Tätigkeit {activity} ist Werbung an {subject} per elektronischer Post am {date}", "activity {activity} is no advertising by electronic mail", "Tätigkeit {activity} ist keine Werbung per elektronischer Post"),
    w("email_selection", "{subject} is selected for the mailing {activity}", "{subject} ist für die Aussendung {activity} ausgewählt"),
    wn("existing_customer_ok", "all conditions of the existing-customer exception hold for {subject} in {activity}", "alle Voraussetzungen der Bestandskundenausnahme sind für {subject} in {activity} erfüllt", "the existing-customer exception does not hold for {subject} in {activity}", "die Bestandskundenausnahme greift für {subject} in {activity} nicht"),
    w("explicit_names", "the explicit consent of {subject} for {activity} names category {category}", "die ausdrückliche Einwilligung von {subject} für {activity} nennt die Kategorie {category}"),
    w("express_form", "a consent of form {form} is express", "eine Einwilligung der Form {form} ist ausdrücklich"),
    w("fan_page", "source {source} is a fan page", "Quelle {source} ist eine Fanpage"),
    w("form_proves_no_consent", "a consent of form {form} does not prove consent for channel {channel}", "eine Einwilligung der Form {form} beweist keine Einwilligung für den Kanal {channel}"),
    wn("guideline_mismatch", "activity {activity} breaks guideline {guideline}", "Tätigkeit {activity} verstößt gegen die Richtlinie {guideline}", "activity {activity} does not conflict with guideline {guideline}", "Tätigkeit {activity} widerspricht der Richtlinie {guideline} nicht"),
    wn("has_basis", "{activity} has a legal basis for the data of {subject}", "{activity} hat für die Daten von {subject} eine Rechtsgrundlage", "{activity} has no legal basis for the data of {subject}", "{activity} hat für die Daten von {subject} keine Rechtsgrundlage"),
    wn("image_consent", "{subject} consented to showing the picture in {activity}", "{subject} willigte in die Verbreitung des Bildes in {activity} ein", "{subject} did not consent to showing the picture in {activity}", "{subject} willigte nicht in die Verbreitung des Bildes in {activity} ein"),
    w("informed_before_disclosure", "{subject} was informed by {date}", "{subject} wurde bis zum {date} informiert"),
    wn("informed_by", "{subject} was informed by {date}", "{subject} wurde bis zum {date} informiert", "{subject} was not informed by {date}", "{subject} wurde bis zum {date} nicht informiert"),
    w("joint_arrangement", "arrangement {agreement} covers {object} on {date}", "Vereinbarung {agreement} erfasst {object} am {date}"),
    wn("legal_obligation_basis", "{activity} is required by a legal obligation for {subject}", "{activity} ist für {subject} durch eine rechtliche Verpflichtung geboten", "no legal obligation requires {activity} for {subject}", "keine rechtliche Verpflichtung gebietet {activity} für {subject}"),
    wn("licensed_by_author", "{author} licensed the content of {activity}", "{author} hat den Inhalt von {activity} lizenziert", "{author} did not license the content of {activity}", "{author} hat den Inhalt von {activity} nicht lizenziert"),
    w("marketing_profile_purpose", "{purpose} is a purpose of marketing profiles", "{purpose} ist ein Zweck von Werbeprofilen"),
    wn("notified_in_month", "{subject} was informed about {activity} within a month", "{subject} wurde innerhalb eines Monats über {activity} informiert", "{subject} was not informed about {activity} within a month", "{subject} wurde nicht innerhalb eines Monats über {activity} informiert"),
    wn("objected_by", "{subject} objected to {activity}", "{subject} widersprach {activity}", "{subject} did not object to {activity}", "{subject} widersprach {activity} nicht"),
    w("objection_hint_by", "{subject} was told of the right to object by {date}", "{subject} wurde bis zum {date} auf das Widerspruchsrecht hingewiesen"),
    w("old_law_consent", "{subject} consented to {activity} under the old law", "{subject} willigte in {activity} nach altem Recht ein"),
    w("old_law_notified", "{subject} was notified under the old law", "{subject} wurde nach altem Recht benachrichtigt"),
    w("old_us_transfer_basis", "the transfer to {party} in {activity} had a basis under the old law", "die Übermittlung an {party} in {activity} hatte nach altem Recht eine Grundlage"),
    w("own_post", "{subject} posted on {source} what {activity} uses", "{subject} veröffentlichte auf {source}, was {activity} nutzt"),
    wn("participation_agreed", "the operator of {source} agreed to the participation in {activity}", "der Betreiber von {source} stimmte der Teilnahme in {activity} zu", "the operator of {source} did not agree to the participation in {activity}", "der Betreiber von {source} stimmte der Teilnahme in {activity} nicht zu"),
    wn("phone_ad", "activity {activity} is an advertising call to {subject} on {date}", "Tätigkeit {activity} ist ein Werbeanruf bei {subject} am {date}", "activity {activity} is no advertising call", "Tätigkeit {activity} ist kein Werbeanruf"),
    w("postal", "activity {activity} is sent by post", "Tätigkeit {activity} wird per Post versandt"),
    wn("presumed_consent_ok", "{subject} can be presumed to consent to {activity}", "die Einwilligung von {subject} in {activity} ist mutmaßlich", "no presumed consent of {subject} to {activity} can be assumed", "eine mutmaßliche Einwilligung von {subject} in {activity} ist nicht anzunehmen"),
    w("product_not_bought", "{subject} did not buy what {activity} promotes", "{subject} kaufte nicht, was {activity} bewirbt"),
    wn("refused_advertising", "{subject} refused advertising for {activity}", "{subject} lehnte Werbung für {activity} ab", "{subject} did not refuse advertising for {activity}", "{subject} lehnte Werbung für {activity} nicht ab"),
    wn("sms_to_existing_customer", "{activity} is a text message to {subject} as an existing customer", "{activity} ist eine SMS an {subject} als Bestandskunde", "{activity} is no text message to {subject} as an existing customer", "{activity} ist keine SMS an {subject} als Bestandskunde"),
    w("social_profiling", "activity {activity} builds profiles from social media", "Tätigkeit {activity} bildet Profile aus sozialen Medien"),
    w("source_named", "{subject} was told of source {source}", "{subject} wurde die Quelle {source} genannt"),
    w("special_category", "{category} is a special category of data", "{category} ist eine besondere Kategorie von Daten"),
    wn("special_not_explicit", "the consent of {subject} to special data in {activity} is not explicit", "die Einwilligung von {subject} in besondere Daten in {activity} ist nicht ausdrücklich", "the consent of {subject} to special data in {activity} is not lacking an explicit statement", "der Einwilligung von {subject} in besondere Daten in {activity} fehlt keine ausdrückliche Erklärung"),
    w("tracked_by_activity", "source {source} is tracked by an activity", "Quelle {source} wird durch eine Tätigkeit verfolgt"),
    wn("transfer_basis", "the transfer to {party} in {activity} has a basis under Chapter V GDPR", "die Übermittlung an {party} in {activity} hat eine Grundlage nach Kapitel V DSGVO", "the transfer to {party} in {activity} has no basis under Chapter V GDPR", "die Übermittlung an {party} in {activity} hat keine Grundlage nach Kapitel V DSGVO"),
    w("uwg_permitted_channel", "the UWG permits the channel of {activity} for {subject}", "das UWG erlaubt den Kanal von {activity} für {subject}"),
    wn("uwg_veto", "the UWG forbids advertising to {subject} by {activity}", "das UWG verbietet die Werbung an {subject} durch {activity}", "the UWG does not forbid advertising to {subject} by {activity}", "das UWG verbietet die Werbung an {subject} durch {activity} nicht"),
    w("vetoed_social_profiling", "profiling {subject} in {activity} is vetoed", "die Profilbildung zu {subject} in {activity} ist untersagt"),
    wn("adequacy", "an adequacy decision covers {country} from {from} to {to}", "ein Angemessenheitsbeschluss erfasst {country} von {from} bis {to}", "no adequacy decision covers {country}", "kein Angemessenheitsbeschluss erfasst {country}"),
    wn("art13_informed", "{subject} was informed under Art. 13 GDPR for {activity}", "{subject} wurde für {activity} nach Art. 13 DSGVO informiert", "{subject} was not informed under Art. 13 GDPR for {activity}", "{subject} wurde für {activity} nicht nach Art. 13 DSGVO informiert"),
    wn("public_art26_notice", "the essence of the joint arrangement for {object} was published by {date}", "das Wesentliche der Vereinbarung zur gemeinsamen Verantwortung für {object} war am {date} veröffentlicht", "the essence of the joint arrangement for {object} was not published by {date}", "das Wesentliche der Vereinbarung zur gemeinsamen Verantwortung für {object} war am {date} nicht veröffentlicht"),
    w("advertising_purpose", "{purpose} is an advertising purpose", "{purpose} ist ein Werbezweck"),
    w("online_form", "{form} is an online form of consent", "{form} ist eine Online-Form der Einwilligung"),
    w("number_channel", "{channel} reaches a phone number", "{channel} erreicht eine Telefonnummer"),
    w("consent_form_valid", "a consent of form {form} is valid", "eine Einwilligung der Form {form} ist wirksam"),
    w("third_country_transfer", "{activity} transfers data to {party} in the third country {country}", "{activity} übermittelt Daten an {party} im Drittland {country}"),
    w("uses_processor", "{activity} uses the processor {party}", "{activity} nutzt den Auftragsverarbeiter {party}"),
    w("scc_usable", "standard contractual clauses of edition {edition} signed on {start} are usable on {date}", "Standardvertragsklauseln der Fassung {edition}, geschlossen am {start}, sind am {date} verwendbar"),
    w("customer_by", "{subject} was a customer by {date}", "{subject} war am {date} Kunde"),
    w("lia_for", "a balancing test is documented for {activity}", "für {activity} ist eine Interessenabwägung dokumentiert"),
    w("existing_customer_conditions", "the conditions of the existing-customer exception hold for {subject} in {activity}", "die Voraussetzungen der Bestandskundenausnahme liegen für {subject} in {activity} vor"),
    w("address_from_sale", "the address of {subject} was obtained in a sale before {activity}", "die Adresse von {subject} wurde vor {activity} bei einem Verkauf erlangt"),
    w("hint_at_use", "{subject} was told at collection and in {activity} that they may object", "{subject} wurde bei der Erhebung und in {activity} auf den Widerspruch hingewiesen"),
    w("image_shown", "{activity} shows a picture of {subject} on {date}", "{activity} zeigt am {date} ein Bild von {subject}"),
    w("disclosure", "{activity} discloses data of {subject} on {date}", "{activity} legt am {date} Daten von {subject} offen"),
    w("tia_if_needed", "a transfer impact assessment is documented where needed for {activity} and {party}", "eine Transfer-Folgenabschätzung ist, wo nötig, für {activity} und {party} dokumentiert"),
    // ------------------------------------------------------------- the findings layer
    w("rule_window", "the norms of rule {rule} are in force from {from} to {to}", "die Normen der Regel {rule} gelten von {from} bis {to}"),
    wn("finding_raw", "rule {rule} applies to {about} and {subject} on {date}", "Regel {rule} greift für {about} und {subject} am {date}", "rule {rule} does not apply to {about}", "Regel {rule} greift für {about} nicht"),
    wn("exception_of", "{exception} is an exception to rule {rule}", "{exception} ist eine Ausnahme zu Regel {rule}", "no exception to rule {rule} is written", "zu Regel {rule} ist keine Ausnahme geschrieben"),
    wn("suppressed_any", "an exception sets aside rule {rule} for {about} and {subject}", "eine Ausnahme verdrängt Regel {rule} für {about} und {subject}", "no exception sets aside rule {rule} for {about} and {subject}", "keine Ausnahme verdrängt Regel {rule} für {about} und {subject}"),
    wn("suppressed", "exception {exception} sets aside rule {rule} for {about} and {subject}", "Ausnahme {exception} verdrängt Regel {rule} für {about} und {subject}", "no exception sets aside rule {rule} for {about} and {subject}", "keine Ausnahme verdrängt Regel {rule} für {about} und {subject}"),
    wn("exception_raw", "exception {exception} applies to {about} and {subject} on {date}", "Ausnahme {exception} greift für {about} und {subject} am {date}", "exception {exception} does not apply to {about} and {subject}", "Ausnahme {exception} greift für {about} und {subject} nicht"),
    w("finding", "rule {rule} finds against {about} for {subject} on {date}", "Regel {rule} beanstandet {about} für {subject} am {date}"),    // ------------------------------------------------------------- model v2
    w("activity_content_kug_exception", "for the picture in {activity} the model claims the § 23 KUG exception {exception}", "für das Bild in {activity} beruft sich das Modell auf die Ausnahme {exception} nach § 23 KUG"),
    w("activity_content_used_as", "{activity} uses the content as {use}", "{activity} nutzt den Inhalt als {use}"),
    wn("activity_sender", "the sender of {activity} is recorded", "der Absender von {activity} ist erfasst", "the model says nothing about the sender of {activity}", "das Modell sagt nichts über den Absender von {activity}"),
    wn("activity_sender_identified", "{activity} names its sender", "{activity} nennt seinen Absender", "{activity} does not name its sender", "{activity} nennt seinen Absender nicht"),
    wn("activity_sender_stop_address", "{activity} gives an address to stop the messages", "{activity} nennt eine Adresse, um die Nachrichten abzubestellen", "{activity} gives no address to stop the messages", "{activity} nennt keine Adresse, um die Nachrichten abzubestellen"),
    wn("child_consent_void", "consent {consent} of a child is no basis for {activity}", "Einwilligung {consent} eines Kindes trägt {activity} nicht", "consent {consent} is not a child's consent without parental authorisation for {activity}", "Einwilligung {consent} ist für {activity} keine Einwilligung eines Kindes ohne Zustimmung der Eltern"),
    w("consent_parental_authorisation", "the parents authorised consent {consent} on {date}", "die Eltern haben Einwilligung {consent} am {date} zugestimmt"),
    wn("consent_verified_stated", "the model says which channels consent {consent} is verified for", "das Modell sagt, für welche Kanäle Einwilligung {consent} verifiziert ist", "the model does not say which channels consent {consent} is verified for", "das Modell sagt nicht, für welche Kanäle Einwilligung {consent} verifiziert ist"),
    wn("consent_verified", "the record of consent {consent} verifies channel {channel}", "der Nachweis von Einwilligung {consent} verifiziert den Kanal {channel}", "the record of consent {consent} does not verify channel {channel}", "der Nachweis von Einwilligung {consent} verifiziert den Kanal {channel} nicht"),
    wn("channel_unproven", "the record of consent {consent} does not prove consent for channel {channel}", "der Nachweis von Einwilligung {consent} belegt keine Einwilligung für den Kanal {channel}", "the record of consent {consent} proves consent for channel {channel}", "der Nachweis von Einwilligung {consent} belegt die Einwilligung für den Kanal {channel}"),
    wn("account_post", "{activity} appears in a private, influencer or media account", "{activity} erscheint in einem privaten, Influencer- oder Medienkonto", "{activity} does not appear in a private, influencer or media account", "{activity} erscheint nicht in einem privaten, Influencer- oder Medienkonto"),
    wn("private_account_agreed", "the staff member had agreed to the use of his private account for {activity}", "die Person aus dem Team hatte der Nutzung ihres privaten Kontos für {activity} zugestimmt", "the staff member had not agreed to the use of his private account for {activity}", "die Person aus dem Team hatte der Nutzung ihres privaten Kontos für {activity} nicht zugestimmt"),
    wn("objection_hint_before", "{subject} was told of the right to object by {date}", "{subject} wurde bis {date} auf das Widerspruchsrecht hingewiesen", "{subject} was not told of the right to object by {date}", "{subject} wurde bis {date} nicht auf das Widerspruchsrecht hingewiesen"),
    wn("outside_origin", "{origin} lies outside the company and is not {subject}", "{origin} liegt außerhalb des Unternehmens und ist nicht {subject}", "{origin} is the company's own or {subject} himself", "{origin} gehört dem Unternehmen oder ist {subject} selbst"),
    w("staff_private_account_consent", "{staff} agreed on {date} to the use of his private account", "{staff} hat am {date} der Nutzung seines privaten Kontos zugestimmt"),
    wn("activity_objection_notice_stated", "the model says whether {activity} points out the right to object", "das Modell sagt, ob {activity} auf das Widerspruchsrecht hinweist", "the model does not say whether {activity} points out the right to object", "das Modell sagt nicht, ob {activity} auf das Widerspruchsrecht hinweist"),
    wn("activity_objection_notice", "{activity} itself points out the right to object", "{activity} selbst weist auf das Widerspruchsrecht hin", "{activity} itself does not point out the right to object", "{activity} selbst weist nicht auf das Widerspruchsrecht hin"),
    w("activity_post", "{activity} appears in an account of kind {account}", "{activity} erscheint in einem Konto der Art {account}"),
    wn("activity_post_consideration", "the poster of {activity} got or was promised a consideration", "wer {activity} postet, hat eine Gegenleistung erhalten oder versprochen bekommen", "the poster of {activity} got no consideration", "wer {activity} postet, hat keine Gegenleistung erhalten"),
    wn("activity_post_labelled", "{activity} is marked as advertising", "{activity} ist als Werbung gekennzeichnet", "{activity} is not marked as advertising", "{activity} ist nicht als Werbung gekennzeichnet"),
    wn("activity_reviews", "{activity} shows consumer reviews", "{activity} zeigt Verbraucherbewertungen", "the model records no reviews in {activity}", "das Modell erfasst keine Bewertungen in {activity}"),
    wn("activity_reviews_claimed_genuine", "{activity} claims the reviews come from buyers", "{activity} behauptet, die Bewertungen stammten von Käufern", "{activity} does not claim the reviews come from buyers", "{activity} behauptet nicht, die Bewertungen stammten von Käufern"),
    wn("activity_reviews_checked", "the reviews in {activity} are checked", "die Bewertungen in {activity} werden geprüft", "the reviews in {activity} are not checked", "die Bewertungen in {activity} werden nicht geprüft"),
    wn("activity_reviews_explained", "{activity} says how reviews are checked", "{activity} sagt, wie Bewertungen geprüft werden", "{activity} does not say how reviews are checked", "{activity} sagt nicht, wie Bewertungen geprüft werden"),
    wn("activity_reviews_fake", "the reviews in {activity} are fake or misrepresented", "die Bewertungen in {activity} sind gefälscht oder verfälscht dargestellt", "the reviews in {activity} are not fake", "die Bewertungen in {activity} sind nicht gefälscht"),
    wn("activity_significant_effects", "decisions with significant effects are based on {activity}", "auf {activity} beruhen Entscheidungen mit erheblicher Wirkung", "no decisions with significant effects are based on {activity}", "auf {activity} beruhen keine Entscheidungen mit erheblicher Wirkung"),
    wn("contract_in_effect", "{subject} has a contract or request in effect on {date}", "mit {subject} besteht am {date} ein Vertrag oder eine Anfrage", "{subject} has no contract or pre-contractual request in effect on {date}", "mit {subject} besteht am {date} weder ein Vertrag noch eine vorvertragliche Anfrage"),
    wn("deleted_after", "the data of {subject} were to be deleted after {date}", "die Daten von {subject} waren nach dem {date} zu löschen", "no deletion date of {subject} has passed by {date}", "für {subject} ist bis {date} kein Löschdatum verstrichen"),
    wn("explicit_transfer_consent", "{subject} explicitly consented to the transfer in {activity}", "{subject} hat in die Übermittlung in {activity} ausdrücklich eingewilligt", "{subject} gave no explicit consent to the transfer in {activity}", "{subject} hat in die Übermittlung in {activity} nicht ausdrücklich eingewilligt"),
    w("flow_derogation", "flow {flow} relies on the derogation {derogation} (Art. 49 GDPR)", "Datenfluss {flow} stützt sich auf die Ausnahme {derogation} (Art. 49 DSGVO)"),
    w("incident", "incident {incident} at {system} became known on {aware} (risk {risk})", "Vorfall {incident} bei {system} wurde am {aware} bekannt (Risiko {risk})"),
    wn("incident_authority_notified", "incident {incident} was notified to the authority on {date}", "Vorfall {incident} wurde der Aufsichtsbehörde am {date} gemeldet", "incident {incident} was not notified to the authority", "Vorfall {incident} wurde der Aufsichtsbehörde nicht gemeldet"),
    wn("incident_delay_reasons", "reasons for the late notification of {incident} are given", "für die verspätete Meldung von {incident} sind Gründe angegeben", "no reasons are given for the late notification of {incident}", "für die verspätete Meldung von {incident} sind keine Gründe angegeben"),
    wn("incident_documented", "incident {incident} is documented", "Vorfall {incident} ist dokumentiert", "incident {incident} is not documented", "Vorfall {incident} ist nicht dokumentiert"),
    w("incident_subject", "incident {incident} concerns {subject}", "Vorfall {incident} betrifft {subject}"),
    wn("incident_subjects_informed", "the people hit by {incident} were told on {date}", "die von {incident} Betroffenen wurden am {date} benachrichtigt", "the people hit by {incident} were not told", "die von {incident} Betroffenen wurden nicht benachrichtigt"),
    wn("incident_unintelligible", "the data of {incident} were unintelligible to others (e.g. encrypted)", "die Daten von {incident} waren für Dritte unverständlich (z. B. verschlüsselt)", "the data of {incident} were readable to others", "die Daten von {incident} waren für Dritte lesbar"),
    wn("organization_core_activities_stated", "{org} states its core activities", "{org} gibt ihre Kerntätigkeiten an", "{org} does not state its core activities", "{org} gibt ihre Kerntätigkeiten nicht an"),
    w("organization_core_activity", "a core activity of {org} is {core}", "eine Kerntätigkeit von {org} ist {core}"),
    wn("minor_image_consent_void", "consent {consent} of a minor to showing his picture in {activity} lacks his parents' consent", "der Einwilligung {consent} eines Minderjährigen in die Zurschaustellung seines Bildes in {activity} fehlt die Zustimmung der Eltern", "consent {consent} to showing the picture in {activity} is not a minor's without his parents' consent", "Einwilligung {consent} in die Zurschaustellung des Bildes in {activity} ist keine eines Minderjährigen ohne Zustimmung der Eltern"),
    wn("parental_authorised_for", "the parents authorised consent {consent} before {activity}", "die Eltern haben Einwilligung {consent} vor {activity} zugestimmt", "the parents had not authorised consent {consent} before {activity}", "die Eltern hatten Einwilligung {consent} vor {activity} nicht zugestimmt"),
    w("request", "{subject} made the request {request} ({kind}) on {received}", "{subject} hat am {received} den Antrag {request} ({kind}) gestellt"),
    wn("request_answered", "request {request} was answered on {date}", "Antrag {request} wurde am {date} beantwortet", "request {request} was not answered", "Antrag {request} wurde nicht beantwortet"),
    wn("request_extended", "the deadline of request {request} was extended with notice", "die Frist für Antrag {request} wurde mit Mitteilung verlängert", "the deadline of request {request} was not extended", "die Frist für Antrag {request} wurde nicht verlängert"),
    wn("request_refused", "request {request} was refused with reasons", "Antrag {request} wurde begründet abgelehnt", "request {request} was not refused", "Antrag {request} wurde nicht abgelehnt"),
    w("subject_birth_date", "{subject} was born on {date}", "{subject} ist am {date} geboren"),
    w("subject_contract", "{subject} has {kind} {contract} from {from} to {to}", "{subject} hat {kind} {contract} vom {from} bis {to}"),
    w("subject_retain_until", "the data of {subject} may be kept until {date}", "die Daten von {subject} dürfen bis zum {date} gespeichert werden"),
    wn("subject_without_contract_for", "a person in {activity} has no contract that carries it", "eine Person in {activity} hat keinen Vertrag, der es trägt", "every person in {activity} has a contract that carries it", "jede Person in {activity} hat einen Vertrag, der es trägt"),
    wn("subject_without_transfer_consent", "a person in {activity} gave no explicit consent to the transfer", "eine Person in {activity} hat nicht ausdrücklich in die Übermittlung eingewilligt", "every person in {activity} explicitly consented to the transfer", "jede Person in {activity} hat ausdrücklich in die Übermittlung eingewilligt"),
    w("tracking_reject", "the banner of tracker {tracking} offers reject as {option}", "das Banner von Tracker {tracking} bietet die Ablehnung als {option} an"),
];

/// Words for a column whose value a comparison uses (`party_certification.to`): a noun
/// phrase that may name the fact's other columns.
pub const COLUMNS: &[(&str, &str, &str)] = &[
    (
        "activity.date",
        "the date of {activity}",
        "das Datum von {activity}",
    ),
    (
        "agreement.from",
        "the start of agreement {agreement}",
        "der Beginn der Vereinbarung {agreement}",
    ),
    (
        "agreement.to",
        "the end of agreement {agreement}",
        "das Ende der Vereinbarung {agreement}",
    ),
    (
        "party_certification.from",
        "the start of the {scheme} certification of {party}",
        "der Beginn der {scheme}-Zertifizierung von {party}",
    ),
    (
        "party_certification.to",
        "the end of the {scheme} certification of {party}",
        "das Ende der {scheme}-Zertifizierung von {party}",
    ),
    (
        "consent.given",
        "the date consent {consent} was given",
        "das Datum der Einwilligung {consent}",
    ),
    (
        "consent_withdrawn.date",
        "the withdrawal of consent {consent}",
        "der Widerruf der Einwilligung {consent}",
    ),
    (
        "objection.date",
        "the objection of {subject}",
        "der Widerspruch von {subject}",
    ),
    (
        "notice.date",
        "the date of notice {notice}",
        "das Datum der Information {notice}",
    ),
    (
        "assessment.date",
        "the date of assessment {assessment}",
        "das Datum der Prüfung {assessment}",
    ),
    (
        "flow.from_date",
        "the start of flow {flow}",
        "der Beginn des Datenflusses {flow}",
    ),
    (
        "flow.to_date",
        "the end of flow {flow}",
        "das Ende des Datenflusses {flow}",
    ),
    (
        "subject_age.age",
        "the age of {subject}",
        "das Alter von {subject}",
    ),
    (
        "subject_customer_since.date",
        "the date {subject} became a customer",
        "der Beginn der Kundenbeziehung mit {subject}",
    ),
    (
        "subject_purchase.date",
        "the purchase of {product} by {subject}",
        "der Kauf von {product} durch {subject}",
    ),
    (
        "rule_window.from",
        "the date the norms of rule {rule} came into force",
        "das Inkrafttreten der Normen der Regel {rule}",
    ),
    (
        "rule_window.to",
        "the date the norms of rule {rule} ceased to apply",
        "das Außerkrafttreten der Normen der Regel {rule}",
    ),
    (
        "finding_raw.date",
        "the date of the act",
        "das Datum der Handlung",
    ),
    (
        "email_ad.date",
        "the date of {activity}",
        "das Datum von {activity}",
    ),
    (
        "phone_ad.date",
        "the date of {activity}",
        "das Datum von {activity}",
    ),
    ("as_of.date", "the evaluation date", "der Stichtag"),
];

/// The words of a relation, if it has any.
pub fn relation(name: &str) -> Option<&'static Words> {
    RELATIONS.iter().find(|w| w.relation == name)
}

/// Fills a template's `{column}` placeholders with the values of `args` (by the relation's
/// column names); a column without a value reads "any".
pub fn fill(template: &str, columns: &[&str], args: &[Option<String>], lang: Lang) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = &after[..close];
        match columns.iter().position(|c| *c == name) {
            Some(i) => match args.get(i).and_then(|a| a.as_deref()) {
                Some("") => out.push_str(match lang {
                    Lang::En => "(none)",
                    Lang::De => "(keine)",
                }),
                Some(v) => out.push_str(v),
                None => out.push_str(match lang {
                    Lang::En => "any",
                    Lang::De => "beliebig",
                }),
            },
            None => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// What a fact (or a pattern: `None` for any value) of `rel` says, in both languages.
pub fn fact(program: &Program, rel: RelId, args: &[Option<String>]) -> Texts {
    let r = program.relation(rel);
    let cols: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
    match relation(&r.name) {
        Some(w) => Texts {
            en: fill(w.en, &cols, args, Lang::En),
            de: fill(w.de, &cols, args, Lang::De),
        },
        None => {
            let vals: Vec<&str> = args.iter().map(|a| a.as_deref().unwrap_or("_")).collect();
            let text = format!("{}({})", r.name, vals.join(", "));
            Texts {
                en: text.clone(),
                de: text,
            }
        }
    }
}

/// What the absence of a fact of `rel` says: the relation's own negative words, or "not on
/// record: " and what the fact would say.
pub fn absent(program: &Program, rel: RelId, args: &[Option<String>]) -> Texts {
    let r = program.relation(rel);
    let cols: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
    if let Some(w) = relation(&r.name) {
        if !w.en_not.is_empty() {
            return Texts {
                en: fill(w.en_not, &cols, args, Lang::En),
                de: fill(w.de_not, &cols, args, Lang::De),
            };
        }
    }
    let pos = fact(program, rel, args);
    if relation(&r.name).is_none() {
        return Texts {
            en: format!("{} does not hold", pos.en),
            de: format!("{} gilt nicht", pos.de),
        };
    }
    let (en, de) = if r.input {
        ("not on record", "nicht erfasst")
    } else {
        ("does not hold", "trifft nicht zu")
    };
    Texts {
        en: format!("{en}: {}", pos.en),
        de: format!("{de}: {}", pos.de),
    }
}

/// The noun phrase for column `column` of `rel`, with the fact's other values filled in.
pub fn column(program: &Program, rel: RelId, column: usize, args: &[Option<String>]) -> Texts {
    let r = program.relation(rel);
    let cols: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
    let col = cols.get(column).copied().unwrap_or("?");
    let key = format!("{}.{col}", r.name);
    match COLUMNS.iter().find(|(k, _, _)| *k == key) {
        Some((_, en, de)) => Texts {
            en: fill(en, &cols, args, Lang::En),
            de: fill(de, &cols, args, Lang::De),
        },
        None => {
            let first = args.first().and_then(|a| a.clone()).unwrap_or_default();
            Texts {
                en: format!("the {col} of {} {first}", r.name),
                de: format!("{col} von {} {first}", r.name),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::KnowledgeBase;

    fn placeholders(t: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = t;
        while let Some(i) = rest.find('{') {
            let after = &rest[i + 1..];
            let Some(j) = after.find('}') else { break };
            out.push(&after[..j]);
            rest = &after[j + 1..];
        }
        out
    }

    #[test]
    fn templates_name_the_columns_of_their_relation() {
        let kb = KnowledgeBase::shipped().expect("the shipped knowledge base compiles");
        let program = kb.program();
        for w in RELATIONS {
            let r = program
                .relation_by_name(w.relation)
                .unwrap_or_else(|| panic!("words for unknown relation {}", w.relation));
            let cols: Vec<&str> = program
                .relation(r)
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            for t in [w.en, w.de, w.en_not, w.de_not] {
                for p in placeholders(t) {
                    assert!(
                        cols.contains(&p),
                        "{}: `{{{p}}}` is not a column",
                        w.relation
                    );
                }
            }
            assert_eq!(w.en_not.is_empty(), w.de_not.is_empty(), "{}", w.relation);
            assert_eq!(
                placeholders(w.en).len(),
                placeholders(w.de).len(),
                "{}: both languages name the same columns",
                w.relation
            );
        }
        for (key, en, de) in COLUMNS {
            let (rel, col) = key.split_once('.').expect("relation.column");
            let r = program
                .relation_by_name(rel)
                .unwrap_or_else(|| panic!("words for unknown relation {rel}"));
            let cols: Vec<&str> = program
                .relation(r)
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            assert!(cols.contains(&col), "{key}: no such column");
            for t in [en, de] {
                for p in placeholders(t) {
                    assert!(cols.contains(&p), "{key}: `{{{p}}}` is not a column");
                }
            }
        }
        let mut names: Vec<&str> = RELATIONS.iter().map(|w| w.relation).collect();
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len(), "a relation has words twice");
    }

    #[test]
    fn every_input_and_negated_relation_has_words() {
        let kb = KnowledgeBase::shipped().expect("the shipped knowledge base compiles");
        let program = kb.program();
        let mut missing = Vec::new();
        for r in &program.relations {
            if r.input && relation(&r.name).is_none() {
                missing.push(r.name.clone());
            }
        }
        for rule in &program.rules {
            for lit in &rule.body {
                if let sphere_engine::ir::Literal::Atom(a) = lit {
                    let name = &program.relation(a.rel).name;
                    if a.negated && relation(name).is_none() {
                        missing.push(name.clone());
                    }
                }
            }
        }
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "relations without words: {missing:?}");
    }

    #[test]
    fn templates_fill_values_and_say_any_for_open_columns() {
        let cols = ["consent", "channel"];
        let t = fill(
            "consent {consent} covers channel {channel}",
            &cols,
            &[Some("c1".into()), None],
            Lang::En,
        );
        assert_eq!(t, "consent c1 covers channel any");
    }
}
