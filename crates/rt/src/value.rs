//! Values of the rule language: interned symbols, 64-bit numbers and calendar dates.
//!
//! Dates are days since 1970-01-01 in the proleptic Gregorian calendar, so they compare and
//! subtract as plain integers; the calendar arithmetic (`add_months`) goes through `jiff`.

use std::fmt;

pub use crate::interner::{Interner, Sym};

/// The three column types of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    Symbol,
    Number,
    Date,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Symbol => "symbol",
            Type::Number => "number",
            Type::Date => "date",
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A calendar date as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(pub i32);

/// One value in a tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    Sym(Sym),
    Num(i64),
    Date(Date),
}

impl Value {
    pub fn ty(self) -> Type {
        match self {
            Value::Sym(_) => Type::Symbol,
            Value::Num(_) => Type::Number,
            Value::Date(_) => Type::Date,
        }
    }

    /// The value as one machine word, for storage in typed columns (the column type says how
    /// to read it back, see [`Value::from_word`]).
    #[inline]
    pub fn word(self) -> u64 {
        match self {
            Value::Sym(s) => s.0 as u64,
            Value::Num(n) => n as u64,
            Value::Date(d) => d.0 as i64 as u64,
        }
    }

    #[inline]
    pub fn from_word(ty: Type, w: u64) -> Value {
        match ty {
            Type::Symbol => Value::Sym(Sym(w as u32)),
            Type::Number => Value::Num(w as i64),
            Type::Date => Value::Date(Date(w as i64 as i32)),
        }
    }
}

impl Date {
    /// Parses `YYYY-MM-DD`; `None` for anything else, including impossible days.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<i32> {
            let mut n = 0i32;
            for &c in &b[r] {
                if !c.is_ascii_digit() {
                    return None;
                }
                n = n * 10 + (c - b'0') as i32;
            }
            Some(n)
        };
        let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        Date::from_ymd(y, m, d)
    }

    pub fn from_ymd(y: i32, m: i32, d: i32) -> Option<Date> {
        let civil = jiff::civil::Date::new(y as i16, m as i8, d as i8).ok()?;
        Some(Date::from_civil(civil))
    }

    fn from_civil(c: jiff::civil::Date) -> Date {
        let epoch = jiff::civil::date(1970, 1, 1);
        let days = c
            .since((jiff::Unit::Day, epoch))
            .expect("civil dates are within range")
            .get_days();
        Date(days)
    }

    fn civil(self) -> jiff::civil::Date {
        jiff::civil::date(1970, 1, 1)
            .checked_add(jiff::Span::new().days(self.0 as i64))
            .expect("dates stay within jiff's range")
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        let c = self.civil();
        (c.year() as i32, c.month() as u32, c.day() as u32)
    }

    /// `self + n` days; `None` outside the supported range (years 1 to 9999).
    pub fn add_days(self, n: i64) -> Option<Date> {
        let d = (self.0 as i64).checked_add(n)?;
        let out = Date(i32::try_from(d).ok()?);
        (Date::MIN..=Date::MAX).contains(&out).then_some(out)
    }

    /// Calendar months: 2024-01-31 plus one month is 2024-02-29 (clamped to the month's end).
    pub fn add_months(self, n: i64) -> Option<Date> {
        let span = jiff::Span::new().try_months(n).ok()?;
        let c = self.civil().checked_add(span).ok()?;
        let out = Date::from_civil(c);
        (Date::MIN..=Date::MAX).contains(&out).then_some(out)
    }

    /// Days from `self` to `other` (negative when `other` is earlier).
    pub fn days_until(self, other: Date) -> i64 {
        other.0 as i64 - self.0 as i64
    }

    pub const MIN: Date = Date(-719_162); // 0001-01-01
    pub const MAX: Date = Date(2_932_896); // 9999-12-31
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// Renders a value as text: symbols as they are, numbers in decimal, dates as `YYYY-MM-DD`.
pub fn display(v: Value, interner: &Interner) -> String {
    match v {
        Value::Sym(s) => interner.resolve(s).to_string(),
        Value::Num(n) => n.to_string(),
        Value::Date(d) => d.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_reject_impossible_days() {
        let d = Date::parse("2024-02-29").unwrap();
        assert_eq!(d.to_string(), "2024-02-29");
        assert_eq!(Date::parse("1970-01-01"), Some(Date(0)));
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("2023-13-01"), None);
        assert_eq!(Date::parse("2023-1-01"), None);
        assert_eq!(Date::MIN.to_string(), "0001-01-01");
        assert_eq!(Date::MAX.to_string(), "9999-12-31");
    }

    #[test]
    fn month_arithmetic_clamps_to_month_end() {
        let d = Date::parse("2024-01-31").unwrap();
        assert_eq!(d.add_months(1).unwrap().to_string(), "2024-02-29");
        assert_eq!(d.add_months(-2).unwrap().to_string(), "2023-11-30");
        let a = Date::parse("2018-05-25").unwrap();
        let b = Date::parse("2022-05-28").unwrap();
        assert_eq!(a.days_until(b), 1464);
        assert_eq!(Date::MAX.add_days(1), None);
    }

    #[test]
    fn day_arithmetic_past_the_numbers_has_no_result() {
        let d = Date::parse("2025-01-01").unwrap();
        assert_eq!(d.add_days(i64::MAX), None);
        assert_eq!(d.add_days(i64::MIN), None);
        assert_eq!(Date(-1).add_days(i64::MIN), None);
        assert_eq!(Date(1).add_days(i64::MAX), None);
        assert_eq!(d.add_months(i64::MAX), None);
        assert_eq!(d.add_months(i64::MIN), None);
        assert_eq!(d.add_days(1).unwrap().to_string(), "2025-01-02");
    }

    #[test]
    fn words_round_trip_per_type() {
        for v in [Value::Num(-5), Value::Date(Date(-3)), Value::Sym(Sym(7))] {
            assert_eq!(Value::from_word(v.ty(), v.word()), v);
        }
    }
}
