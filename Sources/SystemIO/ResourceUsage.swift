import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Memory use of this process, for benchmarks and diagnostics.
public enum ResourceUsage {
    /// The peak resident set size in bytes (`ru_maxrss`), or 0 if unavailable.
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        guard getrusage(Int32(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        #if os(Linux)
            return Int(usage.ru_maxrss) * 1024
        #else
            return Int(usage.ru_maxrss)
        #endif
    }

    /// Minor page faults so far (`ru_minflt`): pages the process touched for the first time, or
    /// 0 if unavailable. Over steady training steps it should not grow: memory is being reused.
    public static func minorPageFaults() -> Int {
        var usage = rusage()
        guard getrusage(Int32(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        return Int(usage.ru_minflt)
    }

    /// The current resident set size in bytes (from /proc/self/statm on Linux), or 0.
    public static func currentResidentBytes() -> Int {
        // /proc files report a size of 0: read until the end instead of by size.
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
