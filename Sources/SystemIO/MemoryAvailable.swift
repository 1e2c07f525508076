import Foundation

/// How much memory this process may use: the cgroup v2 limit (`memory.max`, what Docker's
/// `--memory` and Kubernetes' limits set) when there is one, else the kernel's `MemAvailable`
/// (free memory plus what it can reclaim without swapping).
public struct MemoryAvailable: Sendable, Equatable {
    /// Where the figure comes from, for messages.
    public var source: String
    /// Bytes.
    public var bytes: Int

    /// Creates a figure.
    public init(source: String, bytes: Int) {
        self.source = source
        self.bytes = bytes
    }

    /// The figure for this process now, or nil when neither file can be read.
    public static func current() -> MemoryAvailable? {
        // /proc and cgroup files report a size of 0: read until the end instead of by size.
        read(
            cgroupLimit: try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
            meminfo: try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))
    }

    /// The figure from the texts of `memory.max` and `/proc/meminfo` (nil: unreadable): the
    /// cgroup limit unless it is `max`, else `MemAvailable`.
    public static func read(cgroupLimit: String?, meminfo: String?) -> MemoryAvailable? {
        if let limit = cgroupLimit?.trimmingCharacters(in: .whitespacesAndNewlines), limit != "max", let bytes = Int(limit), bytes > 0 {
            return MemoryAvailable(source: "the cgroup limit (/sys/fs/cgroup/memory.max)", bytes: bytes)
        }
        for line in (meminfo ?? "").split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            let (bytes, overflow) = kilobytes.multipliedReportingOverflow(by: 1024)
            return overflow ? nil : MemoryAvailable(source: "available memory (MemAvailable in /proc/meminfo)", bytes: bytes)
        }
        return nil
    }

    /// `1.5 GiB`-style text of a byte count.
    public static func describe(_ bytes: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) bytes" : "\((value * 10).rounded() / 10) \(units[unit])"
    }
}
