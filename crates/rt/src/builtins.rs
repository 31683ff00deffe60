//! The one implementation of arithmetic, comparisons and built-in functions, called by the
//! interpreter, by the compiled evaluator's generated code and by the resolver when it folds
//! the constant expressions of facts, so all of them compute the same values.
//!
//! A function that has no result for its arguments (division by zero, a result beyond the
//! 64-bit numbers, a date out of range, a string that is not a date) returns `None`, and the
//! rule does not fire for that binding. Arithmetic never wraps: `9223372036854775807 + 1` has
//! no result, it is not a negative number.

use std::cmp::Ordering;

use crate::value::{Date, Interner, Sym, Type, Value};

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

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// Whether two values in this order satisfy the operator.
    #[inline]
    pub fn holds(self, ord: Ordering) -> bool {
        match self {
            CmpOp::Eq => ord == Ordering::Equal,
            CmpOp::Ne => ord != Ordering::Equal,
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::Le => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::Ge => ord != Ordering::Less,
        }
    }
}

/// Compares two words of type `ty` (see [`Value::word`]). Numbers and dates compare as
/// integers; symbols by their text, so results do not depend on the order of interning.
#[inline]
pub fn compare(op: CmpOp, ty: Type, a: u64, b: u64, interner: &Interner) -> bool {
    let ord = match ty {
        Type::Number | Type::Date => (a as i64).cmp(&(b as i64)),
        Type::Symbol => {
            if a == b {
                Ordering::Equal
            } else {
                interner
                    .resolve(Sym(a as u32))
                    .cmp(interner.resolve(Sym(b as u32)))
            }
        }
    };
    op.holds(ord)
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

/// Number arithmetic; `None` where the result does not exist: division by zero, and a result
/// beyond the 64-bit numbers (overflow does not wrap around, unlike Soufflé: a rule must not
/// fire on a number that is not the result of its computation).
#[inline]
pub fn binary(op: BinOp, a: i64, b: i64) -> Option<i64> {
    match op {
        BinOp::Add => a.checked_add(b),
        BinOp::Sub => a.checked_sub(b),
        BinOp::Mul => a.checked_mul(b),
        // `checked_div` is `None` for a zero divisor and for `i64::MIN / -1`, whose result is
        // beyond the numbers.
        BinOp::Div => a.checked_div(b),
        // A remainder is `None` only for a zero divisor: `i64::MIN % -1` is 0 (the remainder
        // exists even where the quotient does not; `checked_rem` would drop it).
        BinOp::Rem => rem(a, b),
    }
}

/// `a % b`, with the sign of `a`; `None` for `b = 0`. `i64::MIN % -1` is 0.
#[inline]
pub fn rem(a: i64, b: i64) -> Option<i64> {
    (b != 0).then(|| a.wrapping_rem(b))
}

/// Unary minus; `None` for `-(-9223372036854775808)`, which is beyond the numbers.
#[inline]
pub fn neg(a: i64) -> Option<i64> {
    a.checked_neg()
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
            interner.try_intern(&s).map(Sym)
        }
        (Builtin::Strlen, [Sym(s)]) => Some(Num(interner.resolve(*s).chars().count() as i64)),
        (Builtin::Min, [a, b]) if a.ty() == b.ty() => Some(*a.min(b)),
        (Builtin::Max, [a, b]) if a.ty() == b.ty() => Some(*a.max(b)),
        (Builtin::ToNumber, [Sym(s)]) => interner.resolve(*s).trim().parse().ok().map(Num),
        (Builtin::ToString, [Num(n)]) => interner.try_intern(&n.to_string()).map(Sym),
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
    }

    #[test]
    fn overflow_has_no_result() {
        assert_eq!(binary(BinOp::Add, i64::MAX, 1), None);
        assert_eq!(binary(BinOp::Add, i64::MAX - 1, 1), Some(i64::MAX));
        assert_eq!(binary(BinOp::Sub, i64::MIN, 1), None);
        assert_eq!(binary(BinOp::Sub, -1, i64::MAX), Some(i64::MIN));
        assert_eq!(binary(BinOp::Mul, i64::MAX, 2), None);
        assert_eq!(binary(BinOp::Mul, i64::MIN, -1), None);
        assert_eq!(binary(BinOp::Div, i64::MIN, -1), None);
        // The remainder exists where the quotient does not.
        assert_eq!(binary(BinOp::Rem, i64::MIN, -1), Some(0));
        assert_eq!(binary(BinOp::Rem, i64::MAX, -1), Some(0));
        assert_eq!(binary(BinOp::Rem, i64::MIN, i64::MAX), Some(-1));
        assert_eq!(binary(BinOp::Rem, -7, 2), Some(-1));
        assert_eq!(binary(BinOp::Div, i64::MIN, 1), Some(i64::MIN));
        assert_eq!(neg(i64::MIN), None);
        assert_eq!(neg(i64::MAX), Some(-i64::MAX));
    }

    #[test]
    fn comparisons_order_symbols_by_text() {
        let mut i = Interner::new();
        let (b, a) = (i.intern("b"), i.intern("a"));
        assert!(compare(CmpOp::Lt, Type::Symbol, a.0 as u64, b.0 as u64, &i));
        assert!(!compare(
            CmpOp::Lt,
            Type::Symbol,
            b.0 as u64,
            a.0 as u64,
            &i
        ));
        assert!(compare(
            CmpOp::Ge,
            Type::Number,
            (-1i64) as u64,
            (-2i64) as u64,
            &i
        ));
        assert!(compare(CmpOp::Ne, Type::Date, 1, 2, &i));
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
