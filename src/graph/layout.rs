//! A small layered (Sugiyama-style) layout, so that `sphere graph --format svg` needs no
//! Graphviz: cycles broken by a depth-first search, layers by longest path, the order within
//! a layer by barycentre sweeps, then coordinates on a grid, left to right.
//!
//! A company with a thousand systems puts hundreds of nodes into one layer; a single column
//! of them would be a picture tens of thousands of pixels high. Layers longer than
//! [`WRAP`] are folded into several columns side by side, so the picture keeps a shape a
//! screen and a printed page can show.
//!
//! Invariant: deterministic. The same nodes and edges in the same order give the same
//! coordinates (ties broken by node index, never by a hash).

/// The most nodes in one column; longer layers are folded into several columns.
pub const WRAP: usize = 24;
/// Node box size and the gaps between boxes, in SVG user units (pixels).
pub const NODE_W: f64 = 210.0;
pub const NODE_H: f64 = 62.0;
pub const GAP_X: f64 = 130.0;
pub const GAP_Y: f64 = 26.0;
/// Margin around the drawing.
pub const MARGIN: f64 = 20.0;
/// Sweeps of the barycentre heuristic (down and up count one each).
const SWEEPS: usize = 8;

/// Where each node sits: the top-left corner of its box.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub width: f64,
    pub height: f64,
    /// Layer of each node (before folding).
    pub layer: Vec<usize>,
}

/// Lays out `n` nodes joined by directed `edges` (from, to); edges point left to right
/// where the graph allows (a cycle's closing edge points back).
pub fn layout(n: usize, edges: &[(usize, usize)]) -> Layout {
    let edges: Vec<(usize, usize)> = edges
        .iter()
        .copied()
        .filter(|&(a, b)| a != b && a < n && b < n)
        .collect();
    let dag = acyclic(n, &edges);
    let layer = layers(n, &dag);
    let layers_count = layer.iter().copied().max().map_or(0, |m| m + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); layers_count];
    for (v, &l) in layer.iter().enumerate() {
        rows[l].push(v);
    }
    order(&mut rows, &layer, &edges, n);

    // Fold long layers into columns of at most WRAP nodes.
    let mut columns: Vec<Vec<usize>> = Vec::new();
    for row in &rows {
        if row.is_empty() {
            continue;
        }
        let parts = row.len().div_ceil(WRAP);
        let per = row.len().div_ceil(parts);
        for chunk in row.chunks(per) {
            columns.push(chunk.to_vec());
        }
    }
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(0);
    let full = tallest as f64 * (NODE_H + GAP_Y) - GAP_Y;
    let mut x = vec![0.0; n];
    let mut y = vec![0.0; n];
    for (c, col) in columns.iter().enumerate() {
        let h = col.len() as f64 * (NODE_H + GAP_Y) - GAP_Y;
        let top = MARGIN + (full - h) / 2.0;
        for (i, &v) in col.iter().enumerate() {
            x[v] = MARGIN + c as f64 * (NODE_W + GAP_X);
            y[v] = top + i as f64 * (NODE_H + GAP_Y);
        }
    }
    let width = if columns.is_empty() {
        2.0 * MARGIN
    } else {
        2.0 * MARGIN + columns.len() as f64 * (NODE_W + GAP_X) - GAP_X
    };
    let height = 2.0 * MARGIN + full.max(0.0);
    Layout {
        x,
        y,
        width,
        height,
        layer,
    }
}

/// The edges with those that close a cycle reversed (found by an iterative depth-first
/// search from each node in index order).
fn acyclic(n: usize, edges: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out_adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (i, &(a, b)) in edges.iter().enumerate() {
        out_adj[a].push((b, i));
    }
    // 0 unvisited, 1 on the stack, 2 done.
    let mut state = vec![0u8; n];
    let mut back = vec![false; edges.len()];
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&(w, ei)) = out_adj[v].get(*next) {
                *next += 1;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => back[ei] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    edges
        .iter()
        .zip(back)
        .map(|(&(a, b), r)| if r { (b, a) } else { (a, b) })
        .collect()
}

/// Longest-path layers of a directed acyclic graph (Kahn's order).
fn layers(n: usize, dag: &[(usize, usize)]) -> Vec<usize> {
    let mut indeg = vec![0usize; n];
    let mut out_adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in dag {
        indeg[b] += 1;
        out_adj[a].push(b);
    }
    let mut layer = vec![0usize; n];
    let mut queue: std::collections::VecDeque<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
    while let Some(v) = queue.pop_front() {
        for &w in &out_adj[v] {
            layer[w] = layer[w].max(layer[v] + 1);
            indeg[w] -= 1;
            if indeg[w] == 0 {
                queue.push_back(w);
            }
        }
    }
    layer
}

