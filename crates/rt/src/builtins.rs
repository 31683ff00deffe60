//! The one implementation of arithmetic and built-in functions, called by the interpreter and by
//! the code the crepe generator emits, so both evaluators compute the same values.
//!
//! A function that has no result for its arguments (division by zero, a date out of range, a
//! string that is not a date) returns `None`, and the rule does not fire for that binding.

use crate::value::{Date, Interner, Value};

/// Arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
}

/// Built-in functions, callable from rules in both evaluators. Semantics live in
/// this module, the one implementation both evaluators call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `@days_between(d1: date, d2: date) -> number`: `d2 - d1` in days.
    DaysBetween,
    /// `@add_days(d: date, n: number) -> date`.
    AddDays,
    /// `@add_months(d: date, n: number) -> date`: calendar months, clamped to the month's end.
    AddMonths,
    /// `@year(d: date) -> number`.
    Year,
    /// `@date(s: symbol) -> date`: parses `YYYY-MM-DD`; no result (the rule does not fire) for
    /// anything else.
    ParseDate,
    /// `cat(a: symbol, b: symbol) -> symbol` (Soufflé's string concatenation).
    Cat,
    /// `strlen(s: symbol) -> number`.
    Strlen,
    /// `min(a, b)`, `max(a, b)` over numbers or dates.
    Min,
    Max,
    /// `to_number(s: symbol) -> number`, `to_string(n: number) -> symbol`.
    ToNumber,
    ToString,
}

impl Builtin {
    pub fn name(self) -> &'static str {
        match self {
            Builtin::DaysBetween => "@days_between",
            Builtin::AddDays => "@add_days",
            Builtin::AddMonths => "@add_months",
            Builtin::Year => "@year",
            Builtin::ParseDate => "@date",
            Builtin::Cat => "cat",
            Builtin::Strlen => "strlen",
            Builtin::Min => "min",
            Builtin::Max => "max",
            Builtin::ToNumber => "to_number",
            Builtin::ToString => "to_string",
        }
    }
}

/// Number arithmetic with wrapping overflow, as in Soufflé; `None` for division by zero.
pub fn binary(op: BinOp, a: i64, b: i64) -> Option<i64> {
    match op {
        BinOp::Add => Some(a.wrapping_add(b)),
        BinOp::Sub => Some(a.wrapping_sub(b)),
        BinOp::Mul => Some(a.wrapping_mul(b)),
        BinOp::Div => (b != 0).then(|| a.wrapping_div(b)),
        BinOp::Rem => (b != 0).then(|| a.wrapping_rem(b)),
    }
}

pub fn days_between(a: Date, b: Date) -> i64 {
    a.days_until(b)
}

pub fn add_days(d: Date, n: i64) -> Option<Date> {
    d.add_days(n)
}

pub fn add_months(d: Date, n: i64) -> Option<Date> {
    d.add_months(n)
}

pub fn year(d: Date) -> i64 {
    d.ymd().0 as i64
}

/// Calls a built-in on typed arguments (the resolver has checked arity and types).
pub fn call(f: Builtin, args: &[Value], interner: &mut Interner) -> Option<Value> {
    use Value::*;
    match (f, args) {
        (Builtin::DaysBetween, [Date(a), Date(b)]) => Some(Num(days_between(*a, *b))),
        (Builtin::AddDays, [Date(d), Num(n)]) => add_days(*d, *n).map(Date),
        (Builtin::AddMonths, [Date(d), Num(n)]) => add_months(*d, *n).map(Date),
        (Builtin::Year, [Date(d)]) => Some(Num(year(*d))),
        (Builtin::ParseDate, [Sym(s)]) => crate::value::Date::parse(interner.resolve(*s)).map(Date),
        (Builtin::Cat, [Sym(a), Sym(b)]) => {
            let s = format!("{}{}", interner.resolve(*a), interner.resolve(*b));
            Some(Sym(interner.intern(&s)))
        }
        (Builtin::Strlen, [Sym(s)]) => Some(Num(interner.resolve(*s).chars().count() as i64)),
        (Builtin::Min, [a, b]) if a.ty() == b.ty() => Some(*a.min(b)),
        (Builtin::Max, [a, b]) if a.ty() == b.ty() => Some(*a.max(b)),
        (Builtin::ToNumber, [Sym(s)]) => interner.resolve(*s).trim().parse().ok().map(Num),
        (Builtin::ToString, [Num(n)]) => Some(Sym(interner.intern(&n.to_string()))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_by_zero_has_no_result() {
        assert_eq!(binary(BinOp::Div, 7, 0), None);
        assert_eq!(binary(BinOp::Rem, 7, 0), None);
        assert_eq!(binary(BinOp::Div, 7, 2), Some(3));
        assert_eq!(binary(BinOp::Add, i64::MAX, 1), Some(i64::MIN));
    }

    #[test]
    fn date_builtins() {
        let mut i = Interner::new();
        let d = crate::value::Date::parse("2021-12-01").unwrap();
        let s = i.intern("2024-05-14");
        let parsed = call(Builtin::ParseDate, &[Value::Sym(s)], &mut i).unwrap();
        assert_eq!(
            call(Builtin::DaysBetween, &[Value::Date(d), parsed], &mut i),
            Some(Value::Num(895))
        );
        let bad = i.intern("14.05.2024");
        assert_eq!(call(Builtin::ParseDate, &[Value::Sym(bad)], &mut i), None);
        assert_eq!(
            call(Builtin::Year, &[parsed], &mut i),
            Some(Value::Num(2024))
        );
    }
}
