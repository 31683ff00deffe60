//! The runtime written into every exported crepe crate (`src/crepe_rt.rs`) computes what
//! sphere computes: every date function against `sphere_rt` over a sweep of days and offsets.

#[path = "../../src/crepe_rt.rs"]
mod crepe_rt;

use sphere_engine::builtins::{self, BinOp};
use sphere_engine::Date;

/// Days from 0001-01-01 to 9999-12-31 in steps that meet every day of the month, month ends
/// and leap days, plus the range's edges.
fn days() -> Vec<i32> {
    let mut out: Vec<i32> = (Date::MIN.0..=Date::MAX.0).step_by(97).collect();
    // Every day of 1999 to 2026, where the knowledge base's dates are.
    out.extend(Date::parse("1999-01-01").unwrap().0..=Date::parse("2026-12-31").unwrap().0);
    out.extend([
        Date::MIN.0,
        Date::MIN.0 + 1,
        Date::MAX.0 - 1,
        Date::MAX.0,
        -1,
        0,
        1,
    ]);
    out
}

#[test]
fn dates_print_and_parse_as_in_sphere() {
    for d in days() {
        let ours = crepe_rt::Date(d);
        let theirs = Date(d);
        assert_eq!(ours.to_string(), theirs.to_string(), "day {d}");
        assert_eq!(
            crepe_rt::year(d),
            builtins::year(theirs),
            "year of {theirs}"
        );
        assert_eq!(
            crepe_rt::Date::parse(&theirs.to_string()).map(|x| x.0),
            Some(d),
            "{theirs}"
        );
    }
    for bad in [
        "2023-02-29",
        "2023-13-01",
        "2023-1-01",
        "0000-00-00",
        "abcd-ef-gh",
        "",
    ] {
        assert_eq!(
            crepe_rt::Date::parse(bad).map(|x| x.0),
            Date::parse(bad).map(|x| x.0),
            "{bad:?}"
        );
    }
    assert_eq!(
        crepe_rt::Date::parse("0000-02-29").map(|x| x.0),
        Date::parse("0000-02-29").map(|x| x.0)
    );
}

#[test]
fn month_and_day_arithmetic_agree_with_sphere() {
    let offsets: Vec<i64> = (-40..=40)
        .chain([
            -120_000,
            -119_988,
            -12_000,
            1_200,
            119_988,
            120_000,
            i64::MIN,
            i64::MAX,
        ])
        .collect();
    for (i, d) in days().into_iter().enumerate() {
        // Every offset for one day in 13, a few for the others: 4 million calls otherwise.
        let few = [-1i64, 1, 12, -25];
        let offs: &[i64] = if i % 13 == 0 { &offsets } else { &few };
        for &n in offs {
            assert_eq!(
                crepe_rt::add_months(d, n),
                builtins::add_months(Date(d), n).map(|x| x.0),
                "{} + {n} months",
                Date(d)
            );
            assert_eq!(
                crepe_rt::add_days(d, n),
                builtins::add_days(Date(d), n).map(|x| x.0),
                "{} + {n} days",
                Date(d)
            );
        }
        assert_eq!(
            crepe_rt::days_between(d, 19_000),
            builtins::days_between(Date(d), Date(19_000))
        );
    }
}

#[test]
fn arithmetic_agrees_with_sphere() {
    let nums = [i64::MIN, -7, -1, 0, 1, 2, 7, i64::MAX];
    for &a in &nums {
        for &b in &nums {
            assert_eq!(crepe_rt::add(a, b), builtins::binary(BinOp::Add, a, b));
            assert_eq!(crepe_rt::sub(a, b), builtins::binary(BinOp::Sub, a, b));
            assert_eq!(crepe_rt::mul(a, b), builtins::binary(BinOp::Mul, a, b));
            assert_eq!(crepe_rt::div(a, b), builtins::binary(BinOp::Div, a, b));
            assert_eq!(crepe_rt::rem(a, b), builtins::binary(BinOp::Rem, a, b));
        }
        assert_eq!(crepe_rt::neg(a), builtins::neg(a));
    }
}

#[test]
fn symbol_functions_agree_with_sphere() {
    use sphere_engine::builtins::Builtin;
    use sphere_engine::{Interner, Value};
    let texts = [
        "",
        "ab",
        " 42 ",
        "-3",
        "x1",
        "2024-05-14",
        "14.05.2024",
        "äöü",
    ];
    let mut symbols = crepe_rt::Symbols::default();
    let ids: Vec<u32> = texts.iter().map(|t| symbols.intern(t).0).collect();
    let (_, ()) = crepe_rt::install(symbols, || {
        let mut interner = Interner::new();
        for (i, t) in texts.iter().enumerate() {
            let s = Value::Sym(interner.intern(t));
            let call = |f, interner: &mut Interner| builtins::call(f, &[s], interner);
            assert_eq!(
                crepe_rt::to_number(ids[i]).map(Value::Num),
                call(Builtin::ToNumber, &mut interner),
                "{t:?}"
            );
            assert_eq!(
                Some(Value::Num(crepe_rt::strlen(ids[i]))),
                call(Builtin::Strlen, &mut interner)
            );
            assert_eq!(
                crepe_rt::parse_date(ids[i]),
                match call(Builtin::ParseDate, &mut interner) {
                    Some(Value::Date(d)) => Some(d.0),
                    _ => None,
                }
            );
            for (j, u) in texts.iter().enumerate() {
                assert_eq!(crepe_rt::sym_cmp(ids[i], ids[j]), t.cmp(u), "{t:?} {u:?}");
            }
        }
        let ab = crepe_rt::cat(ids[1], ids[4]);
        assert_eq!(crepe_rt::strlen(ab), 4);
        let n = crepe_rt::to_string(-17);
        assert_eq!(crepe_rt::to_number(n), Some(-17));
    });
}

#[test]
fn ids_use_sphere_digest() {
    // FNV-1a of "a": the value sphere's digest gives.
    assert_eq!(crepe_rt::fnv_hex(b"a"), "af63dc4c8601ec8c");
    assert_eq!(
        crepe_rt::json_string("a\"b\\\n\u{1}"),
        "\"a\\\"b\\\\\\n\\u0001\""
    );
    assert_eq!(crepe_rt::unescape("a\\tb\\\\").as_deref(), Ok("a\tb\\"));
    assert!(crepe_rt::unescape("a\\q").is_err());
}
