//! The Pi's host name, made from the household id, so that a box on a home's LAN (and in a
//! router's client list) says which household it serves.

use super::MANAGED;

/// `rainforest-<household id>`, lowercased, `_` made `-`, at most 63 characters and not ending
/// in `-`: a valid RFC 1123 host name label. The id is ASCII (letters, digits, `-`, `_`), so
/// nothing else needs mapping.
pub(super) fn host_name(household_id: &str) -> String {
    let mut name = format!("rainforest-{household_id}")
        .to_ascii_lowercase()
        .replace('_', "-");
    name.truncate(63);
    name.trim_end_matches('-').to_string()
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

    #[test]
    fn names_are_valid_labels() {
        assert_eq!(host_name("h-0001"), "rainforest-h-0001");
        assert_eq!(host_name("Study_2026_H7"), "rainforest-study-2026-h7");
        assert_eq!(host_name("h_"), "rainforest-h");
        assert_eq!(host_name("h-_-"), "rainforest-h");
        let long = host_name(&"a".repeat(64));
        assert_eq!(long.len(), 63);
        assert_eq!(long, format!("rainforest-{}", "a".repeat(52)));
        // Truncation that ends on a '-' trims it.
        let id = format!("{}-b", "a".repeat(51));
        assert_eq!(host_name(&id), format!("rainforest-{}", "a".repeat(51)));
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
