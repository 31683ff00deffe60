//! What generated code calls at run time: the built-in functions of
//! [`sphere_engine::builtins`] on typed arguments, and symbol order and interning through an
//! interner installed for the duration of one run.

use std::cell::RefCell;
use std::cmp::Ordering;

use sphere_engine::builtins;
use sphere_engine::ir::{BinOp, Builtin};
use sphere_engine::{Date, Interner, Sym, Value};

thread_local! {
    static INTERNER: RefCell<Interner> = RefCell::new(Interner::new());
}

/// Runs `f` with `interner` installed for the generated code's symbol functions; returns the
/// interner (with any symbol the run made, e.g. by `cat`) and `f`'s result.
pub fn with_interner<T>(interner: Interner, f: impl FnOnce() -> T) -> (Interner, T) {
    INTERNER.with(|i| *i.borrow_mut() = interner);
    let out = f();
    let interner = INTERNER.with(|i| std::mem::take(&mut *i.borrow_mut()));
    (interner, out)
}

#[inline]
pub fn binary(op: BinOp, a: i64, b: i64) -> Option<i64> {
    builtins::binary(op, a, b)
}

#[inline]
pub fn days_between(a: i32, b: i32) -> i64 {
    builtins::days_between(Date(a), Date(b))
}

#[inline]
pub fn add_days(d: i32, n: i64) -> Option<i32> {
    builtins::add_days(Date(d), n).map(|d| d.0)
}

#[inline]
pub fn add_months(d: i32, n: i64) -> Option<i32> {
    builtins::add_months(Date(d), n).map(|d| d.0)
}

#[inline]
pub fn year(d: i32) -> i64 {
    builtins::year(Date(d))
}

/// Symbols order by their text, as in the interpreter.
pub fn sym_cmp(a: u32, b: u32) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    INTERNER.with(|i| {
        let i = i.borrow();
        i.resolve(Sym(a)).cmp(i.resolve(Sym(b)))
    })
}

/// Any built-in on values, through [`builtins::call`].
pub fn call(f: Builtin, args: &[Value]) -> Option<Value> {
    INTERNER.with(|i| builtins::call(f, args, &mut i.borrow_mut()))
}

pub fn sym(s: u32) -> Value {
    Value::Sym(Sym(s))
}

pub fn num(n: i64) -> Value {
    Value::Num(n)
}

pub fn date(d: i32) -> Value {
    Value::Date(Date(d))
}

pub fn as_sym(v: Value) -> Option<u32> {
    match v {
        Value::Sym(s) => Some(s.0),
        _ => None,
    }
}

pub fn as_num(v: Value) -> Option<i64> {
    match v {
        Value::Num(n) => Some(n),
        _ => None,
    }
}

pub fn as_date(v: Value) -> Option<i32> {
    match v {
        Value::Date(d) => Some(d.0),
        _ => None,
    }
}
