//! The row numbers of one index key, in row order (keys of an index that packs hold a single
//! row in their table slot instead, see `store::Index`). Most keys of the knowledge base's
//! indexes have a handful of rows (a subject's activities, a consent's purposes), so up to
//! [`INLINE`] are held in place and only longer lists go to the heap: building an index then
//! allocates once per long key instead of once per key, and a lookup of a short key reads no
//! second cache line behind a pointer. At a million activities the allocator's bookkeeping for
//! a `Vec` per key was a fifth of the evaluation time.

/// A row number of a relation (rows are only appended, so a number names a tuple for good).
pub(crate) type Row = u32;

/// Rows held in place before a list moves to the heap.
pub(crate) const INLINE: usize = 6;

pub(crate) enum Rows {
    Inline(u8, [Row; INLINE]),
    Heap(Vec<Row>),
}

impl Rows {
    #[inline]
    pub fn one(r: Row) -> Rows {
        let mut a = [0; INLINE];
        a[0] = r;
        Rows::Inline(1, a)
    }

    #[inline]
    pub fn push(&mut self, r: Row) {
        match self {
            Rows::Inline(n, a) if (*n as usize) < INLINE => {
                a[*n as usize] = r;
                *n += 1;
            }
            Rows::Inline(_, a) => {
                let mut v = Vec::with_capacity(INLINE * 2);
                v.extend_from_slice(a);
                v.push(r);
                *self = Rows::Heap(v);
            }
            Rows::Heap(v) => v.push(r),
        }
    }

    #[inline]
    pub fn as_slice(&self) -> &[Row] {
        match self {
            Rows::Inline(n, a) => &a[..*n as usize],
            Rows::Heap(v) => v,
        }
    }

    /// Bytes on the heap.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Rows::Inline(..) => 0,
            Rows::Heap(v) => v.capacity() * std::mem::size_of::<Row>(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_stay_in_order_across_the_move_to_the_heap() {
        let mut r = Rows::one(3);
        assert_eq!(r.as_slice(), &[3]);
        assert_eq!(r.heap_bytes(), 0);
        let mut expected = vec![3];
        for i in 4..40 {
            r.push(i);
            expected.push(i);
            assert_eq!(r.as_slice(), expected.as_slice());
            assert_eq!(r.heap_bytes() > 0, expected.len() > INLINE, "at {i}");
        }
    }
}
