//! Norms a jurist can follow to the source: `sphere explain --norm-text` and the JSON
//! explanation give each norm's citation, title, in-force interval and official source; an
//! authority dated after the act is marked as later; German output uses German labels.

use crate::sphere;

#[test]
fn norm_text_shows_title_interval_and_source_of_the_version_in_force() {
    let (code, out, err) = sphere(&[
        "explain",
        "facts/s04_phone_call.json",
        "F-dc0dcb7057fb09a2",
        "--norm-text",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let line = out
        .lines()
        .position(|l| l.starts_with("  Section 7(2) no. 1 UWG (uwg:7.2.1): "))
        .unwrap_or_else(|| panic!("the norm is listed: {out}"));
    let next = out.lines().nth(line + 1).expect("its interval");
    assert!(
        next.starts_with("    in force 2022-05-28 to today; https://"),
        "{next}"
    );
    assert!(
        out.contains("BGH I ZR 164/09 (2011-02-10)\n    https://"),
        "{out}"
    );
    // Without the flag the header stays short.
    let (_, plain, _) = sphere(&["explain", "facts/s04_phone_call.json", "F-dc0dcb7057fb09a2"]);
    assert!(!plain.contains("in force 2022-05-28"), "{plain}");
}

#[test]
fn an_authority_later_than_the_act_is_marked_in_text_and_json() {
    // The 2021 call is judged with a 2024 ruling of the Court of Justice: cited for the law
    // it states, marked as later than the act.
    let (_, out, _) = sphere(&["check", "facts/s04_phone_call.json"]);
    let block: Vec<&str> = out
        .split("\n")
        .skip_while(|l| !l.starts_with("BREACH F-7d7f293672743777"))
        .take(5)
        .collect();
    let see = block
        .iter()
        .find(|l| l.starts_with("  see: "))
        .expect("authorities");
    assert!(
        see.contains("CJEU C-621/22 (2024-10-04) [later than the act]"),
        "{see}"
    );
    let (code, out, err) = sphere(&[
        "explain",
        "facts/s04_phone_call.json",
        "F-7d7f293672743777",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let later: Vec<bool> = v["authorities"]
        .as_array()
        .expect("authorities")
        .iter()
        .map(|a| a["later_than_act"].as_bool().expect("flag"))
        .collect();
    assert!(later.contains(&true), "{v}");
    let norm = &v["norms"][0];
    for key in ["id", "citation", "title", "from", "source"] {
        assert!(norm[key].is_string(), "{key}: {norm}");
    }
    // A 2025 act with rulings up to 2024: nothing is later.
    let (_, out, _) = sphere(&["check", "facts/demo_week.json"]);
    assert!(!out.contains("[later than the act]"), "{out}");
}

#[test]
fn german_explanations_use_german_labels() {
    let (code, out, err) = sphere(&[
        "explain",
        "facts/s04_phone_call.json",
        "F-dc0dcb7057fb09a2",
        "--lang",
        "de",
        "--norm-text",
    ]);
    assert_eq!(code, Some(0), "{err}");
    for english in [
        "  cites:",
        "  remedy:",
        "  see:",
        "[rule ",
        "[fact",
        "[absent]",
        "[holds]",
        "in force",
        "why the absent",
    ] {
        assert!(
            !out.contains(english),
            "`{english}` in German output:\n{out}"
        );
    }
    for german in [
        "  Normen: § 7 Abs. 2 Nr. 1 UWG",
        "  Abhilfe: ",
        "[Regel uwg_phone_without_consent",
        "[Fakt: facts/s04_phone_call.json",
        "in Kraft 2022-05-28 bis heute",
        "warum die fehlenden Voraussetzungen fehlen:",
    ] {
        assert!(out.contains(german), "`{german}` missing:\n{out}");
    }
}
