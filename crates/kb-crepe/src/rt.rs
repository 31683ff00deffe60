//! Values and built-in functions of the rule language, for the generated `crepe!` programs.
//!
//! This file is written verbatim into every crate that `sphere kb export --crepe` makes (as
//! `src/rt.rs`), so that the crate depends on nothing but crepe. It mirrors sphere's own
//! implementation (`sphere_rt::builtins` and `sphere_rt::value`), and sphere's test suite
//! compiles this very file and holds every function to sphere's on a sweep of dates, month
//! offsets and numbers: the two cannot disagree unnoticed.
//!
//! Dates are days since 1970-01-01 in the proleptic Gregorian calendar (years 1 to 9999 for
//! results, as in sphere), symbols are interned strings (`u32`), numbers `i64`. A function
//! that has no result for its arguments (a division by zero, a date out of range, text that is
//! not a date) returns `None`, and the rule does not fire for that binding.

#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

/// An interned symbol: only meaningful with the [`Symbols`] that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sym(pub u32);

/// A calendar day as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Date(pub i32);

impl Date {
    /// 0001-01-01, the first day a computed date may be.
    pub const MIN: Date = Date(-719_162);
    /// 9999-12-31, the last day a computed date may be.
    pub const MAX: Date = Date(2_932_896);

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

    /// The day `y-m-d`, `None` when there is no such day.
    pub fn from_ymd(y: i32, m: i32, d: i32) -> Option<Date> {
        if !(-9999..=9999).contains(&y) || !(1..=12).contains(&m) {
            return None;
        }
        if d < 1 || d > days_in_month(y, m) {
            return None;
        }
        Some(Date(days_from_civil(y, m, d)))
    }

    /// Year, month and day.
    pub fn ymd(self) -> (i32, i32, i32) {
        civil_from_days(self.0)
    }

    /// `self + n` days; `None` outside years 1 to 9999.
    pub fn add_days(self, n: i64) -> Option<Date> {
        let d = (self.0 as i64).checked_add(n)?;
        let out = Date(i32::try_from(d).ok()?);
        (Date::MIN..=Date::MAX).contains(&out).then_some(out)
    }

    /// Calendar months, clamped to the month's end (2024-01-31 plus one month is
    /// 2024-02-29); `None` outside years 1 to 9999.
    pub fn add_months(self, n: i64) -> Option<Date> {
        let (y, m, d) = self.ymd();
        let months = ((y as i64) * 12 + (m as i64 - 1)).checked_add(n)?;
        let y2 = months.div_euclid(12);
        let m2 = (months.rem_euclid(12) + 1) as i32;
        if !(1..=9999).contains(&y2) {
            return None;
        }
        let y2 = y2 as i32;
        let out = Date(days_from_civil(y2, m2, d.min(days_in_month(y2, m2))));
        (Date::MIN..=Date::MAX).contains(&out).then_some(out)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn is_leap(y: i32) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i32, m: i32) -> i32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i32, m: i32, d: i32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y } as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) as i32
}

/// The date of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(z: i32) -> (i32, i32, i32) {
    let z = z as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y as i32, m as i32, d as i32)
}

// ---------------------------------------------------------------------------------------------
// Built-in functions, on the representations the generated relations hold.

/// `a + b`; no result beyond the 64-bit numbers (sphere does not wrap, unlike Soufflé).
pub fn add(a: i64, b: i64) -> Option<i64> {
    a.checked_add(b)
}

/// `a - b`; no result beyond the 64-bit numbers.
pub fn sub(a: i64, b: i64) -> Option<i64> {
    a.checked_sub(b)
}

/// `a * b`; no result beyond the 64-bit numbers.
pub fn mul(a: i64, b: i64) -> Option<i64> {
    a.checked_mul(b)
}

/// `a / b`; no result for `b = 0` or beyond the numbers (`i64::MIN / -1`).
pub fn div(a: i64, b: i64) -> Option<i64> {
    a.checked_div(b)
}

/// `a % b`; no result for `b = 0`. `i64::MIN % -1` is 0: the remainder exists even where
/// the quotient does not.
pub fn rem(a: i64, b: i64) -> Option<i64> {
    (b != 0).then(|| a.wrapping_rem(b))
}

/// `-a`; no result for `-i64::MIN`, which is beyond the numbers.
pub fn neg(a: i64) -> Option<i64> {
    a.checked_neg()
}

/// `@days_between(a, b)`: `b - a` in days.
pub fn days_between(a: i32, b: i32) -> i64 {
    b as i64 - a as i64
}

/// `@add_days(d, n)`.
pub fn add_days(d: i32, n: i64) -> Option<i32> {
    Date(d).add_days(n).map(|d| d.0)
}

/// `@add_months(d, n)`.
pub fn add_months(d: i32, n: i64) -> Option<i32> {
    Date(d).add_months(n).map(|d| d.0)
}

