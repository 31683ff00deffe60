//! Type inference: a union-find over "slots" (relation columns, rule variables, constants and
//! sub-expressions). Slots that must hold the same type are united; a class gets a type from a
//! declaration, an arithmetic or built-in use, a fact, or a constant. A class that never gets
//! one is a symbol.

use crate::diag::Span;
use crate::value::Type;

/// Why a class has its type: shown as a secondary label in a `type_mismatch` diagnostic.
#[derive(Clone, Debug)]
pub struct Origin {
    pub span: Option<Span>,
    pub why: String,
    /// [`Origin::why`] in German, in the dative (`der Deklaration der Spalte ...`), to follow
    /// `laut`.
    pub why_de: String,
    /// A declaration: preferred over other reasons when classes with one type are united, so
    /// that diagnostics point at declarations.
    pub strong: bool,
}

/// Index of a slot.
pub type Slot = usize;

#[derive(Debug, Default)]
pub struct TypeTable {
    parent: Vec<Slot>,
    ty: Vec<Option<(Type, Origin)>>,
}

/// Two different types met in one class.
#[derive(Debug)]
pub struct Conflict {
    /// The type the class already had, and why.
    pub have: Type,
    pub origin: Origin,
    /// The type that was asked for.
    pub want: Type,
    /// Why the other side has the type asked for, when it is a class of its own that has it
    /// already ([`TypeTable::unify`]); `None` when the type is asked for by the use at hand.
    pub want_origin: Option<Box<Origin>>,
}

impl TypeTable {
    pub fn fresh(&mut self) -> Slot {
        self.parent.push(self.parent.len());
        self.ty.push(None);
        self.parent.len() - 1
    }

    pub fn find(&mut self, s: Slot) -> Slot {
        let mut root = s;
        while self.parent[root] != root {
            root = self.parent[root];
        }
        let mut cur = s;
        while self.parent[cur] != root {
            let next = self.parent[cur];
            self.parent[cur] = root;
            cur = next;
        }
        root
    }

    pub fn get(&mut self, s: Slot) -> Option<Type> {
        let r = self.find(s);
        self.ty[r].as_ref().map(|(t, _)| *t)
    }

    pub fn origin(&mut self, s: Slot) -> Option<Origin> {
        let r = self.find(s);
        self.ty[r].as_ref().map(|(_, o)| o.clone())
    }

    /// Gives the class of `s` the type `t`, unless it already has another one.
    pub fn require(&mut self, s: Slot, t: Type, origin: Origin) -> Result<(), Conflict> {
        let r = self.find(s);
        match &self.ty[r] {
            Some((have, o)) if *have != t => Err(Conflict {
                have: *have,
                origin: o.clone(),
                want: t,
                want_origin: None,
            }),
            Some(_) => Ok(()),
            None => {
                self.ty[r] = Some((t, origin));
                Ok(())
            }
        }
    }

    /// Unites two classes; on a conflict they stay apart and the type of `a`'s class is
    /// reported as `have`.
    pub fn unify(&mut self, a: Slot, b: Slot) -> Result<(), Conflict> {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return Ok(());
        }
        match (self.ty[ra].clone(), self.ty[rb].clone()) {
            (Some((ta, oa)), Some((tb, ob))) if ta != tb => Err(Conflict {
                have: tb,
                origin: ob,
                want: ta,
                want_origin: Some(Box::new(oa)),
            }),
            (ta, tb) => {
                self.parent[ra] = rb;
                self.ty[rb] = match (ta, tb) {
                    (Some(a), Some(b)) if a.1.strong && !b.1.strong => Some(a),
                    (ta, tb) => tb.or(ta),
                };
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o() -> Origin {
        Origin {
            span: None,
            why: "test".into(),
            why_de: "Test".into(),
            strong: false,
        }
    }

    #[test]
    fn unification_propagates_and_conflicts() {
        let mut t = TypeTable::default();
        let (a, b, c) = (t.fresh(), t.fresh(), t.fresh());
        t.unify(a, b).unwrap();
        t.require(b, Type::Number, o()).unwrap();
        assert_eq!(t.get(a), Some(Type::Number));
        t.require(c, Type::Symbol, o()).unwrap();
        let err = t.unify(a, c).unwrap_err();
        assert_eq!((err.have, err.want), (Type::Symbol, Type::Number));
        assert!(t.require(a, Type::Date, o()).is_err());
        assert_eq!(t.get(c), Some(Type::Symbol));
    }
}
