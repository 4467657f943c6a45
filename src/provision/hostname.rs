//! The Pi's host name, made from the household id, so that a box on a home's LAN (and in a
//! router's client list) says which household it serves.

use super::MANAGED;

/// The longest host name label (RFC 1123).
const MAX_LABEL: usize = 63;

/// Before every name, so a router's client list shows what the box is.
const PREFIX: &str = "rainforest-";

/// `rainforest-<household id>`: a valid RFC 1123 host name label (at most 63 of `a-z`, `0-9`,
/// `-`, not ending in `-`), and a different one for every id.
///
/// An id that is already a label's tail (lowercase, digits, `-`, at most 52 characters, not
/// ending in `-`) is used as it is. Any other is lowercased, `_` made `-`, cut to fit, and
/// followed by `-` and 8 hex digits of the exact id's FNV-1a hash: `H_1` and `h-1`, or two
/// long ids that differ only at the end, get different names, and the names that were kept
/// never end in `-` and 8 hex digits, so the two kinds cannot meet. (The id is ASCII letters,
/// digits, `-` and `_`, so nothing else needs mapping.)
pub(super) fn host_name(household_id: &str) -> String {
    let plain = household_id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let fits = PREFIX.len() + household_id.len() <= MAX_LABEL;
    if plain && fits && !household_id.ends_with('-') && !looks_hashed(household_id) {
        return format!("{PREFIX}{household_id}");
    }
    let suffix = format!("{:08x}", fnv1a(household_id.as_bytes()));
    let mut readable = household_id.to_ascii_lowercase().replace('_', "-");
    readable.truncate(MAX_LABEL - PREFIX.len() - 1 - suffix.len());
    match readable.trim_end_matches('-') {
        "" => format!("{PREFIX}{suffix}"),
        readable => format!("{PREFIX}{readable}-{suffix}"),
    }
}

/// Ends like a name made with a hash: `-` and 8 lowercase hex digits.
fn looks_hashed(id: &str) -> bool {
    id.len() >= 9
        && id.as_bytes()[id.len() - 9] == b'-'
        && id.as_bytes()[id.len() - 8..]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// 32-bit FNV-1a (a fixed, published function: a box's name must never change with a
/// release). Enough against accidental collisions among a study's ids, which staff choose.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash, &byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// `/etc/hostname`: the name alone.
pub(super) fn hostname_file(name: &str) -> String {
    format!("{name}\n")
}

/// `/etc/hosts`: Debian's standard file, with the host name on 127.0.1.1 as Debian puts it
/// there, so `sudo` and other tools that look their own name up never wait for DNS.
pub(super) fn hosts_file(name: &str) -> String {
    format!(
        "# {MANAGED} household.id\n\
         127.0.0.1\tlocalhost\n\
         127.0.1.1\t{name}\n\
         ::1\t\tlocalhost ip6-localhost ip6-loopback\n\
         ff02::1\t\tip6-allnodes\n\
         ff02::2\t\tip6-allrouters\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1123 label: 1 to 63 of a-z, 0-9, '-', not starting or ending with '-'.
    fn is_label(name: &str) -> bool {
        (1..=MAX_LABEL).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-')
            && !name.ends_with('-')
    }

    #[test]
    fn label_ready_ids_are_kept_as_they_are() {
        assert_eq!(host_name("h-0001"), "rainforest-h-0001");
        assert_eq!(host_name("study-2026-h7"), "rainforest-study-2026-h7");
        let longest = "a".repeat(52);
        assert_eq!(host_name(&longest), format!("rainforest-{longest}"));
    }

    #[test]
    fn other_ids_get_a_hash_of_the_exact_id() {
        assert_eq!(
            host_name("Study_2026_H7"),
            "rainforest-study-2026-h7-7c381aaf"
        );
        assert_eq!(host_name("H_1"), "rainforest-h-1-9e75aeeb");
        assert_eq!(host_name("h_"), "rainforest-h-323aa198");
        assert_eq!(host_name("_"), "rainforest-da0c196e");
        let long = host_name(&"a".repeat(64));
        assert_eq!(long.len(), 63);
        assert!(
            long.starts_with(&format!("rainforest-{}-", "a".repeat(43))),
            "{long}"
        );
    }

    #[test]
    fn names_never_collide() {
        let long = "a".repeat(52);
        let pairs = [
            ("H_1", "h-1"),
            ("h_1", "h-1"),
            ("H-1", "h-1"),
            ("h_", "h"),
            ("h-", "h"),
            // Differ only after character 52, then only at the very end.
            (&*format!("{long}x"), &*format!("{long}y")),
            (
                &*format!("{long}aaaaaaaaaaaa1"),
                &*format!("{long}aaaaaaaaaaaa2"),
            ),
            // An id shaped like a hashed name cannot take another id's name.
            ("h-1-9e75aeeb", "H_1"),
        ];
        for (a, b) in pairs {
            assert_ne!(host_name(a), host_name(b), "{a} {b}");
            assert!(is_label(&host_name(a)), "{a}: {}", host_name(a));
            assert!(is_label(&host_name(b)), "{b}: {}", host_name(b));
        }
    }

    #[test]
    fn the_hash_is_fnv1a() {
        // Test vectors of the FNV reference (draft-eastlake-fnv, FNV-1a 32-bit).
        assert_eq!(fnv1a(b""), 0x811c_9dc5);
        assert_eq!(fnv1a(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn hosts_names_the_host_on_the_loopback() {
        let hosts = hosts_file("rainforest-h-0001");
        assert!(hosts.contains("\n127.0.0.1\tlocalhost\n"), "{hosts}");
        assert!(
            hosts.contains("\n127.0.1.1\trainforest-h-0001\n"),
            "{hosts}"
        );
        assert!(hosts.contains("\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"));
        assert!(hosts.contains("\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n"));
        assert_eq!(hostname_file("rainforest-h-0001"), "rainforest-h-0001\n");
    }
}
