//! "Did you mean …?" for unknown keys.

/// The known key closest to `unknown`, if it is within two single-character edits (a typo,
/// not a different word). Case does not count: every known key is lowercase, and `[WIFI]` is
/// the same word as `[wifi]` to the person who typed it.
pub(super) fn closest<'k>(unknown: &str, known: &[&'k str]) -> Option<&'k str> {
    let unknown = unknown.to_lowercase();
    known
        .iter()
        .map(|&candidate| (edit_distance(&unknown, candidate), candidate))
        .filter(|&(distance, _)| distance <= 2)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance in characters (insertions, deletions, substitutions).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    // One row of the classic table: previous[j] = distance(a[..i], b[..j]).
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, &b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != b_char);
            let deletion = previous[j + 1] + 1;
            let insertion = current[j] + 1;
            current.push(substitution.min(deletion).min(insertion));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("pol_interval", "poll_interval"), 1);
        assert_eq!(edit_distance("eagel", "eagle"), 2);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("abc", ""), 3);
    }

    #[test]
    fn suggests_only_near_keys() {
        let known = ["host", "poll_interval", "timeout"];
        assert_eq!(closest("pol_interval", &known), Some("poll_interval"));
        assert_eq!(closest("timeot", &known), Some("timeout"));
        assert_eq!(closest("frequency", &known), None);
        let sections = ["household", "wifi", "ssh"];
        assert_eq!(closest("WIFI", &sections), Some("wifi"));
        assert_eq!(closest("Wi-Fi", &sections), Some("wifi"));
        assert_eq!(closest("SSH", &sections), Some("ssh"));
    }
}
