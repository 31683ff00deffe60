//! The string interner: each distinct text gets a [`Sym`], numbered 0, 1, 2, … in the order
//! texts are first met, so that a program and its facts compare symbols as integers.
//!
//! Built for lookups in a table far larger than the processor's cache (a model of a million
//! activities interns over a million ids): a lookup costs one visit to the table and one to
//! the text. A slot holds the high 32 bits of the text's hash (its tag: most slots that are
//! not the text are told apart by it without reading any text), the symbol and where its text
//! starts and how long it is; the texts lie one after another in one string. Growing the table
//! re-places the slots by their tags, without reading or hashing a text again.
//!
//! The hash is `foldhash` with a seed drawn per interner (hashbrown's default hasher), so that
//! texts chosen to collide (a model sent over HTTP) cannot be prepared in advance.

use std::fmt;
use std::hash::BuildHasher;

/// An interned string. Only meaningful together with the [`Interner`] that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// String interner shared by a program and the facts evaluated with it.
#[derive(Clone, Default)]
pub struct Interner {
    /// Open addressing with linear probing over a power-of-two number of slots (none before
    /// the first text), at most three quarters full.
    slots: Vec<Slot>,
    /// The texts of the symbols, one after the other.
    text: String,
    /// Where the text of each symbol starts in `text`, and after the last one its end.
    starts: Vec<u64>,
    hasher: hashbrown::DefaultHashBuilder,
    /// A [`Interner::try_intern`] failed: the table can take no more symbols.
    full: bool,
}

/// A slot of the table: free while `sym1` is 0.
#[derive(Clone, Copy, Default)]
struct Slot {
    /// The high 32 bits of the text's hash; its top bits are the slot's home.
    tag: u32,
    /// The symbol's id plus one.
    sym1: u32,
    /// Where the text starts in `text` (high 40 bits) and its length in bytes (low 24 bits;
    /// [`LONG`] for a text of that length or longer, whose length `starts` gives).
    span: u64,
}

/// The length field of a slot whose text is at least this long.
const LONG: u64 = (1 << 24) - 1;

