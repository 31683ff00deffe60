//! The two output languages and a text in both: what every message, remedy, hint and page of
//! sphere is made of. A leaf module: it imports nothing of the crate, so errors, findings and
//! the knowledge base can all use it.

use serde::{Deserialize, Serialize};

/// Output language of messages, remedies and citations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    De,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }
}

/// A text in both output languages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Texts {
    pub en: String,
    pub de: String,
}

impl Texts {
    /// A text from its English and its German.
    pub fn new(en: impl Into<String>, de: impl Into<String>) -> Texts {
        Texts {
            en: en.into(),
            de: de.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::De => &self.de,
        }
    }
}
