//! "Did you mean" hints: the closest of some known names to a misspelt one. One
//! implementation for every place that suggests a name (relations, norms, functions, rule ids,
//! annotation keys, test keys).

/// Names longer than this get no suggestion: the distance costs the product of the two
/// lengths, and a hostile input could otherwise make every unknown name cost millions of steps.
pub const MAX_SUGGESTED_LEN: usize = 100;

/// The closest candidate within a small edit distance (a third of the name's length, at least
/// one), for "did you mean" hints; ties go to the smallest candidate.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let len = name.chars().count();
    if len > MAX_SUGGESTED_LEN {
        return None;
    }
    let max = (len / 3).max(1);
    candidates
        .filter(|c| *c != name)
        // The distance is at least the difference of the lengths: skip what cannot be close.
        .filter(|c| {
            c.len().abs_diff(name.len()) <= max * 4 && c.chars().count().abs_diff(len) <= max
        })
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= max)
        .min()
        .map(|(_, c)| c.to_string())
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbouring characters (`tilte` is one step from `title`).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_uses_small_distances() {
        let names = ["path", "edge", "title"];
        assert_eq!(did_you_mean("pth", names.into_iter()), Some("path".into()));
        assert_eq!(
            did_you_mean("tilte", names.into_iter()),
            Some("title".into())
        );
        assert_eq!(did_you_mean("zzzz", names.into_iter()), None);
    }

    #[test]
    fn names_of_other_lengths_are_skipped_only_when_too_far() {
        // One insertion and one deletion away: within reach of a 9-letter name (3 steps).
        assert_eq!(
            did_you_mean("consent_x", ["consents", "consent_given_long"].into_iter()),
            Some("consents".into())
        );
        assert_eq!(did_you_mean("ab", ["abcdef"].into_iter()), None);
        let long = "x".repeat(MAX_SUGGESTED_LEN + 1);
        let close = "x".repeat(MAX_SUGGESTED_LEN);
        assert_eq!(did_you_mean(&long, [close.as_str()].into_iter()), None);
    }
}
