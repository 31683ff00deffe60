//! A front end in a few lines, using only the public API of the `sphere` library: load the
//! knowledge base once, load the demo company's week from a string (as a server receives a
//! request body), evaluate, and print the findings and the explanation of the first one
//! that needs action.
//!
//! Run: `cargo run --example explain_demo`. `cargo test` runs its test.

use sphere::{render, Date, EvalOptions, KnowledgeBase, Lang, Model};

/// The demo model, as text.
const DEMO_WEEK: &str = include_str!("../facts/demo_week.json");

/// The findings, one per line, then one explanation.
fn run() -> Result<String, sphere::Error> {
    let kb = KnowledgeBase::shipped()?;
    // The library reads no clock: "today" is given (used only by a model without `as_of`).
    let today = Date::parse("2025-06-16").expect("a date");
    let model = Model::from_text("demo_week.json", DEMO_WEEK, today)?;
    let outcome = kb.evaluate(&model, &EvalOptions::default())?;
    let mut out = String::new();
    for f in outcome.findings() {
        out.push_str(&format!(
            "{} {} {} ({})\n",
            f.decision,
            f.id,
            f.about_id(),
            f.rule
        ));
    }
    if let Some(f) = outcome.findings().iter().find(|f| f.needs_action()) {
        let explanation = outcome.explain(&f.id)?;
        out.push('\n');
        out.push_str(&render::text::explanation(&explanation, Lang::En));
    }
    Ok(out)
}

fn main() {
    match run() {
        Ok(text) => print!("{text}"),
        Err(e) => {
            eprint!("{}", e.render(false));
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_example_explains_a_finding_down_to_the_model() {
        let text = super::run().expect("the demo week evaluates");
        let (list, explanation) = text
            .split_once("\n\n")
            .expect("findings, then one explanation");
        assert_eq!(
            list.lines().count(),
            10,
            "the demo week has ten findings:\n{list}"
        );
        let first_blocking = list
            .lines()
            .find(|l| l.starts_with("block ") || l.starts_with("breach "))
            .expect("one needs action");
        let id = first_blocking.split(' ').nth(1).expect("an id");
        assert!(explanation.contains(id), "{explanation}");
        assert!(
            explanation.contains("[fact: demo_week.json $."),
            "input facts name their place in the model text:\n{explanation}"
        );
    }
}
