//! Peak resident memory of a process, for the benches that report it.

/// `VmHWM` of `/proc/{process}/status` in KiB (`"self"`, or a child's pid); 0 where it cannot
/// be read.
pub fn vm_hwm_kib(process: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
