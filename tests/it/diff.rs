//! `sphere diff`: the findings that appear, vanish or change with another knowledge base or
//! another date, each with its reason (snapshots, reviewed).

use crate::sphere;
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

#[test]
fn a_knowledge_base_change_shows_the_findings_it_brings_with_their_reasons() {
    // The old knowledge base forbade advertising calls to consumers only; the current one
    // forbids them to anyone without consent (§ 7(2) no. 1 UWG: presumed consent for
    // businesses aside).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let old = root.join("target/tmp/diff-kb-old");
    let _ = std::fs::remove_dir_all(&old);
    copy_dir(&root.join("knowledge"), &old);
    let phone = old.join("uwg/phone.dl");
    let text = std::fs::read_to_string(&phone).expect("phone.dl");
    let rule = "finding(A, S, D) :- phone_ad(A, S, D), !ad_consent(A, S).";
    assert!(text.contains(rule), "the rule to change is there");
    std::fs::write(
        &phone,
        text.replace(
            rule,
            "finding(A, S, D) :- phone_ad(A, S, D), !ad_consent(A, S), consumer(S).",
        ),
    )
    .expect("written");
    let (code, out, err) = sphere(&[
        "diff",
        "facts/s04_phone_call.json",
        "--kb-old",
        old.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("+ BLOCK "), "{out}");
    assert!(
        out.contains("subj-jens-hartmann (Jens Hartmann) is a business in DE, not consumer"),
        "{out}"
    );
    insta::assert_snapshot!(out);
    let _ = std::fs::remove_dir_all(&old);
}

#[test]
fn a_date_change_shows_what_vanishes_and_why() {
    let (code, out, err) = sphere(&[
        "diff",
        "facts/s01_forum_complaint.json",
        "--as-of",
        "2025-06-16",
        "--as-of-old",
        "2021-06-01",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with("as of 2021-06-01 -> as of 2025-06-16\n"),
        "{out}"
    );
    assert!(out.contains("+ BREACH "), "{out}");
    insta::assert_snapshot!(out);
    // The Impressum duty moved from the TMG to the DDG: the same finding, citing another law.
    let (code, out, err) = sphere(&[
        "diff",
        "facts/s07_own_forum.json",
        "--as-of",
        "2025-06-16",
        "--as-of-old",
        "2021-06-01",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("~ BLOCK "), "{out}");
    assert!(out.contains("changed: norms: "), "{out}");
    insta::assert_snapshot!(out);
    let (code, _, err) = sphere(&["diff", "facts/s04_phone_call.json"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("nothing to compare"), "{err}");
}