/// `@year(d)`.
pub fn year(d: i32) -> i64 {
    Date(d).ymd().0 as i64
}

/// `min(a, b)` over numbers or dates.
pub fn min<T: Ord>(a: T, b: T) -> T {
    a.min(b)
}

/// `max(a, b)` over numbers or dates.
pub fn max<T: Ord>(a: T, b: T) -> T {
    a.max(b)
}

/// `@date(s)`: parses `YYYY-MM-DD`.
pub fn parse_date(s: u32) -> Option<i32> {
    with_symbols(|t| Date::parse(t.resolve(Sym(s)))).map(|d| d.0)
}

/// `cat(a, b)`.
pub fn cat(a: u32, b: u32) -> u32 {
    with_symbols_mut(|t| {
        let s = format!("{}{}", t.resolve(Sym(a)), t.resolve(Sym(b)));
        t.intern(&s).0
    })
}

/// `strlen(s)`, in characters.
pub fn strlen(s: u32) -> i64 {
    with_symbols(|t| t.resolve(Sym(s)).chars().count() as i64)
}

/// `to_number(s)`: decimal text, surrounding white space ignored.
pub fn to_number(s: u32) -> Option<i64> {
    with_symbols(|t| t.resolve(Sym(s)).trim().parse().ok())
}

/// `to_string(n)`.
pub fn to_string(n: i64) -> u32 {
    with_symbols_mut(|t| t.intern(&n.to_string()).0)
}

/// Symbols order by their text (`<` on symbols), as in sphere.
pub fn sym_cmp(a: u32, b: u32) -> std::cmp::Ordering {
    if a == b {
        return std::cmp::Ordering::Equal;
    }
    with_symbols(|t| t.resolve(Sym(a)).cmp(t.resolve(Sym(b))))
}

// ---------------------------------------------------------------------------------------------
// Symbols.

/// The interned text of every symbol: the program's constants first, in the order of the
/// generated `SYMBOLS` table, then the symbols of the facts as they are read.
#[derive(Clone, Debug, Default)]
pub struct Symbols {
    texts: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32, FxBuild>,
}

impl Symbols {
    /// The symbol of `s`, interning it if new.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&id) = self.ids.get(s) {
            return Sym(id);
        }
        let id = self.texts.len() as u32;
        self.texts.push(s.into());
        self.ids.insert(s.into(), id);
        Sym(id)
    }

    /// The symbol of `s` if it was interned.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.ids.get(s).map(|&id| Sym(id))
    }

    /// The text of `s` (empty for a symbol these symbols did not make).
    pub fn resolve(&self, s: Sym) -> &str {
        self.texts.get(s.0 as usize).map_or("", |t| t)
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }
}

thread_local! {
    static SYMBOLS: RefCell<Symbols> = RefCell::new(Symbols::default());
}

/// Runs `f` with `symbols` installed for the built-ins that read or make symbols (`cat`,
/// `strlen`, symbol order, ...); returns them, with any symbol the run made, and `f`'s result.
pub fn install<T>(symbols: Symbols, f: impl FnOnce() -> T) -> (Symbols, T) {
    SYMBOLS.with(|s| *s.borrow_mut() = symbols);
    let out = f();
    let symbols = SYMBOLS.with(|s| std::mem::take(&mut *s.borrow_mut()));
    (symbols, out)
}

fn with_symbols<T>(f: impl FnOnce(&Symbols) -> T) -> T {
    SYMBOLS.with(|s| f(&s.borrow()))
}

fn with_symbols_mut<T>(f: impl FnOnce(&mut Symbols) -> T) -> T {
    SYMBOLS.with(|s| f(&mut s.borrow_mut()))
}

// ---------------------------------------------------------------------------------------------
// Hashing: one fast hasher for every table crepe builds (each hasher a program is run with is
// compiled separately, so the crate uses exactly one).

/// The Fx hash (rustc's): a multiply and a rotate per word. Not resistant to chosen keys,
/// which facts from one's own CRM are not.
#[derive(Clone, Copy, Default)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_i32(&mut self, i: i32) {
        self.add(i as u32 as u64);
    }
    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// The hasher every generated program runs with.
pub type FxBuild = BuildHasherDefault<FxHasher>;

// ---------------------------------------------------------------------------------------------
// Text: the facts files' escapes, JSON strings, the finding ids' digest.

/// Reads a symbol of a facts file back (`\\`, `\t`, `\n`, `\r`); `Err` names the escape.
pub fn unescape(s: &str) -> Result<String, String> {
    if !s.contains('\\') {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => return Err(format!("unknown escape `\\{other}`")),
            None => return Err("a lone `\\` at the end of the field".into()),
        }
    }
    Ok(out)
}

/// `s` as a JSON string, quotes included.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// FNV-1a (64 bit) of `bytes` as 16 hex digits: sphere's stable digest.
pub fn fnv_hex(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}
