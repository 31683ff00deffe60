//! The built-in functions by name, with their signatures, and folding them in facts.

use crate::builtins;
use crate::ir::Builtin;
use crate::value::{Interner, Type, Value};

pub(super) fn fold_call(f: Builtin, args: &[Value], interner: &mut Interner) -> Option<Value> {
    match f {
        Builtin::Cat | Builtin::Min | Builtin::Max if args.len() > 2 => {
            let mut acc = args[0];
            for a in &args[1..] {
                acc = builtins::call(f, &[acc, *a], interner)?;
            }
            Some(acc)
        }
        _ => builtins::call(f, args, interner),
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Sig {
    Fixed(&'static [Type], Type),
    /// At least two arguments of one type, the result of that type; `Some` fixes the type.
    Variadic(Option<Type>),
}

pub(super) const FUNCTIONS: &[(&str, Builtin, Sig)] = &[
    (
        "@days_between",
        Builtin::DaysBetween,
        Sig::Fixed(&[Type::Date, Type::Date], Type::Number),
    ),
    (
        "@add_days",
        Builtin::AddDays,
        Sig::Fixed(&[Type::Date, Type::Number], Type::Date),
    ),
    (
        "@add_months",
        Builtin::AddMonths,
        Sig::Fixed(&[Type::Date, Type::Number], Type::Date),
    ),
    (
        "@year",
        Builtin::Year,
        Sig::Fixed(&[Type::Date], Type::Number),
    ),
    (
        "@date",
        Builtin::ParseDate,
        Sig::Fixed(&[Type::Symbol], Type::Date),
    ),
    ("cat", Builtin::Cat, Sig::Variadic(Some(Type::Symbol))),
    (
        "strlen",
        Builtin::Strlen,
        Sig::Fixed(&[Type::Symbol], Type::Number),
    ),
    ("min", Builtin::Min, Sig::Variadic(None)),
    ("max", Builtin::Max, Sig::Variadic(None)),
    (
        "to_number",
        Builtin::ToNumber,
        Sig::Fixed(&[Type::Symbol], Type::Number),
    ),
    (
        "to_string",
        Builtin::ToString,
        Sig::Fixed(&[Type::Number], Type::Symbol),
    ),
];

pub(super) fn builtin(name: &str) -> Option<(Builtin, Sig)> {
    FUNCTIONS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, f, s)| (*f, *s))
}