/// Slots of the first table.
const FIRST: usize = 64;

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Interns `s`. For text of bounded inputs (programs, models, facts files), whose symbols
    /// cannot exhaust the table's four billion ids before memory runs out; what evaluation
    /// makes goes through [`Interner::try_intern`].
    pub fn intern(&mut self, s: &str) -> Sym {
        match self.try_intern(s) {
            Some(sym) => sym,
            None => panic!("the interner can take no more symbols (over four billion)"),
        }
    }

    /// Interns `s`, or `None` when the table can take no more symbols (its ids are spent, or
    /// its memory could not grow). Then [`Interner::is_full`] stays true, so that an evaluator
    /// can stop with an error instead of carrying on without the symbol.
    pub fn try_intern(&mut self, s: &str) -> Option<Sym> {
        let tag = self.tag(s);
        if let Some(sym) = self.find(tag, s) {
            return Some(sym);
        }
        let sym = self.add(tag, s);
        if sym.is_none() {
            self.full = true;
        }
        sym
    }

    /// Whether a [`Interner::try_intern`] failed.
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// Bytes held: the symbols' text, where each starts, and the table.
    pub fn memory_bytes(&self) -> usize {
        self.text.capacity()
            + self.starts.capacity() * std::mem::size_of::<u64>()
            + self.slots.capacity() * std::mem::size_of::<Slot>()
    }

    /// The symbol of `s` if it was ever interned.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.find(self.tag(s), s)
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        let i = sym.0 as usize;
        &self.text[self.starts[i] as usize..self.starts[i + 1] as usize]
    }

    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn tag(&self, s: &str) -> u32 {
        (self.hasher.hash_one(s) >> 32) as u32
    }

    /// The first slot to look at for `tag` in a table of `slots` slots.
    #[inline(always)]
    fn home(tag: u32, slots: usize) -> usize {
        // `slots` is a power of two of at most 2^32: its top bits of the tag.
        ((tag as u64) << 32 >> (64 - slots.trailing_zeros())) as usize
    }

    fn find(&self, tag: u32, s: &str) -> Option<Sym> {
        let n = self.slots.len();
        if n == 0 {
            return None;
        }
        let mask = n - 1;
        let mut i = Self::home(tag, n);
        loop {
            let slot = self.slots[i];
            if slot.sym1 == 0 {
                return None;
            }
            if slot.tag == tag && self.text_of(slot) == s.as_bytes() {
                return Some(Sym(slot.sym1 - 1));
            }
            i = (i + 1) & mask;
        }
    }

    /// The bytes of the text a slot names.
    fn text_of(&self, slot: Slot) -> &[u8] {
        let start = (slot.span >> 24) as usize;
        let len = match slot.span & LONG {
            LONG => self.starts[slot.sym1 as usize] as usize - start,
            len => len as usize,
        };
        &self.text.as_bytes()[start..start + len]
    }

    /// Adds `s`, known not to be interned, as the next symbol.
    fn add(&mut self, tag: u32, s: &str) -> Option<Sym> {
        let id = u32::try_from(self.len())
            .ok()
            .filter(|&id| id < u32::MAX - 1)?;
        if (self.len() + 1) * 4 > self.slots.len() * 3 {
            self.grow()?;
        }
        if self.starts.is_empty() {
            self.starts.try_reserve(1).ok()?;
            self.starts.push(0);
        }
        let start = self.text.len() as u64;
        if start >= 1 << 40 {
            return None;
        }
        self.text.try_reserve(s.len()).ok()?;
        self.starts.try_reserve(1).ok()?;
        self.text.push_str(s);
        self.starts.push(self.text.len() as u64);
        let slot = Slot {
            tag,
            sym1: id + 1,
            span: start << 24 | (s.len() as u64).min(LONG),
        };
        Self::place(&mut self.slots, slot);
        Some(Sym(id))
    }

    /// Puts `slot` in the first free slot from its home on.
    fn place(slots: &mut [Slot], slot: Slot) {
        let mask = slots.len() - 1;
        let mut i = Self::home(slot.tag, slots.len());
        while slots[i].sym1 != 0 {
            i = (i + 1) & mask;
        }
        slots[i] = slot;
    }

    /// Doubles the table (or makes the first one), re-placing the slots by their tags.
    fn grow(&mut self) -> Option<()> {
        let n = (self.slots.len() * 2).max(FIRST);
        if n > 1 << 32 {
            return None;
        }
        let mut slots = Vec::new();
        slots.try_reserve_exact(n).ok()?;
        slots.resize(n, Slot::default());
        for &slot in self.slots.iter().filter(|s| s.sym1 != 0) {
            Self::place(&mut slots, slot);
        }
        self.slots = slots;
        Some(())
    }
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interner")
            .field("symbols", &self.len())
            .field("full", &self.full)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_numbered_in_the_order_texts_are_first_met() {
        let mut i = Interner::new();
        assert!(i.is_empty());
        let a = i.intern("a");
        let b = i.intern("bb");
        assert_eq!((a, b), (Sym(0), Sym(1)));
        assert_eq!(i.intern("a"), a);
        assert_eq!(i.intern(""), Sym(2));
        assert_eq!(i.intern(""), Sym(2));
        assert_eq!(i.len(), 3);
        assert_eq!(
            (i.resolve(a), i.resolve(b), i.resolve(Sym(2))),
            ("a", "bb", "")
        );
        assert_eq!(i.get("bb"), Some(b));
        assert_eq!(i.get("b"), None);
        assert_eq!(i.get("bbb"), None);
    }

    #[test]
    fn a_hundred_thousand_texts_keep_their_symbols_as_the_table_grows() {
        let mut i = Interner::new();
        let text = |n: usize| format!("act-{n:07}");
        for n in 0..100_000 {
            assert_eq!(i.intern(&text(n)), Sym(n as u32));
        }
        for n in (0..100_000).rev() {
            assert_eq!(i.get(&text(n)), Some(Sym(n as u32)));
            assert_eq!(i.resolve(Sym(n as u32)), text(n));
        }
        // Prefixes and extensions of interned texts are other texts.
        assert_eq!(i.get("act-000001"), None);
        assert_eq!(i.get("act-00000011"), None);
        assert!(i.slots.len() * 3 >= i.len() * 4);
        assert!(i.memory_bytes() >= 100_000 * 11);
    }

    #[test]
    fn texts_of_any_length_and_any_characters() {
        let mut i = Interner::new();
        let long = "x".repeat(LONG as usize + 5);
        let longer = "x".repeat(LONG as usize + 6);
        let texts = ["\u{0}", "\u{0}\u{0}", "Müller", "🦀", &long, &longer, "x"];
        let syms: Vec<Sym> = texts.iter().map(|t| i.intern(t)).collect();
        for (t, s) in texts.iter().zip(&syms) {
            assert_eq!(i.get(t), Some(*s));
            assert_eq!(i.resolve(*s), *t);
        }
        assert_eq!(i.get(&"x".repeat(LONG as usize + 4)), None);
        assert_eq!(i.len(), texts.len());
    }

    #[test]
    fn a_clone_goes_its_own_way() {
        let mut i = Interner::new();
        let a = i.intern("a");
        let mut j = i.clone();
        assert_eq!(j.get("a"), Some(a));
        let b = j.intern("b");
        assert_eq!(i.get("b"), None);
        assert_eq!(i.intern("c"), b, "both number their next text alike");
        assert_eq!(j.resolve(b), "b");
        assert_eq!(i.resolve(b), "c");
    }
}