/// Orders each layer by the barycentre of its neighbours in the layer before (sweeping
/// right) or after (sweeping left), keeping the order for nodes without such neighbours.
fn order(rows: &mut [Vec<usize>], layer: &[usize], edges: &[(usize, usize)], n: usize) {
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges {
        adj[a].push(b);
        adj[b].push(a);
    }
    let mut pos = vec![0usize; n];
    let place = |rows: &[Vec<usize>], pos: &mut Vec<usize>| {
        for row in rows {
            for (i, &v) in row.iter().enumerate() {
                pos[v] = i;
            }
        }
    };
    place(rows, &mut pos);
    for sweep in 0..SWEEPS {
        let right = sweep % 2 == 0;
        let count = rows.len();
        for k in 0..count {
            let l = if right { k } else { count - 1 - k };
            let Some(nb_layer) = (if right { l.checked_sub(1) } else { Some(l + 1) }) else {
                continue;
            };
            if nb_layer >= count {
                continue;
            }
            let mut keyed: Vec<(f64, usize, usize)> = rows[l]
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let ns: Vec<usize> = adj[v]
                        .iter()
                        .copied()
                        .filter(|&w| layer[w] == nb_layer)
                        .collect();
                    let key = if ns.is_empty() {
                        i as f64
                    } else {
                        ns.iter().map(|&w| pos[w] as f64).sum::<f64>() / ns.len() as f64
                    };
                    (key, i, v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            rows[l] = keyed.into_iter().map(|(_, _, v)| v).collect();
            for (i, &v) in rows[l].iter().enumerate() {
                pos[v] = i;
            }
        }
    }
}

/// Edge crossings between adjacent layers (for tests and measurements).
pub fn crossings(l: &Layout, edges: &[(usize, usize)]) -> usize {
    let segs: Vec<(f64, f64, f64, f64)> = edges
        .iter()
        .filter(|(a, b)| a != b)
        .map(|&(a, b)| (l.x[a], l.y[a], l.x[b], l.y[b]))
        .collect();
    let mut c = 0;
    for i in 0..segs.len() {
        for j in i + 1..segs.len() {
            let (a, b) = (segs[i], segs[j]);
            if a.0 == b.0 && a.2 == b.2 && (a.1 - b.1) * (a.3 - b.3) < 0.0 {
                c += 1;
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlaps(l: &Layout) -> bool {
        let n = l.x.len();
        for i in 0..n {
            for j in i + 1..n {
                let apart_x = (l.x[i] - l.x[j]).abs() >= NODE_W;
                let apart_y = (l.y[i] - l.y[j]).abs() >= NODE_H;
                if !apart_x && !apart_y {
                    return true;
                }
            }
        }
        false
    }

    #[test]
    fn a_chain_runs_left_to_right() {
        let l = layout(3, &[(0, 1), (1, 2)]);
        assert!(l.x[0] < l.x[1] && l.x[1] < l.x[2]);
        assert_eq!(l.layer, vec![0, 1, 2]);
    }

    #[test]
    fn a_cycle_is_laid_out_and_one_edge_points_back() {
        let l = layout(3, &[(0, 1), (1, 2), (2, 0)]);
        assert_eq!(l.layer, vec![0, 1, 2]);
        assert!(!overlaps(&l));
    }

    #[test]
    fn barycentres_untangle_two_crossed_pairs() {
        // 0->3, 1->2: in index order the edges cross; the sweep puts 3 above 2.
        let edges = [(0, 3), (1, 2)];
        let l = layout(4, &edges);
        assert_eq!(crossings(&l, &edges), 0);
    }

    #[test]
    fn a_thousand_systems_fold_into_columns_without_overlap() {
        // One organisation feeding 1,000 systems, each run by one of 50 parties.
        let n = 1 + 1000 + 50;
        let mut edges = Vec::new();
        for s in 1..=1000 {
            edges.push((0, s));
            edges.push((s, 1001 + (s % 50)));
        }
        let l = layout(n, &edges);
        assert!(!overlaps(&l));
        let tallest = (WRAP as f64) * (NODE_H + GAP_Y) + 2.0 * MARGIN;
        assert!(l.height <= tallest, "height {} > {tallest}", l.height);
        // 1 + 42 + 3 columns: wide, but each column fits a screen.
        assert!(l.width < 50.0 * (NODE_W + GAP_X), "width {}", l.width);
    }

    #[test]
    fn same_input_same_layout() {
        let edges = [(0, 2), (1, 2), (2, 3), (3, 1)];
        assert_eq!(layout(4, &edges), layout(4, &edges));
    }
}
