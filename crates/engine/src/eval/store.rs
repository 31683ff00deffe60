//! Tuple storage for one relation: rows flattened into one vector of machine words, and
//! deduplication in two tables: tuples that pack into one word (the common case, see [`pack`])
//! in an open-addressing table of 12-byte slots, key and row ([`Packed`]), the others in one of
//! 16-byte slots placed by the tuple's hash ([`Wide`]). Beside it, hash indexes on the column
//! sets joins look up. The indexes are kept apart from the rows ([`Indexes`]) so that a rule
//! can append head tuples to a relation while it reads that relation's indexes: rows appended
//! in a round are invisible to joins until the round ends, so the reads never see them.
//!
//! Rows are only ever appended, so a row number is a stable name for a tuple, and the rows
//! of one semi-naive round form a contiguous range (see [`Store::stable`] and
//! [`Store::recent`]).

use std::hash::Hasher;

use hashbrown::HashTable;
use rustc_hash::FxHasher;

use super::rows::Rows;

pub(crate) use super::rows::Row;

#[inline]
pub(crate) fn hash_words(words: impl Iterator<Item = u64>) -> u64 {
    let mut h = FxHasher::default();
    for w in words {
        h.write_u64(w);
    }
    h.finish()
}

/// [`hash_words`] over a slice, unrolled for the short tuples that dominate.
#[inline]
pub(crate) fn hash_slice(words: &[u64]) -> u64 {
    let mut h = FxHasher::default();
    match *words {
        [a] => h.write_u64(a),
        [a, b] => {
            h.write_u64(a);
            h.write_u64(b);
        }
        _ => {
            for &w in words {
                h.write_u64(w);
            }
        }
    }
    h.finish()
}

pub(crate) struct Store {
    pub arity: usize,
    data: Vec<u64>,
    len: usize,
    /// Deduplication of the tuples that pack into one word ([`pack`]): the common case.
    packed: Packed,
    /// Deduplication of the others (arity three and more, words beyond 32 bits).
    wide: Wide,
    /// Rows `[0, stable)` were known before the previous round ("old").
    pub stable: usize,
    /// Rows `[stable, recent)` are the previous round's news ("delta"); rows from `recent` on
    /// were added in the current round and are not visible to joins until it ends.
    pub recent: usize,
    /// Provenance, when recorded: the rows each run of a rule added, as segments in row
    /// order ([`Store::record`]); rows before the first segment are input facts.
    pub prov: Option<Vec<Segment>>,
    /// The deduplication tables were let go ([`Store::drop_dedup`]): the relation is complete
    /// and no later stratum looks its tuples up whole. A lookup of a whole tuple then goes to
    /// `lookup`, made on first use.
    pub(super) dropped: bool,
    /// For a relation whose tables were let go: its rows by the hash of their tuple, 4 bytes
    /// a slot ([`RowTable`]), made when something (an explanation) first looks a tuple up.
    lookup: std::cell::OnceCell<RowTable>,
}

/// The rows of a complete relation placed by the hash of their tuple: open addressing with
/// linear probing over a power-of-two array of row numbers plus one (0: free), at most three
/// quarters full, the tuple compared in the row data. 5 to 11 bytes a row, against 16 to 32
/// for the deduplication tables it stands in for, at the price of reading the row to compare
/// (a second memory access): for the lookups of explanations, which are few.
struct RowTable {
    slots: Vec<u32>,
    /// `64 - log2(slots.len())`.
    shift: u32,
}

impl RowTable {
    /// The table of rows `0..rows` of `data`.
    fn new(data: &[u64], arity: usize, rows: usize) -> RowTable {
        debug_assert!(
            rows < u32::MAX as usize,
            "a relation holds fewer than 2^31 rows"
        );
        let cap = (rows * 4).div_ceil(3).next_power_of_two().max(8);
        let mut t = RowTable {
            slots: vec![0; cap],
            shift: 64 - cap.trailing_zeros(),
        };
        let mask = cap - 1;
        let row = |r: usize| &data[r * arity..(r + 1) * arity];
        for r in 0..rows {
            if r + PREFETCH_AHEAD < rows {
                let home = t.home(hash_slice(row(r + PREFETCH_AHEAD)));
                prefetch(t.slots.as_ptr().wrapping_add(home));
            }
            let mut i = t.home(hash_slice(row(r)));
            while t.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            t.slots[i] = r as u32 + 1;
        }
        t
    }

    #[inline(always)]
    fn home(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    /// The row of the tuple `word(i)` among `data`'s rows, if any.
    fn find(&self, data: &[u64], arity: usize, word: impl Fn(usize) -> u64) -> Option<Row> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(hash_words((0..arity).map(&word)));
        loop {
            let s = self.slots[i];
            if s == 0 {
                return None;
            }
            let base = (s - 1) as usize * arity;
            if (0..arity).all(|c| data[base + c] == word(c)) {
                return Some(s - 1);
            }
            i = (i + 1) & mask;
        }
    }

    fn memory_bytes(&self) -> usize {
        self.slots.capacity() * 4
    }
}

/// The free slot of a [`Packed`] table (so that a new table is zeroed memory, which the
/// allocator hands out without writing it).
const EMPTY: u64 = 0;

/// `n` free key slots. A large zeroed allocation is fresh pages from the kernel; a probe
/// reads a slot before it writes it, and reading a fresh page first maps the shared zero page,
/// so that the first write faults a second time. Writing one word per page first (the stored
/// value hidden from the optimiser, which would otherwise drop a store of zero into zeroed
/// memory) costs one fault per page.
fn free_keys(n: usize) -> Vec<PSlot> {
    // All zeros (`EMPTY`, value 0): the allocation comes zeroed from the allocator, no memset.
    let mut slots = vec![[0u32; 3]; n];
    for i in (0..n).step_by(4096 / std::mem::size_of::<PSlot>()) {
        slots[i][0] = std::hint::black_box(0);
    }
    slots
}

/// One slot of a [`Packed`] table, 12 bytes: the key (low and high half, [`EMPTY`] when free)
/// and its value side by side, so that a probe that finds the key has the value in the same
/// cache line (an index lookup reads the key's row, or the position of its rows). Plain `u32`s
/// so that a fresh table is zeroed memory from the allocator.
type PSlot = [u32; 3];

#[inline(always)]
fn slot_key(s: &PSlot) -> u64 {
    u64::from(s[0]) | u64::from(s[1]) << 32
}

#[inline(always)]
fn slot_of(key: u64, val: u32) -> PSlot {
    [key as u32, (key >> 32) as u32, val]
}

/// The key of the tuple given by `word(i)` in a [`Packed`] table, when the tuple packs into
/// one word: the empty tuple, a single word other than `u64::MAX`, or two words that both fit
/// in 32 bits (symbols, dates from 1970 on, numbers from 0 to 2^32 - 1) and are not both
/// `u32::MAX`. The key is the packed word plus one, so that it is never [`EMPTY`]. Whether a
/// tuple packs depends only on its words, so every tuple has one home.
#[inline(always)]
fn pack(word: impl Fn(usize) -> u64, arity: usize) -> Option<u64> {
    let k = match arity {
        0 => 0,
        1 => word(0),
        2 => {
            let (a, b) = (word(0), word(1));
            if (a | b) >> 32 != 0 {
                return None;
            }
            a << 32 | b
        }
        _ => return None,
    };
    k.checked_add(1)
}

/// A table from packed keys to 32-bit values: open addressing with linear probing over a
/// power-of-two array of 12-byte slots ([`PSlot`]: the key, [`EMPTY`] when free, and its
/// value). For deduplication the value is the row: a derivation that is already known, the
/// common case in a recursive rule, reads one slot. For an index the value is the key's row
/// when it has one, else the position of its list of rows (see [`Index`]).
///
/// Where a key starts its probe: a table of one-word keys (a relation of one column, an index
/// on one column) starts out *direct*: key `k` belongs at slot `k mod size`, so that keys
/// numbered one after the other (symbols are numbered as they are first met, and rows and
/// derivations mostly follow that order) sit in neighbouring slots and a loop meeting them
/// in order walks the table instead of jumping about it (at a million activities the
/// evaluation got 9 % to 14 % faster). Keys that crowd one stretch of slots (a stride that
/// shares many low bits, two ranges of numbers overlapping modulo the size) would make probes
/// long, so a direct table keeps every key within [`DIRECT_REACH`] slots of its home; a key
/// that would land farther switches the table to *hashed* placement (Fibonacci hashing, as
/// tables of other keys use from the start) once and for all. Because no key of a direct table
/// is farther than `reach` from its home, a lookup stops there: an absent key never walks a
/// long run of neighbouring keys.
struct Packed {
    /// Keys ([`EMPTY`] when free) with their value: the row (deduplication) or the list of
    /// rows (an index).
    keys: Vec<PSlot>,
    len: usize,
    /// `64 - log2(keys.len())`: the slot of a hashed key is the top bits of its hash.
    shift: u32,
    /// Direct placement (see above) rather than hashed.
    direct: bool,
    /// Direct placement: the farthest any key sits from its home slot (at most
    /// [`DIRECT_REACH`]).
    reach: usize,
}

/// How far from its home slot a key of a direct [`Packed`] table may sit: six cache lines of
/// slots. A key that would sit farther switches the table to hashed placement.
const DIRECT_REACH: usize = 32;

/// Asks the processor to start loading the cache line holding `*p` (a hint: no effect on
/// results, none where the target has no such instruction). A table that outgrows the caches
/// costs a memory access per probe; a loop that knows the keys it will probe a few iterations
/// ahead (building an index, growing a table) or a step that knows those of a whole batch of
/// bindings ([`BATCH`]) issues this for them first, so that those accesses overlap instead of
/// following one another.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing the program sees, whatever the
    // address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// [`prefetch`] of the `n` values from `p` on: the cache lines of the first byte and of the
