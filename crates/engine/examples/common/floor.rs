//! The floor of the interpreter benchmarks: a hand-written semi-naive transitive closure over
//! an `FxHashSet`, plus the anchor's `unreach` (nodes not reachable from node 0). Shared by
//! `benches/eval.rs` and `examples/tc.rs`.

use rustc_hash::{FxHashMap, FxHashSet};

/// (`path` tuples, `unreach` tuples) of the tc-anchor program on `edges`.
pub fn floor_tc(edges: &[(u32, u32)]) -> (usize, usize) {
    let mut succ: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
    let mut nodes: FxHashSet<u32> = FxHashSet::default();
    for &(a, b) in edges {
        succ.entry(a).or_default().push(b);
        nodes.insert(a);
        nodes.insert(b);
    }
    let mut path: FxHashSet<(u32, u32)> = edges.iter().copied().collect();
    let mut delta: Vec<(u32, u32)> = path.iter().copied().collect();
    while !delta.is_empty() {
        let mut next = Vec::new();
        for &(x, y) in &delta {
            if let Some(zs) = succ.get(&y) {
                for &z in zs {
                    if path.insert((x, z)) {
                        next.push((x, z));
                    }
                }
            }
        }
        delta = next;
    }
    let unreach = nodes.iter().filter(|&&y| !path.contains(&(0, y))).count();
    (path.len(), unreach)
}
