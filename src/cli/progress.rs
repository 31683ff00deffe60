//! A progress line on stderr, only on a terminal, for phases that take longer than a second:
//! the phase's name appears once it has run a second and goes when it ends.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sphere::{Progress, ProgressFn};

/// How long a phase runs before its line appears.
const AFTER: Duration = Duration::from_secs(1);

#[derive(Default)]
struct State {
    /// The phase running, since when, and whether its line is shown.
    current: Option<(&'static str, Instant, bool)>,
}

/// The progress line; does nothing when stderr is not a terminal.
#[derive(Clone)]
pub struct Line {
    state: Option<Arc<Mutex<State>>>,
    /// Phases named in German.
    de: bool,
}

/// A phase's label in German (the label itself where it has none).
fn german(label: &'static str) -> &'static str {
    match label {
        "reading the model" => "Modell wird gelesen",
        "extracting facts" => "Fakten werden extrahiert",
        "loading facts" => "Fakten werden geladen",
        "evaluating rules" => "Regeln werden ausgewertet",
        "collecting findings" => "Befunde werden gesammelt",
        other => other,
    }
}

impl Line {
    /// The progress line with its phases named in `lang`.
    pub fn in_lang(lang: sphere::Lang) -> Line {
        Line {
            de: lang == sphere::Lang::De,
            ..Line::new()
        }
    }

    pub fn new() -> Line {
        if !std::io::stderr().is_terminal() {
            return Line {
                state: None,
                de: false,
            };
        }
        let state = Arc::new(Mutex::new(State::default()));
        let ticker = Arc::clone(&state);
        // Shows a phase's line once it has run `AFTER`; ends with the process.
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(200));
            let Ok(mut s) = ticker.lock() else { return };
            if let Some((label, since, shown)) = &mut s.current {
                if !*shown && since.elapsed() >= AFTER {
                    *shown = true;
                    eprint!("{label}…");
                    let _ = std::io::stderr().flush();
                }
            }
        });
        Line {
            state: Some(state),
            de: false,
        }
    }

    pub fn start(&self, label: &'static str) {
        self.finish();
        let label = if self.de { german(label) } else { label };
        if let Some(state) = &self.state {
            if let Ok(mut s) = state.lock() {
                s.current = Some((label, Instant::now(), false));
            }
        }
    }

    pub fn finish(&self) {
        if let Some(state) = &self.state {
            if let Ok(mut s) = state.lock() {
                if let Some((_, _, true)) = s.current.take() {
                    // Back to the start of the line, and clear it.
                    eprint!("\r\x1b[K");
                }
            }
        }
    }

    /// The callback the library calls at each phase of an evaluation.
    pub fn callback(&self) -> Option<ProgressFn> {
        self.state.as_ref()?;
        let line = self.clone();
        Some(Arc::new(move |p: Progress| match p {
            Progress::Started(phase) => line.start(phase.describe()),
            Progress::Finished(_) => line.finish(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every phase a German command shows has its German label.
    #[test]
    fn every_phase_has_a_german_label() {
        use sphere::Phase;
        let labels = [
            "reading the model",
            "extracting facts",
            Phase::Facts.describe(),
            Phase::Rules.describe(),
            Phase::Findings.describe(),
        ];
        for label in labels {
            assert_ne!(german(label), label, "`{label}` has no German");
        }
    }
}