/// last. A 12-byte slot, a row of three or six words or a list of rows can straddle two lines,
/// and a prefetch of the first line alone leaves the rest to a miss when it is read (a second
/// prefetch of a line already asked for costs next to nothing).
#[inline(always)]
pub(crate) fn prefetch_span<T>(p: *const T, n: usize) {
    prefetch(p);
    prefetch(p.wrapping_add(n).cast::<u8>().wrapping_sub(1));
}

/// How many rows ahead of the one it works on a loop that builds an index or grows a table
/// [`prefetch`]es: enough for the memory access to complete before the row comes up (a row's
/// work is some tens of nanoseconds, a miss to memory about a hundred), few enough that the
/// lines stay in the cache.
pub(crate) const PREFETCH_AHEAD: usize = 16;

/// How many bindings a plan's step works on at once (see [`super::exec`]): each step first
/// prefetches what every binding of the batch will look up, then looks them up, so that the
/// misses of a batch overlap instead of following one another. Enough bindings to keep the
/// memory system busy, few enough that what was prefetched for the first is still in the
/// cache when the last is done.
pub const BATCH: usize = 64;

/// A list of rows this long or shorter has its rows prefetched before a step reads any; a
/// longer list has the row this far ahead prefetched as the step goes through it.
pub const SHORT_LIST: usize = 8;

/// The size from which a table is worth [`prefetch`]ing for: about a core's L2 cache. A
/// smaller table stays in the caches while a loop probes it, and prefetching for it would
/// only cost instructions (a third more on the tc-anchor's small edge index).
pub(crate) const PREFETCH_MIN_BYTES: usize = 1 << 20;

/// The multiplier of Fibonacci hashing (2^64 / golden ratio): the top bits of `key * MUL`
/// depend on every bit of the key.
const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

const PACKED_MIN: usize = 8;

impl Packed {
    /// An empty table; `direct` for one-word keys (see [`Packed`]).
    fn new(direct: bool) -> Packed {
        Packed {
            keys: free_keys(PACKED_MIN),
            len: 0,
            shift: 64 - PACKED_MIN.trailing_zeros(),
            direct,
            reach: 0,
        }
    }

    /// The slot a probe of `key` starts at.
    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        if self.direct {
            key as usize & (self.keys.len() - 1)
        } else {
            (key.wrapping_mul(MUL) >> self.shift) as usize
        }
    }

    /// The slot holding `key`, or the free slot where it would go (for an insertion: the walk
    /// goes on to a free slot, however far).
    #[inline(always)]
    fn probe(&self, key: u64) -> Result<usize, usize> {
        let mask = self.keys.len() - 1;
        let mut i = self.home(key);
        loop {
            let k = slot_key(&self.keys[i]);
            if k == key {
                return Ok(i);
            }
            if k == EMPTY {
                return Err(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// The slot holding `key`, if any (for a lookup: in a direct table the walk ends `reach`
    /// slots from home).
    #[inline(always)]
    fn find_slot(&self, key: u64) -> Option<usize> {
        let mask = self.keys.len() - 1;
        let mut i = self.home(key);
        let mut left = if self.direct { self.reach } else { usize::MAX };
        loop {
            let k = slot_key(&self.keys[i]);
            if k == key {
                return Some(i);
            }
            if k == EMPTY || left == 0 {
                return None;
            }
            left -= 1;
            i = (i + 1) & mask;
        }
    }

    #[inline]
    fn find(&self, key: u64) -> Option<u32> {
        self.find_slot(key).map(|i| self.keys[i][2])
    }

    /// Starts loading the slot where a probe of `key` begins into the cache, so that the
    /// probe, made a little later, does not wait for memory (see [`prefetch`]).
    #[inline(always)]
    fn prefetch(&self, key: u64) {
        // The home slot and the next, where a probe that does not stop at home goes on.
        prefetch_span(self.keys.as_ptr().wrapping_add(self.home(key)), 2);
    }

    /// Puts `key` (absent, whose free slot is `slot`) with its value, growing the table to keep
    /// it at most half full.
    #[inline(always)]
    fn put(&mut self, key: u64, val: u32, mut slot: usize) {
        if (self.len + 1) * 2 > self.keys.len() {
            self.grow();
            slot = self.probe(key).expect_err("absent");
        }
        if self.direct {
            let d = self.distance(key, slot);
            if d > DIRECT_REACH {
                self.hash_instead();
                slot = self.probe(key).expect_err("absent");
            } else {
                self.reach = self.reach.max(d);
            }
        }
        self.keys[slot] = slot_of(key, val);
        self.len += 1;
    }

    /// How many slots past its home `slot` is, for `key`.
    #[inline(always)]
    fn distance(&self, key: u64, slot: usize) -> usize {
        slot.wrapping_sub(self.home(key)) & (self.keys.len() - 1)
    }

    /// Switches a direct table to hashed placement, placing every key again.
    #[cold]
    #[inline(never)]
    fn hash_instead(&mut self) {
        self.direct = false;
        let old = std::mem::take(&mut self.keys);
        self.rebuild(&old, old.len());
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        self.grow_to(self.keys.len() * 2);
    }

    /// Makes room for `keys` keys in all (the table at most half full then) in one growth,
    /// instead of doubling its way there.
    fn reserve(&mut self, keys: usize) {
        let cap = (keys * 2).next_power_of_two();
        if cap > self.keys.len() {
            self.grow_to(cap);
        }
    }

    /// Places the keys again in the smallest table that holds them at most three quarters
    /// full, when that is smaller than this one: for a table that takes no more keys (its
    /// relation complete), which then costs 16 to 32 bytes a key instead of 24 to 48.
    fn compact(&mut self) {
        let cap = (self.len * 4)
            .div_ceil(3)
            .next_power_of_two()
            .max(PACKED_MIN);
        if cap < self.keys.len() {
            self.grow_to(cap);
        }
    }

    /// Places every key again in a table of `cap` slots (a power of two, larger, or smaller
    /// when it still holds the keys at most three quarters full).
    fn grow_to(&mut self, cap: usize) {
        let old = std::mem::take(&mut self.keys);
        self.rebuild(&old, cap);
    }

    /// Places the keys of `old` (the slots of a table) into a fresh table of `cap` slots: by
    /// the table's placement, or hashed (for good) if a key would sit too far from its home
    /// in a direct one.
    fn rebuild(&mut self, old: &[PSlot], cap: usize) {
        self.shift = 64 - cap.trailing_zeros();
        self.keys = free_keys(cap);
        self.reach = 0;
        if !self.place(old) {
            self.direct = false;
            self.keys = free_keys(cap);
            self.reach = 0;
            let placed = self.place(old);
            debug_assert!(placed, "hashed placement always places");
        }
    }

    /// Places the keys of `old` (slots of a table, free ones included) into this empty
    /// table. In a direct table, returns `false` (leaving it part filled) as soon as a key
    /// would sit more than [`DIRECT_REACH`] slots from its home.
    fn place(&mut self, old: &[PSlot]) -> bool {
        for (j, s) in old.iter().enumerate() {
            // A hashed key lands at a random slot of the new table (a direct one near the
            // previous key's): the slot of the key some way ahead is loaded while this one is
            // placed.
            if let Some(ahead) = old.get(j + PREFETCH_AHEAD) {
                let k = slot_key(ahead);
                if k != EMPTY {
                    self.prefetch(k);
                }
            }
            let k = slot_key(s);
            if k != EMPTY {
                let slot = self.probe(k).expect_err("keys are distinct");
                if self.direct {
                    let d = self.distance(k, slot);
                    if d > DIRECT_REACH {
                        return false;
                    }
                    self.reach = self.reach.max(d);
                }
                self.keys[slot] = *s;
            }
        }
        true
    }

    fn memory_bytes(&self) -> usize {
        self.keys.capacity() * std::mem::size_of::<PSlot>()
    }

    /// Whether probes of this table are worth prefetching ([`PREFETCH_MIN_BYTES`]).
    #[inline]
    fn worth_prefetching(&self) -> bool {
        self.keys.len() * std::mem::size_of::<PSlot>() >= PREFETCH_MIN_BYTES
    }
}

/// A deduplication entry of the general table (tuples that do not pack, [`Wide`]), 16 bytes:
/// the first word of the tuple, the low half of the second, and the row. Tuples of arity up to
/// two whose second word fits in 32 bits are held entirely by the entry, so a lookup never
/// touches the row data; the others are marked [`WIDE`] and their remaining words compared in
/// the data. All zeros is a free slot.
#[derive(Clone, Copy)]
struct Slot {
    a: u64,
    b: u32,
    /// The row plus one (0: a free slot), with [`WIDE`] set when `a` and `b` do not hold the
    /// whole tuple.
    tag: u32,
}

/// Marks a [`Slot`] whose tuple is not held entirely inline. A relation therefore holds fewer
/// than 2^31 - 1 rows (at 16 GB of words for arity one, far beyond what evaluation is used
/// for).
const WIDE: u32 = 1 << 31;

impl Slot {
    #[inline]
    fn row(&self) -> Row {
        (self.tag & !WIDE) - 1
    }

    #[inline]
    fn is_free(&self) -> bool {
        self.tag == 0
    }
}

/// The table of tuples that do not pack ([`pack`]): open addressing with linear probing over a
/// power-of-two array of [`Slot`]s, a tuple's first slot given by the top bits of its hash,
/// kept at most half full. Like [`Packed`] (and unlike a general hash table) it can say where
/// a tuple's probe starts, so that a loop can [`prefetch`] it; and it grows by placing the
/// rows again in row order, hashing each from the row data read front to back, instead of
/// reading the tuple of each old slot at a random place in the data.
struct Wide {
    slots: Vec<Slot>,
    len: usize,
    /// `64 - log2(slots.len())`.
    shift: u32,
}

impl Wide {
    fn new() -> Wide {
        Wide {
            slots: Vec::new(),
            len: 0,
            shift: 64,
        }
    }

    /// The slot a probe of a tuple with hash `hash` starts at (the table is not empty).
    #[inline(always)]
    fn home(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    /// The slot holding the tuple with hash `hash` that `is` recognises, or the free slot where
    /// it belongs (the table is not empty).
    #[inline(always)]
    fn probe(&self, hash: u64, is: impl Fn(&Slot) -> bool) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(hash);
        loop {
            let s = &self.slots[i];
            if s.is_free() {
                return Err(i);
            }
            if is(s) {
                return Ok(i);
            }
            i = (i + 1) & mask;
        }
    }

    #[inline]
    fn find(&self, hash: u64, is: impl Fn(&Slot) -> bool) -> Option<Row> {
        if self.len == 0 {
            return None;
        }
        self.probe(hash, is).ok().map(|i| self.slots[i].row())
    }

    #[inline(always)]
    fn prefetch(&self, hash: u64) {
        if !self.slots.is_empty() {
            // The home slot and the next, as for a packed table.
            prefetch_span(self.slots.as_ptr().wrapping_add(self.home(hash)), 2);
        }
    }

    /// Whether probes of this table are worth prefetching ([`PREFETCH_MIN_BYTES`]).
    #[inline]
    fn worth_prefetching(&self) -> bool {
        self.slots.len() * std::mem::size_of::<Slot>() >= PREFETCH_MIN_BYTES
    }

    /// Whether one more tuple needs a larger table.
    #[inline(always)]
    fn full(&self) -> bool {
        (self.len + 1) * 2 > self.slots.len()
    }

    /// Places, in a table twice as large (at least 16 slots), the tuples of rows `0..rows` of
    /// `data` that do not pack: the rows are read in order and the slot of the row some way
    /// ahead is loaded while this one is placed.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, data: &[u64], arity: usize, rows: usize) {
        self.rebuild((self.slots.len() * 2).max(16), data, arity, rows);
    }

    /// [`Packed::compact`] for this table: rows `0..rows` of `data` placed again in the
    /// smallest table that holds them at most three quarters full, when that is smaller.
    fn compact(&mut self, data: &[u64], arity: usize, rows: usize) {
        let cap = (self.len * 4).div_ceil(3).next_power_of_two().max(16);
        if self.len > 0 && cap < self.slots.len() {
            self.rebuild(cap, data, arity, rows);
        }
    }

    /// Places the tuples of rows `0..rows` of `data` that do not pack in a fresh table of
    /// `cap` slots.
    fn rebuild(&mut self, cap: usize, data: &[u64], arity: usize, rows: usize) {
        self.slots = Vec::new();
        self.slots = vec![Slot { a: 0, b: 0, tag: 0 }; cap];
        self.shift = 64 - cap.trailing_zeros();
        let mask = cap - 1;
        let row = |r: usize| &data[r * arity..(r + 1) * arity];
        let packs = |t: &[u64]| pack(|i| t[i], arity).is_some();
        for r in 0..rows {
            if r + PREFETCH_AHEAD < rows {
                let t = row(r + PREFETCH_AHEAD);
                if !packs(t) {
                    self.prefetch(hash_slice(t));
                }
            }
            let t = row(r);
            if packs(t) {
                continue;
            }
            let (a, b, wide) = inline_key(|i| t[i], arity);
            let mut i = self.home(hash_slice(t));
            while !self.slots[i].is_free() {
                i = (i + 1) & mask;
            }
            self.slots[i] = Slot {
                a,
                b,
                tag: (r as u32 + 1) | wide,
            };
        }
    }

    fn memory_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
    }
}

/// The inline part of a tuple given by `word(i)`: (first word, low half of the second, WIDE
/// or 0).
#[inline]
fn inline_key(word: impl Fn(usize) -> u64, arity: usize) -> (u64, u32, u32) {
    let a = if arity > 0 { word(0) } else { 0 };
    let w1 = if arity > 1 { word(1) } else { 0 };
    let wide = arity > 2 || w1 > u64::from(u32::MAX);
    (a, w1 as u32, if wide { WIDE } else { 0 })
}

/// Whether `s` holds the tuple `word(i)` whose inline part is `key`.
#[inline]
fn slot_matches(
    s: &Slot,
    (a, b, wide): (u64, u32, u32),
    word: impl Fn(usize) -> u64,
    data: &[u64],
    arity: usize,
) -> bool {
    s.a == a
        && s.b == b
        && s.tag & WIDE == wide
        && (wide == 0 || {
            let base = s.row() as usize * arity;
            (1..arity).all(|i| data[base + i] == word(i))
        })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Prov {
    /// The rule that first derived the row, [`INPUT_RULE`] for an input fact.
    pub rule: u32,
    /// The evaluation round that derived it (0 for input facts; rounds are numbered across
    /// strata, so a row's premises always come from lower rounds).
    pub round: u32,
}

/// Rows `first..` (up to the next segment) were added by one run of a rule in one round.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment {
    first: Row,
    prov: Prov,
}

pub(crate) const INPUT_RULE: u32 = u32::MAX;

/// The first and the last column a read takes from a row (for [`Store::prefetch_row`]).
pub type Cols = (usize, usize);

/// The indexes of every relation, by relation number.
pub(crate) type Indexes = Vec<Vec<Index>>;

/// A hash index on some columns: key -> rows with that key, in row order.
pub(crate) struct Index {
    pub cols: Vec<usize>,
    /// Keys that pack into one word ([`pack`]: one or two columns, the common case) -> their
    /// row when they have one (most keys of the knowledge base's indexes: an activity, a
    /// consent), so that a lookup reads one slot; or [`LIST`] and the position of their rows
    /// in `lists`.
    packed: Packed,
    /// The rows of each key in `packed` that has more than one (empty once flattened).
    lists: Vec<Rows>,
    /// The lists of a complete relation's index flattened ([`Index::flatten`]): list `i` is
    /// `flat[starts[i]..starts[i + 1]]`, 4 bytes a row instead of 32 bytes a list and more.
    /// Empty before.
    flat: Vec<Row>,
    starts: Vec<u32>,
    /// The other keys.
    table: HashTable<Entry>,
    /// Rows `[0, upto)` are indexed.
    upto: usize,
}

/// How many rows of a large batch [`Index::extend`] indexes before it estimates how many keys
/// the rest will bring.
const SAMPLE_ROWS: usize = 1024;

/// Marks the value of an index's [`Packed`] slot that is the position of a list of rows in
/// `lists`, not the key's single row (rows are below 2^31, see [`WIDE`]).
const LIST: u32 = 1 << 31;

/// One key of an index: its hash, its first word (so that single-column keys, the common
/// case, are compared without touching the row data) and its rows.
struct Entry {
    hash: u64,
    first: u64,
    rows: Rows,
}

impl Store {
    pub fn new(arity: usize, provenance: bool) -> Store {
        Store {
            arity,
            data: Vec::new(),
            len: 0,
            packed: Packed::new(arity == 1),
            wide: Wide::new(),
            stable: 0,
            recent: 0,
            prov: provenance.then(Vec::new),
            dropped: false,
            lookup: std::cell::OnceCell::new(),
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn row(&self, r: usize) -> &[u64] {
        &self.data[r * self.arity..(r + 1) * self.arity]
    }

    #[inline]
    pub fn get(&self, r: usize, col: usize) -> u64 {
        self.data[r * self.arity + col]
    }

    /// Starts loading the deduplication slot of `tuple` into the cache, for a
    /// [`Store::find_with`] of it a little later (see [`prefetch`]).
    #[inline(always)]
    pub fn prefetch(&self, tuple: &[u64]) {
        match pack(|i| tuple[i], tuple.len()) {
            Some(k) => self.packed.prefetch(k),
            None => self.wide.prefetch(hash_slice(tuple)),
        }
    }

    /// Whether probes of this relation's tuples are worth prefetching: one of its tables of
    /// tuples is larger than [`PREFETCH_MIN_BYTES`].
    #[inline]
    pub fn worth_prefetching(&self) -> bool {
        self.packed.worth_prefetching() || self.wide.worth_prefetching()
    }

    /// Whether this relation's rows are worth prefetching: they take more than
    /// [`PREFETCH_MIN_BYTES`].
    #[inline]
    pub fn rows_worth_prefetching(&self) -> bool {
        self.data.len() * 8 >= PREFETCH_MIN_BYTES
    }

    /// Starts loading the columns `cols` (the first and the last that will be read) of row `r`
    /// into the cache (see [`prefetch`]): of a row of six words, a read of one column needs
    /// one of the two cache lines the row may straddle.
    #[inline(always)]
    pub fn prefetch_row(&self, r: usize, cols: Cols) {
        prefetch_span(
            self.data.as_ptr().wrapping_add(r * self.arity + cols.0),
            cols.1 + 1 - cols.0,
        );
    }

    /// Number of distinct values in column `col` (for join-order estimates).
    ///
    /// Most columns hold symbols, numbered densely as they are met, or dates: their values
    /// span a range not much wider than the column is long. Those are counted in a bitmap of
    /// that range (a bit per value, at most eight bytes per row, so about the size of the
    /// column itself), which a scan sets mostly in order; a hash set of a million values
    /// misses the cache on nearly every insertion and made the interpreter's planning grow
    /// faster than the data. Other columns (numbers far apart, negative ones) use a hash set.
    pub fn distinct(&self, col: usize) -> usize {
        let column = || (0..self.len()).map(move |r| self.get(r, col));
        let (Some(lo), Some(hi)) = (column().min(), column().max()) else {
            return 0;
        };
        let span = hi - lo;
        if span
            <= (self.len() as u64)
                .saturating_mul(64)
                .saturating_add(1 << 16)
        {
            let mut bits = vec![0u64; (span / 64 + 1) as usize];
            let mut n = 0;
            for v in column() {
                let i = v - lo;
                let (w, m) = (&mut bits[(i / 64) as usize], 1u64 << (i % 64));
                n += usize::from(*w & m == 0);
                *w |= m;
            }
            return n;
        }
        let mut seen = rustc_hash::FxHashSet::default();
        seen.extend(column());
        seen.len()
    }

    /// Row number of the tuple whose words are produced by `word(i)`, if present, without
    /// materialising it.
    #[inline]
    pub fn find_with(&self, word: impl Fn(usize) -> u64) -> Option<Row> {
        let ar = self.arity;
        if self.dropped {
            return self.find_dropped(&word);
        }
        if let Some(k) = pack(&word, ar) {
            return self.packed.find(k);
        }
        let hash = hash_words((0..ar).map(&word));
        let key = inline_key(&word, ar);
        self.wide
            .find(hash, |s| slot_matches(s, key, &word, &self.data, ar))
    }

    /// [`Store::find_with`] in a relation whose deduplication tables were let go: in its
    /// [`RowTable`], made on the first lookup.
    #[cold]
    #[inline(never)]
    fn find_dropped(&self, word: &dyn Fn(usize) -> u64) -> Option<Row> {
        self.lookup
            .get_or_init(|| RowTable::new(&self.data, self.arity, self.len))
            .find(&self.data, self.arity, word)
    }

    /// Lets go of the deduplication tables of a complete relation whose tuples no later
    /// stratum looks up whole (they are most of an evaluation's memory at a million
    /// activities): lookups of whole tuples (explanations) go to a [`RowTable`] made when
    /// first needed. Rows added all the same (nothing does, but it costs nothing to be
    /// right) bring the tables back first.
    pub fn drop_dedup(&mut self) {
        if self.dropped {
            return;
        }
        self.dropped = true;
        self.packed = Packed::new(self.arity == 1);
        self.wide = Wide::new();
    }

    /// Undoes [`Store::drop_dedup`]: the tables made again from the rows.
    #[cold]
    #[inline(never)]
    fn restore_dedup(&mut self) {
        self.dropped = false;
        self.lookup = std::cell::OnceCell::new();
        let ar = self.arity;
        let mut wide = 0;
        self.packed.reserve(self.len);
        for r in 0..self.len {
            let t = &self.data[r * ar..(r + 1) * ar];
            match pack(|i| t[i], ar) {
                Some(k) => {
                    let slot = self.packed.probe(k).expect_err("rows are distinct");
                    self.packed.put(k, r as Row, slot);
                }
                None => wide += 1,
            }
        }
        if wide > 0 {
            self.wide.len = wide;
            let cap = (wide * 2).next_power_of_two().max(16);
            self.wide.rebuild(cap, &self.data, ar, self.len);
        }
    }

    /// Appends `tuple` unless present; returns its row when it was new. The tuple is hashed
    /// once.
    ///
    /// Inlined into the join loops: checking a tuple that packs and is already known (most
    /// derivations of a recursive rule) is a few instructions; adding it is out of line.
    #[inline(always)]
    pub fn insert(&mut self, tuple: &[u64]) -> Option<Row> {
        debug_assert_eq!(tuple.len(), self.arity);
        // The tuple's length, not `arity`: a caller with a fixed-size tuple gets the packing
        // for its arity compiled in.
        match pack(|i| tuple[i], tuple.len()) {
            Some(k) => {
                let slot = self.packed.probe(k).err()?;
                self.insert_packed(k, slot, tuple)
            }
            None => self.insert_wide(tuple).ok(),
        }
    }

    /// Records, with provenance, that the rows from `first` on (if any) were added by `rule`
    /// in `round`. The evaluation calls it after each run of a plan: rows are only ever
    /// appended, and a plan's head tuples are appended to its head relation as it finds
    /// them, so the rows one run adds are contiguous. A tuple derived again (by a later plan
    /// or round) keeps its row, so its provenance is the first plan (in plan order) that
    /// derived it in the first round it was derived in, whatever order a join finds its
    /// derivations in, and the interpreter and generated code (whose join orders may differ)
    /// record the same provenance. A derivation costs nothing more than without provenance;
    /// heights are computed by [`crate::explain`] when asked.
    pub fn record(&mut self, first: usize, rule: u32, round: u32) {
        if let Some(segs) = &mut self.prov {
            if self.len > first {
                segs.push(Segment {
                    first: first as Row,
                    prov: Prov { rule, round },
                });
            }
        }
    }

    /// The recorded provenance of row `r`, when provenance is recorded.
    #[inline]
    pub fn prov(&self, r: usize) -> Option<Prov> {
        let segs = self.prov.as_ref()?;
        Some(match segs.partition_point(|s| s.first as usize <= r) {
            0 => Prov {
                rule: INPUT_RULE,
                round: 0,
            },
            i => segs[i - 1].prov,
        })
    }

    /// [`Store::insert`] of a tuple that packs into `k`, new to the packed table, whose free
    /// slot is `slot` (in a relation whose tables were let go, the tables first).
    #[inline(never)]
    fn insert_packed(&mut self, k: u64, mut slot: usize, tuple: &[u64]) -> Option<Row> {
        if self.dropped {
            self.restore_dedup();
            slot = self.packed.probe(k).err()?;
        }
        let row = self.len as Row;
        self.packed.put(k, row, slot);
        self.append(tuple);
        Some(row)
    }

    /// [`Store::insert`] of a tuple that does not pack: `Ok(its new row)`, or `Err(the row that
    /// holds it)`.
    #[inline(never)]
    fn insert_wide(&mut self, tuple: &[u64]) -> Result<Row, Row> {
        if self.dropped {
            self.restore_dedup();
        }
        let ar = self.arity;
        let hash = hash_slice(tuple);
        let key = inline_key(|i| tuple[i], ar);
        if self.wide.full() {
            self.wide.grow(&self.data, ar, self.len);
        }
        let data = &self.data;
        let slot = match self
            .wide
            .probe(hash, |s| slot_matches(s, key, |i| tuple[i], data, ar))
        {
            Ok(i) => return Err(self.wide.slots[i].row()),
            Err(i) => i,
        };
        let row = self.len as Row;
        debug_assert!(row + 1 < WIDE, "a relation holds fewer than 2^31 - 1 rows");
        self.wide.slots[slot] = Slot {
            a: key.0,
            b: key.1,
            tag: (row + 1) | key.2,
        };
        self.wide.len += 1;
        self.append(tuple);
        Ok(row)
    }

    /// Appends a new row.
    #[inline(always)]
    fn append(&mut self, tuple: &[u64]) {
        debug_assert!(
            self.len < WIDE as usize,
            "a relation holds fewer than 2^31 rows"
        );
        match *tuple {
            [a] => self.data.push(a),
            [a, b] => {
                self.data.push(a);
                self.data.push(b);
            }
            _ => self.data.extend_from_slice(tuple),
        }
        self.len += 1;
    }

    /// The index on exactly `cols` among this relation's `indexes`, created (and filled up to
    /// `recent`) if missing.
    pub fn ensure_index(&self, indexes: &mut Vec<Index>, cols: &[usize]) -> usize {
        if let Some(i) = indexes.iter().position(|ix| ix.cols == cols) {
            return i;
        }
        let mut ix = Index {
            cols: cols.to_vec(),
            packed: Packed::new(cols.len() == 1),
            lists: Vec::new(),
            flat: Vec::new(),
            starts: Vec::new(),
            table: HashTable::new(),
            upto: 0,
        };
        ix.extend(&self.data, self.arity, self.recent);
        indexes.push(ix);
        indexes.len() - 1
    }

    /// Ends a semi-naive round: last round's news become old, this round's become news, and
    /// the relation's `indexes` take them in. Returns whether the round added anything.
    pub fn advance(&mut self, indexes: &mut [Index]) -> bool {
        self.stable = self.recent;
        self.recent = self.len;
        for ix in indexes {
            ix.extend(&self.data, self.arity, self.recent);
        }
        self.stable != self.recent
    }

    /// Shrinks the deduplication tables of a relation that takes no more rows, and its
    /// `indexes`' tables, to at most three quarters full (see [`Packed::compact`]); lookups
    /// find the same rows. For a relation that does take more, the tables grow again.
    pub fn compact(&mut self, indexes: &mut [Index]) {
        self.packed.compact();
        self.wide.compact(&self.data, self.arity, self.len);
        if let Some(p) = &mut self.prov {
            p.shrink_to_fit();
        }
        for ix in indexes {
            ix.packed.compact();
            ix.flatten();
        }
    }

    /// Makes every row visible (outside semi-naive rounds, e.g. after loading facts).
    pub fn publish_all(&mut self, indexes: &mut [Index]) {
        self.stable = 0;
        self.recent = self.len;
        for ix in indexes {
            ix.extend(&self.data, self.arity, self.recent);
        }
    }

    /// Bytes of the rows written (of [`Store::memory_bytes`]' capacity, the part in use), of
    /// the deduplication tables, and of the provenance segments.
    pub fn memory_parts(&self) -> (usize, usize, usize) {
        (
            self.data.len() * 8,
            self.dedup_bytes(),
            self.prov
                .as_ref()
                .map_or(0, |p| p.capacity() * std::mem::size_of::<Segment>()),
        )
    }

    /// Bytes of the deduplication tables, or of the [`RowTable`] standing in for them.
    fn dedup_bytes(&self) -> usize {
        self.packed.memory_bytes()
            + self.wide.memory_bytes()
            + self.lookup.get().map_or(0, RowTable::memory_bytes)
    }

    pub fn memory_bytes(&self) -> usize {
        self.data.capacity() * 8
            + self.dedup_bytes()
            + self
                .prov
                .as_ref()
                .map_or(0, |p| p.capacity() * std::mem::size_of::<Segment>())
    }
}

impl Index {
    /// [`Index::memory_bytes`] without the lists of rows on the heap: constant time, for the
    /// evaluation's limits, which ask after every run of a rule.
    pub fn approx_memory_bytes(&self) -> usize {
        self.packed.memory_bytes()
            + self.lists.capacity() * std::mem::size_of::<Rows>()
            + (self.flat.capacity() + self.starts.capacity()) * 4
            + self.table.capacity() * std::mem::size_of::<Entry>()
    }

    pub fn memory_bytes(&self) -> usize {
        self.packed.memory_bytes()
            + self.lists.capacity() * std::mem::size_of::<Rows>()
            + self.lists.iter().map(Rows::heap_bytes).sum::<usize>()
            + (self.flat.capacity() + self.starts.capacity()) * 4
            + self.table.capacity() * std::mem::size_of::<Entry>()
            + self
                .table
                .iter()
                .map(|e| e.rows.heap_bytes())
                .sum::<usize>()
    }

    fn extend(&mut self, data: &[u64], arity: usize, upto: usize) {
        // A large batch of rows (an input relation, a stratum's output) would make the table
        // double its way up, placing every key again each time: its first rows tell how many
        // keys a row brings, and the table grows once to hold the expected keys of the rest.
        let from = self.upto;
        if upto.saturating_sub(from) >= 4 * SAMPLE_ROWS {
            let keys = self.packed.len;
            self.extend_rows(data, arity, from + SAMPLE_ROWS);
            let new = (self.packed.len - keys) as f64 / SAMPLE_ROWS as f64;
            self.packed
                .reserve(self.packed.len + (new * (upto - self.upto) as f64) as usize);
        }
        self.extend_rows(data, arity, upto);
    }

    fn extend_rows(&mut self, data: &[u64], arity: usize, upto: usize) {
        if upto > self.upto && !self.starts.is_empty() {
            self.unflatten();
        }
        let mut key = vec![0; self.cols.len()];
        let cols = &self.cols;
        // The packed key of row `r`, if it packs.
        let packed_key = |r: usize| pack(|i| data[r * arity + cols[i]], cols.len());
        for r in self.upto..upto {
            // The rows are known in advance: the slot of a row some way ahead is loaded while
            // this one is inserted (a table that outgrows the caches otherwise waits for
            // memory on every row).
            if r + PREFETCH_AHEAD < upto {
                if let Some(k) = packed_key(r + PREFETCH_AHEAD) {
                    self.packed.prefetch(k);
                }
            }
            if let Some(k) = packed_key(r) {
                match self.packed.probe(k) {
                    Ok(slot) => {
                        let v = &mut self.packed.keys[slot][2];
                        if *v & LIST == 0 {
                            // The key's second row: its rows move to a list.
                            let mut rows = Rows::one(*v);
                            rows.push(r as Row);
                            *v = LIST | self.lists.len() as u32;
                            self.lists.push(rows);
                        } else {
                            self.lists[(*v & !LIST) as usize].push(r as Row);
                        }
                    }
                    Err(slot) => {
                        debug_assert!(r < LIST as usize, "a relation holds fewer than 2^31 rows");
                        self.packed.put(k, r as Row, slot);
                    }
                }
                continue;
            }
            let base = r * arity;
            for (k, &c) in key.iter_mut().zip(&self.cols) {
                *k = data[base + c];
            }
            let hash = hash_slice(&key);
            match self.table.find_mut(hash, |e| {
                Index::matches(e, hash, &key, &self.cols, data, arity)
            }) {
                Some(e) => e.rows.push(r as Row),
                None => {
                    self.table.insert_unique(
                        hash,
                        Entry {
                            hash,
                            first: key.first().copied().unwrap_or(0),
                            rows: Rows::one(r as Row),
                        },
                        |e| e.hash,
                    );
                }
            }
        }
        self.upto = self.upto.max(upto);
    }

    /// Whether entry `e` holds `key` (whose hash is `hash`).
    #[inline(always)]
    fn matches(
        e: &Entry,
        hash: u64,
        key: &[u64],
        cols: &[usize],
        data: &[u64],
        arity: usize,
    ) -> bool {
        if e.hash != hash || key.first().is_some_and(|&k| k != e.first) {
            return false;
        }
        let rep = e.rows.as_slice()[0] as usize * arity;
        cols.iter()
            .zip(key)
            .skip(1)
            .all(|(&c, &k)| data[rep + c] == k)
    }

    /// Rows whose key columns (`cols`, in order) equal `key`.
    #[inline(always)]
    pub fn lookup<'a>(&'a self, store: &Store, key: &[u64]) -> &'a [Row] {
        debug_assert_eq!(key.len(), self.cols.len());
        if let Some(k) = pack(|i| key[i], key.len()) {
            return match self.packed.find_slot(k) {
                Some(slot) => {
                    let v = &self.packed.keys[slot][2];
                    if *v & LIST == 0 {
                        std::slice::from_ref(v)
                    } else {
                        self.list((*v & !LIST) as usize)
                    }
                }
                None => &[],
            };
        }
        self.lookup_wide(store, key)
    }

    /// Starts loading the slot of `key` into the cache, for a [`Index::lookup`] of it a little
    /// later (see [`prefetch`]). Only keys that pack.
    #[inline(always)]
    pub fn prefetch(&self, key: &[u64]) {
        if let Some(k) = pack(|i| key[i], key.len()) {
            self.packed.prefetch(k);
        }
    }

    /// Whether a key of this index may have more than one row: one that packs has a list, or
    /// some key does not pack (those keep a list each). When not, no lookup finds a list of
    /// rows to prefetch.
    #[inline]
    pub fn has_lists(&self) -> bool {
        !self.lists.is_empty() || !self.starts.is_empty() || !self.table.is_empty()
    }

    /// Whether lookups in this index are worth prefetching: its table of keys that pack is
    /// larger than [`PREFETCH_MIN_BYTES`].
    #[inline]
    pub fn worth_prefetching(&self) -> bool {
        self.packed.worth_prefetching()
    }

    /// Starts loading what a lookup of `key` will read after its slot: the columns `cols` of
    /// the key's row in `store` (the relation indexed) when it has one, the list of its rows
    /// when it has more. Meant for a key whose slot was prefetched a few rows before
    /// ([`Index::prefetch`]), so that reading the slot here does not wait. Only keys that pack.
    #[inline(always)]
    pub fn prefetch_rows(&self, store: &Store, key: &[u64], cols: Cols) {
        if let Some(k) = pack(|i| key[i], key.len()) {
            if let Some(slot) = self.packed.find_slot(k) {
                let v = self.packed.keys[slot][2];
                if v & LIST == 0 {
                    store.prefetch_row(v as usize, cols);
                } else {
                    self.prefetch_list_at((v & !LIST) as usize);
                }
            }
        }
    }

    /// [`Index::prefetch_rows`] for a read that only counts the rows of `key` and reads none:
    /// the list of rows when the key has several, nothing when it has one (its slot holds it).
    #[inline(always)]
    pub fn prefetch_list(&self, key: &[u64]) {
        if let Some(k) = pack(|i| key[i], key.len()) {
            if let Some(slot) = self.packed.find_slot(k) {
                let v = self.packed.keys[slot][2];
                if v & LIST != 0 {
                    self.prefetch_list_at((v & !LIST) as usize);
                }
            }
        }
    }

    /// The rows of list `i`.
    #[inline(always)]
    fn list(&self, i: usize) -> &[Row] {
        if self.starts.is_empty() {
            self.lists[i].as_slice()
        } else {
            &self.flat[self.starts[i] as usize..self.starts[i + 1] as usize]
        }
    }

    /// [`prefetch`] of what list `i` is read from.
    #[inline(always)]
    fn prefetch_list_at(&self, i: usize) {
        if self.starts.is_empty() {
            prefetch_span(self.lists.as_ptr().wrapping_add(i), 1);
        } else {
            prefetch_span(self.starts.as_ptr().wrapping_add(i), 2);
        }
    }

    /// Puts the lists of rows one after the other in one vector (for the index of a relation
    /// that takes no more rows; the same rows in the same order are looked up).
    fn flatten(&mut self) {
        if self.lists.is_empty() {
            return;
        }
        let total: usize = self.lists.iter().map(|l| l.as_slice().len()).sum();
        let mut flat = Vec::with_capacity(total);
        let mut starts = Vec::with_capacity(self.lists.len() + 1);
        for l in &self.lists {
            starts.push(flat.len() as u32);
            flat.extend_from_slice(l.as_slice());
        }
        starts.push(flat.len() as u32);
        self.lists = Vec::new();
        self.flat = flat;
        self.starts = starts;
    }

    /// Undoes [`Index::flatten`], for rows added after all.
    #[cold]
    #[inline(never)]
    fn unflatten(&mut self) {
        let mut lists = Vec::with_capacity(self.starts.len() - 1);
        for w in self.starts.windows(2) {
            let rows = &self.flat[w[0] as usize..w[1] as usize];
            let mut l = Rows::one(rows[0]);
            for &r in &rows[1..] {
                l.push(r);
            }
            lists.push(l);
        }
        self.lists = lists;
        self.flat = Vec::new();
        self.starts = Vec::new();
    }

    /// [`Index::lookup`] of a key that does not pack.
    #[inline(never)]
    fn lookup_wide<'a>(&'a self, store: &Store, key: &[u64]) -> &'a [Row] {
        let hash = hash_slice(key);
        match self.table.find(hash, |e| {
            Index::matches(e, hash, key, &self.cols, &store.data, store.arity)
        }) {
            Some(e) => e.rows.as_slice(),
            None => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::plan::Range;
    use super::*;

    #[test]
    fn dedup_rounds_and_indexes() {
        let mut s = Store::new(2, true);
        assert_eq!(s.insert(&[1, 2]), Some(0));
        assert_eq!(s.insert(&[1, 3]), Some(1));
        assert_eq!(s.insert(&[1, 2]), None);
        let mut ixs = Vec::new();
        s.publish_all(&mut ixs);
        let ix = s.ensure_index(&mut ixs, &[0]);
        assert_eq!(s.ensure_index(&mut ixs, &[0]), ix);
        assert_eq!(ixs[ix].lookup(&s, &[1]), &[0, 1]);
        assert_eq!(ixs[ix].lookup(&s, &[2]), &[] as &[Row]);
        // A row added in a round is invisible to indexes until the round ends.
        assert_eq!(s.insert(&[1, 4]), Some(2));
        assert_eq!(s.insert(&[1, 4]), None);
        assert_eq!(ixs[ix].lookup(&s, &[1]).len(), 2);
        assert!(s.advance(&mut ixs));
        assert_eq!(ixs[ix].lookup(&s, &[1]), &[0, 1, 2]);
        assert_eq!((s.stable, s.recent), (2, 3));
        assert!(!s.advance(&mut ixs));
        assert_eq!(s.find_with(|i| [1, 4][i]), Some(2));
        assert_eq!(s.find_with(|i| [1, 3][i]), Some(1));
    }

    #[test]
    fn segments_record_the_first_run_that_added_a_row() {
        let input = Prov {
            rule: INPUT_RULE,
            round: 0,
        };
        // Tuples that pack and tuples that do not (a word beyond 32 bits).
        for wide in [0, 1u64 << 40] {
            let mut s = Store::new(2, true);
            s.insert(&[1, wide]);
            s.publish_all(&mut []);
            // Round 4: rule 3 adds two rows, rule 5 one and derives one of rule 3's again.
            let first = s.len();
            s.insert(&[7, wide]);
            s.insert(&[8, wide]);
            s.record(first, 3, 4);
            let first = s.len();
            s.insert(&[7, wide]);
            s.insert(&[9, wide]);
            s.record(first, 5, 4);
            // A run that adds nothing leaves no segment.
            let first = s.len();
            s.insert(&[8, wide]);
            s.record(first, 6, 4);
            s.advance(&mut []);
            // Round 5: rule 1.
            let first = s.len();
            s.insert(&[7, wide]);
            s.insert(&[10, wide]);
            s.record(first, 1, 5);
            let got: Vec<Option<Prov>> = (0..s.len()).map(|r| s.prov(r)).collect();
            let p = |rule, round| Some(Prov { rule, round });
            assert_eq!(
                got,
                [Some(input), p(3, 4), p(3, 4), p(5, 4), p(1, 5)],
                "wide: {wide}"
            );
            assert_eq!(s.prov.as_ref().map(Vec::len), Some(3));
        }
        // Without provenance nothing is recorded, and tuples are stored all the same.
        let mut q = Store::new(1, false);
        q.insert(&[1]);
        q.record(0, 2, 1);
        assert_eq!((q.len(), q.prov(0), q.prov.is_none()), (1, None, true));
    }

    #[test]
    fn a_large_batch_sizes_the_index_from_its_first_rows() {
        // 20,000 rows, three per key (the estimate from the first rows), then a second batch
        // of rows with new keys only: every lookup finds its rows, and the table is sized for
        // the keys, not for the rows.
        let mut s = Store::new(2, false);
        for r in 0..20_000u64 {
            s.insert(&[r / 3, r]);
        }
        let mut ixs = Vec::new();
        s.publish_all(&mut ixs);
        let ix = s.ensure_index(&mut ixs, &[0]);
        let keys = 20_000usize.div_ceil(3);
        assert_eq!(ixs[ix].packed.len, keys);
        assert!(
            ixs[ix].packed.keys.len() <= 4 * keys,
            "{}",
            ixs[ix].packed.keys.len()
        );
        for k in (0..keys as u64).step_by(97) {
            let rows: Vec<Row> = (3 * k..(3 * k + 3).min(20_000)).map(|r| r as Row).collect();
            assert_eq!(ixs[ix].lookup(&s, &[k]), &rows[..]);
        }
        for r in 0..10_000u64 {
            s.insert(&[100_000 + r, r]);
        }
        s.advance(&mut ixs);
        assert_eq!(ixs[ix].packed.len, keys + 10_000);
        assert_eq!(ixs[ix].lookup(&s, &[100_000 + 9_999]), &[29_999]);
        assert_eq!(ixs[ix].lookup(&s, &[5]), &[15, 16, 17]);
    }

    #[test]
    fn the_wide_table_grows_from_the_rows_and_keeps_every_tuple() {
        // Arity two with tuples that pack and tuples that do not (a second word beyond 32
        // bits) in one relation, and arity three (none packs): through many growths, every
        // tuple keeps its row and a second insertion finds it.
        for ar in [2, 3] {
            let mut s = Store::new(ar, false);
            let t = |i: u64| {
                let w1 = if i % 2 == 0 { i } else { (1 << 40) + i };
                [i / 3, w1, i % 7][..ar].to_vec()
            };
            for i in 0..5000 {
                assert_eq!(s.insert(&t(i)), Some(i as Row), "arity {ar}, tuple {i}");
            }
            for i in (0..5000).rev() {
                assert_eq!(s.insert(&t(i)), None, "arity {ar}, tuple {i} again");
                assert_eq!(s.find_with(|c| t(i)[c]), Some(i as Row));
            }
            assert_eq!(s.find_with(|c| [9999, 1 << 41, 0][c]), None);
            assert_eq!(s.len(), 5000);
            // Half the tuples of arity two pack: the wide table holds only the others.
            let wide = if ar == 2 { 2500 } else { 5000 };
            assert_eq!(s.wide.len, wide);
            assert!(s.wide.slots.len() >= 2 * wide);
        }
    }

    #[test]
    fn wide_tuples_are_compared_in_the_data() {
        // Second words beyond 32 bits, negative numbers and a third column are not held
        // inline; tuples that agree inline must still be told apart.
        let big = 1u64 << 40;
        let neg = (-3i64) as u64;
        for ar in [2, 3] {
            let mut s = Store::new(ar, false);
            let t = |w1: u64, w2: u64| [5, w1, w2][..ar].to_vec();
            assert_eq!(s.insert(&t(big + 7, 1)), Some(0));
            assert_eq!(s.insert(&t(7, 1)), Some(1));
            assert_eq!(s.insert(&t(neg, 1)), Some(2));
            assert_eq!(s.insert(&t(big + 7, 1)), None);
            assert_eq!(s.insert(&t(7, 1)), None);
            assert_eq!(s.insert(&t(neg, 1)), None);
            assert_eq!(s.find_with(|i| t(7, 1)[i]), Some(1));
            assert_eq!(s.find_with(|i| t(big + 7, 1)[i]), Some(0));
            assert_eq!(s.find_with(|i| t(big + 8, 1)[i]), None);
            if ar == 3 {
                assert_eq!(s.insert(&t(7, 2)), Some(3));
                assert_eq!(s.find_with(|i| t(7, 2)[i]), Some(3));
            }
            // Growing the table rehashes every kind of slot correctly.
            for n in 0..1000u64 {
                s.insert(&t(n << 33, n));
            }
            assert_eq!(s.find_with(|i| t(big + 7, 1)[i]), Some(0));
            assert!(s.find_with(|i| t(999 << 33, 999)[i]).is_some());
        }
    }

    /// Words on both sides of every boundary of the packed representation: small, the top of
    /// 32 bits, just beyond it, negative numbers and the all-ones word.
    const EDGE_WORDS: [u64; 10] = [
        0,
        1,
        2,
        u32::MAX as u64 - 1,
        u32::MAX as u64,
        1 << 32,
        (1 << 32) + 1,
        u64::MAX - 1,
        u64::MAX,
        i64::MIN as u64,
    ];

    /// A deterministic stream of words drawn from [`EDGE_WORDS`].
    fn words(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            EDGE_WORDS[(x >> 33) as usize % EDGE_WORDS.len()]
        }
    }

    #[test]
    fn every_tuple_has_one_home_at_every_arity() {
        // Against a plain map: tuples that pack and tuples that do not, mixed in one relation,
        // at arity 0 to 3, across growth of both tables and across rounds of the indexes.
        for ar in 0..=3 {
            let mut s = Store::new(ar, true);
            let mut reference: std::collections::HashMap<Vec<u64>, Row> = Default::default();
            let mut next = words(ar as u64 + 1);
            let mut ixs = Vec::new();
            let col_sets: Vec<Vec<usize>> = match ar {
                0 => vec![],
                1 => vec![vec![0]],
                2 => vec![vec![0], vec![1], vec![1, 0]],
                _ => vec![vec![0], vec![2], vec![0, 1], vec![0, 1, 2]],
            };
            for _round in 0..4 {
                for _ in 0..700 {
                    let t: Vec<u64> = (0..ar).map(|_| next()).collect();
                    let got = s.insert(&t);
                    match reference.get(&t) {
                        Some(&row) => {
                            assert_eq!(got, None, "{t:?} inserted twice");
                            assert_eq!(s.find_with(|i| t[i]), Some(row));
                        }
                        None => {
                            let row = got.expect("a new tuple gets a row");
                            assert_eq!(row as usize, reference.len());
                            reference.insert(t.clone(), row);
                        }
                    }
                }
                s.advance(&mut ixs);
                for cols in &col_sets {
                    s.ensure_index(&mut ixs, cols);
                }
                assert_eq!(s.len(), reference.len());
                for (t, &row) in &reference {
                    assert_eq!(s.row(row as usize), &t[..]);
                    assert_eq!(s.find_with(|i| t[i]), Some(row), "{t:?}");
                }
                for ix in &ixs {
                    for t in reference.keys() {
                        let key: Vec<u64> = ix.cols.iter().map(|&c| t[c]).collect();
                        let want: Vec<Row> = (0..s.len() as Row)
                            .filter(|&r| {
                                ix.cols
                                    .iter()
                                    .zip(&key)
                                    .all(|(&c, &k)| s.get(r as usize, c) == k)
                            })
                            .collect();
                        assert_eq!(
                            ix.lookup(&s, &key),
                            &want[..],
                            "key {key:?} on {:?}",
                            ix.cols
                        );
                    }
                }
            }
            // Words never inserted are absent, whichever table they would live in.
            if ar > 0 {
                for w in [3u64, 1 << 40, u64::MAX - 2] {
                    let t = vec![w; ar];
                    assert_eq!(s.find_with(|i| t[i]), None);
                }
            }
        }
    }

    #[test]
    fn a_compacted_relation_finds_the_same_rows_and_takes_more() {
        // Packed and wide tuples, keys with one row and with many: after `compact` (smaller
        // tables, flattened lists) every tuple and every key finds the same rows as before,
        // and rows added afterwards are found too.
        let t = |n: u64| [n % 50, if n % 3 == 0 { n << 33 } else { n }];
        let mut s = Store::new(2, false);
        for n in 0..3000 {
            s.insert(&t(n));
        }
        let mut ixs = Vec::new();
        s.publish_all(&mut ixs);
        let (a, b) = (
            s.ensure_index(&mut ixs, &[0]),
            s.ensure_index(&mut ixs, &[1]),
        );
        let lookups = |s: &Store, ixs: &[Index]| {
            (0..3100)
                .map(|n| {
                    let w = t(n);
                    (
                        s.find_with(|i| w[i]),
                        ixs[a].lookup(s, &w[..1]).to_vec(),
                        ixs[b].lookup(s, &w[1..]).to_vec(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let before = lookups(&s, &ixs);
        let bytes: usize = s.memory_bytes() + ixs.iter().map(Index::memory_bytes).sum::<usize>();
        s.compact(&mut ixs);
        assert!(!ixs[a].starts.is_empty(), "the lists are flattened");
        assert!(
            s.memory_bytes() + ixs.iter().map(Index::memory_bytes).sum::<usize>() < bytes,
            "compacting saves memory"
        );
        assert_eq!(lookups(&s, &ixs), before);
        for n in 3000..3100 {
            assert_eq!(s.insert(&t(n)), Some(n as Row));
        }
        assert_eq!(s.insert(&t(7)), None);
        s.publish_all(&mut ixs);
        let after = lookups(&s, &ixs);
        for (n, (row, on_a, on_b)) in after.iter().enumerate() {
            assert_eq!(*row, Some(n as Row));
            assert!(on_a.contains(&(n as Row)) && on_b.contains(&(n as Row)));
            assert!(on_a.windows(2).all(|w| w[0] < w[1]), "rows in order");
        }
        // The rows of the first 3000 keys: as before, then the new rows with the same key.
        let grown = |l: &[Row], col: usize| {
            let key = t(u64::from(l[0]))[col];
            let mut l = l.to_vec();
            l.extend(
                (3000..3100u64)
                    .filter(|&m| t(m)[col] == key)
                    .map(|m| m as Row),
            );
            l
        };
        for (n, (row, on_a, on_b)) in before.iter().enumerate().take(3000) {
            assert_eq!(after[n], (*row, grown(on_a, 0), grown(on_b, 1)));
        }
    }

    #[test]
    fn a_relation_without_its_tables_finds_every_tuple_and_gets_them_back() {
        // At arity 0 to 3, tuples that pack and tuples that do not: once the deduplication
        // tables are let go, every tuple is found at its row (in the table of rows made on the
        // first lookup) and absent ones are not; a row added afterwards brings the tables
        // back, a tuple already there is not added again.
        for ar in 0..=3 {
            let mut s = Store::new(ar, false);
            let mut next = words(ar as u64 + 11);
            let mut reference: std::collections::HashMap<Vec<u64>, Row> = Default::default();
            for _ in 0..3000 {
                let t: Vec<u64> = (0..ar).map(|_| next()).collect();
                if let Some(row) = s.insert(&t) {
                    reference.insert(t, row);
                }
            }
            s.drop_dedup();
            assert!(s.lookup.get().is_none(), "made on the first lookup only");
            assert_eq!(s.memory_parts().1, s.packed.memory_bytes());
            for (t, &row) in &reference {
                assert_eq!(s.find_with(|i| t[i]), Some(row), "arity {ar}: {t:?}");
            }
            assert!(s.lookup.get().is_some());
            if ar > 0 {
                for w in [3u64, 1 << 40, u64::MAX - 2] {
                    assert_eq!(s.find_with(|_| w), None, "arity {ar}: {w}");
                }
            }
            // Some tuple already there: not added. A new one: added, and found with the rest.
            let (old, &old_row) = reference.iter().next().expect("some tuple");
            assert_eq!(s.insert(old), None);
            assert_eq!(s.find_with(|i| old[i]), Some(old_row));
            if ar > 0 {
                let new = vec![7; ar];
                assert!(!reference.contains_key(&new));
                let row = s.len() as Row;
                assert_eq!(s.insert(&new), Some(row));
                assert_eq!(s.insert(&new), None);
                reference.insert(new, row);
            }
            assert!(!s.dropped && s.lookup.get().is_none());
            for (t, &row) in &reference {
                assert_eq!(s.find_with(|i| t[i]), Some(row), "arity {ar} again: {t:?}");
                assert_eq!(s.insert(t), None);
            }
            assert_eq!(s.len(), reference.len());
        }
    }

    #[test]
    fn packed_table_grows_and_keeps_rows() {
        // Enough packed tuples (both halves in use) to grow the table many times.
        let mut s = Store::new(2, false);
        let t = |n: u64| [n % 997, (n * 7919) & 0xffff_ffff];
        for n in 0..20_000u64 {
            assert_eq!(s.insert(&t(n)), Some(n as Row));
        }
        for n in 0..20_000u64 {
            assert_eq!(s.insert(&t(n)), None);
            assert_eq!(s.find_with(|i| t(n)[i]), Some(n as Row));
        }
        assert_eq!(s.find_with(|i| [997, 0][i]), None);
        // The packed keys `a << 32 | b` and `u32::MAX` halves sit beside the wide ones.
        let top = u32::MAX as u64;
        assert_eq!(s.insert(&[top, top]), Some(20_000));
        assert_eq!(s.insert(&[top, top - 1]), Some(20_001));
        assert_eq!(s.insert(&[top, top]), None);
        assert_eq!(s.find_with(|i| [top, top][i]), Some(20_000));
        assert_eq!(s.find_with(|i| [top, top - 1][i]), Some(20_001));
        assert_eq!(s.insert(&[top, 7]), Some(20_002));
        assert_eq!(s.insert(&[top + 1, 7]), Some(20_003));
        assert_eq!(s.insert(&[top + 1, 7]), None);
        assert_eq!(s.find_with(|i| [top + 1, 7][i]), Some(20_003));
    }

    #[test]
    fn an_index_key_moves_from_its_slot_to_a_list_at_its_second_row() {
        // Keys with one row hold it in the slot; a second row, in the same round or a later
        // one, moves both to a list, in row order, and semi-naive ranges still cut it right.
        let mut s = Store::new(2, false);
        let mut ixs = Vec::new();
        for t in [[1, 10], [2, 20], [1, 11]] {
            s.insert(&t);
        }
        s.publish_all(&mut ixs);
        let ix = s.ensure_index(&mut ixs, &[0]);
        assert_eq!(ixs[ix].lookup(&s, &[1]), &[0, 2]);
        assert_eq!(ixs[ix].lookup(&s, &[2]), &[1]);
        assert_eq!(ixs[ix].lookup(&s, &[3]), &[] as &[Row]);
        s.insert(&[2, 21]);
        s.insert(&[3, 30]);
        s.insert(&[1, 12]);
        s.advance(&mut ixs);
        assert_eq!(ixs[ix].lookup(&s, &[1]), &[0, 2, 5]);
        assert_eq!(ixs[ix].lookup(&s, &[2]), &[1, 3]);
        assert_eq!(ixs[ix].lookup(&s, &[3]), &[4]);
        assert_eq!((s.stable, s.recent), (3, 6));
        let restrict = super::super::exec::restrict;
        assert_eq!(restrict(ixs[ix].lookup(&s, &[2]), Range::Delta, &s), &[3]);
        assert_eq!(restrict(ixs[ix].lookup(&s, &[2]), Range::Old, &s), &[1]);
        assert_eq!(
            restrict(ixs[ix].lookup(&s, &[3]), Range::Old, &s),
            &[] as &[Row]
        );
        // Many keys, growing the table: each with one row, then each with a second.
        let mut s = Store::new(1, false);
        let mut ixs = Vec::new();
        for n in 0..5000u64 {
            s.insert(&[n * 7]);
        }
        s.publish_all(&mut ixs);
        let ix = s.ensure_index(&mut ixs, &[0]);
        for n in 0..5000u64 {
            assert_eq!(ixs[ix].lookup(&s, &[n * 7]), &[n as Row]);
        }
        assert_eq!(
            ixs[ix].memory_bytes(),
            ixs[ix].packed.memory_bytes(),
            "no lists"
        );
    }

    #[test]
    fn zero_arity_holds_at_most_one_row() {
        let mut s = Store::new(0, false);
        assert_eq!(s.insert(&[]), Some(0));
        assert_eq!(s.insert(&[]), None);
        assert_eq!(s.len(), 1);
        assert_eq!(s.find_with(|_| 0), Some(0));
    }

    /// Inserts `key` into `p` unless present (as `Store::insert` does); whether it was new.
    fn put_new(p: &mut Packed, key: u64, val: u32) -> bool {
        match p.probe(key) {
            Ok(_) => false,
            Err(slot) => {
                p.put(key, val, slot);
                true
            }
        }
    }

    /// Every key of `p` is found with its value, and in a direct table sits within `reach`
    /// (at most `DIRECT_REACH`) of its home.
    fn check_placement(p: &Packed, keys: &[u64]) {
        for (i, &k) in keys.iter().enumerate() {
            assert_eq!(p.find(k), Some(i as u32), "key {k}");
            if p.direct {
                let slot = p.find_slot(k).unwrap();
                assert!(p.distance(k, slot) <= p.reach, "key {k} beyond reach");
            }
        }
        assert!(p.reach <= DIRECT_REACH);
        assert_eq!(p.len, keys.len());
    }

    #[test]
    fn consecutive_keys_stay_direct_in_neighbouring_slots() {
        let mut p = Packed::new(true);
        let keys: Vec<u64> = (1000..21_000).collect();
        for (i, &k) in keys.iter().enumerate() {
            assert!(put_new(&mut p, k, i as u32));
        }
        assert!(!put_new(&mut p, 1000, 7), "present");
        assert!(p.direct);
        assert_eq!(p.reach, 0, "each key at its home");
        let (a, b) = (p.find_slot(5000).unwrap(), p.find_slot(5001).unwrap());
        assert_eq!(b, (a + 1) & (p.keys.len() - 1), "neighbours");
        check_placement(&p, &keys);
        // Absent keys, also those whose home holds another key (k + size).
        let size = p.keys.len() as u64;
        for k in [1, 999, 21_000, 1000 + size, 20_999 + size, u64::MAX] {
            assert_eq!(p.find(k), None, "absent {k}");
        }
    }

    #[test]
    fn keys_that_crowd_switch_the_table_to_hashing() {
        // Multiples of 4096 share their low twelve bits: in a direct table of up to 4096
        // slots they would all start at one slot.
        let mut p = Packed::new(true);
        let keys: Vec<u64> = (1..3000u64).map(|i| i * 4096).collect();
        for (i, &k) in keys.iter().enumerate() {
            assert!(put_new(&mut p, k, i as u32));
        }
        assert!(!p.direct, "switched to hashing");
        check_placement(&p, &keys);
        assert_eq!(p.find(4096 * 3000), None);
        assert_eq!(p.find(4095), None);
        // Two ranges that overlap modulo the size: direct while the keys fit within reach.
        let mut p = Packed::new(true);
        let keys: Vec<u64> = (1..200u64)
            .chain((1..200u64).map(|k| k + (1 << 20)))
            .collect();
        for (i, &k) in keys.iter().enumerate() {
            assert!(put_new(&mut p, k, i as u32));
        }
        check_placement(&p, &keys);
        for k in [200, (1 << 20) + 200, 1 << 21] {
            assert_eq!(p.find(k), None, "absent {k}");
        }
    }

    #[test]
    fn growth_that_would_crowd_a_direct_table_hashes_instead() {
        // Keys placed by hash, then the table made direct and grown: its keys (multiples of
        // 2^16) would all start at slot 0 of the larger table, so growth hashes them.
        let mut p = Packed::new(false);
        let keys: Vec<u64> = (1..100u64).map(|i| i << 16).collect();
        for (i, &k) in keys.iter().enumerate() {
            assert!(put_new(&mut p, k, i as u32));
        }
        p.direct = true;
        p.reserve(10_000);
        assert!(!p.direct);
        assert!(p.keys.len() >= 20_000);
        check_placement(&p, &keys);
        // A direct table that grows stays direct when its keys spread.
        let mut p = Packed::new(true);
        let keys: Vec<u64> = (0..100u64).map(|i| 1 + i * 3).collect();
        for (i, &k) in keys.iter().enumerate() {
            assert!(put_new(&mut p, k, i as u32));
        }
        p.reserve(10_000);
        assert!(p.direct);
        check_placement(&p, &keys);
    }

    #[test]
    fn one_column_indexes_and_relations_find_what_they_hold_whatever_the_placement() {
        // A relation of one column and an index on one column (direct), with keys that
        // crowd (every 4096th number) and keys that do not, looked up present and absent.
        let mut s = Store::new(2, false);
        for n in 0..3000u64 {
            s.insert(&[n * 4096, n]);
            s.insert(&[n, n * 4096]);
        }
        let mut ixs = Vec::new();
        s.publish_all(&mut ixs);
        let by_first = s.ensure_index(&mut ixs, &[0]);
        let by_second = s.ensure_index(&mut ixs, &[1]);
        for n in 1..3000u64 {
            assert_eq!(ixs[by_first].lookup(&s, &[n * 4096]).len(), 1, "{n}");
            assert_eq!(ixs[by_second].lookup(&s, &[n * 4096]).len(), 1, "{n}");
        }
        assert_eq!(
            ixs[by_first].lookup(&s, &[0]).len(),
            1,
            "[0, 0] is one tuple"
        );
        assert_eq!(ixs[by_first].lookup(&s, &[5]), &[10]);
        assert_eq!(ixs[by_first].lookup(&s, &[3000 * 4096]).len(), 0);
        let mut one = Store::new(1, false);
        for n in 0..5000u64 {
            assert!(one.insert(&[n * 4096]).is_some());
            assert!(one.insert(&[n * 4096 + 1]).is_some());
        }
        assert!(one.insert(&[4096]).is_none());
        assert_eq!(one.find_with(|_| 4096 * 4999 + 1), Some(9999));
        assert_eq!(one.find_with(|_| 4096 * 5000), None);
    }

    #[test]
    fn distinct_counts_the_same_in_a_bitmap_and_in_a_hash_set() {
        let mut x = 7u64;
        let mut next = || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            x >> 11
        };
        // Column 0: values in a narrow range (bitmap); column 1: values far apart, with
        // negative numbers and the extremes (hash set); column 2: one value.
        let mut s = Store::new(3, false);
        let mut expect: [std::collections::BTreeSet<u64>; 3] = Default::default();
        for i in 0..5000u64 {
            let t = [
                1_000 + next() % 3_000,
                match i % 4 {
                    0 => next(),
                    1 => (-(i as i64)) as u64,
                    2 => u64::MAX - i % 3,
                    _ => i % 17,
                },
                42,
            ];
            if s.insert(&t).is_some() {
                for (c, e) in expect.iter_mut().enumerate() {
                    e.insert(t[c]);
                }
            }
        }
        for (c, e) in expect.iter().enumerate() {
            assert_eq!(s.distinct(c), e.len(), "column {c}");
        }
        assert!(expect[0].len() > 2_000 && expect[0].len() < 3_000);
        assert_eq!(Store::new(2, false).distinct(1), 0);
    }

    #[test]
    fn only_tables_beyond_the_threshold_are_worth_prefetching() {
        let mut s = Store::new(2, false);
        let mut ixs = Vec::new();
        s.insert(&[1, 10]);
        s.publish_all(&mut ixs);
        let ix = s.ensure_index(&mut ixs, &[0]);
        assert!(!s.worth_prefetching() && !ixs[ix].worth_prefetching());
        // Enough distinct keys for both tables to pass the threshold (each at most half
        // full, 12 bytes a slot).
        let n = (PREFETCH_MIN_BYTES / 12) as u64;
        for k in 2..n + 2 {
            s.insert(&[k, k * 10]);
            s.insert(&[k, k * 10 + 1]);
        }
        s.advance(&mut ixs);
        assert!(s.worth_prefetching() && ixs[ix].worth_prefetching());
        // Prefetching is a hint: keys present (one row, several rows) and absent alike,
        // lookups unchanged.
        for key in [1u64, 7, n + 5, u64::MAX - 1] {
            let before = ixs[ix].lookup(&s, &[key]).to_vec();
            ixs[ix].prefetch(&[key]);
            ixs[ix].prefetch_rows(&s, &[key], (0, 1));
            ixs[ix].prefetch_rows(&s, &[key], (1, 1));
            ixs[ix].prefetch_list(&[key]);
            s.prefetch(&[key, key.wrapping_mul(10)]);
            assert_eq!(ixs[ix].lookup(&s, &[key]), &before[..]);
        }
        assert_eq!(ixs[ix].lookup(&s, &[7]).len(), 2);
        assert_eq!(ixs[ix].lookup(&s, &[1]), &[0]);
    }
}
