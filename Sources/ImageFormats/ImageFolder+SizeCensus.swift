import Synchronization
import SystemIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The image sizes found in a folder, worked out once (on the first size mismatch) and kept.
final class ImageSizeCensus: Sendable {
    private let summary = Mutex<String?>(nil)

    /// The summary of `paths`' sizes (as `decoder` decodes them: a JPEG's orientation may swap
    /// width and height): each size with its image count and an example file, most common
    /// first, computed on the first call.
    func summary(of paths: [String], decoder: ImageDecoder) -> String {
        summary.withLock { cached in
            if let cached { return cached }
            let text = ImageSizeCensus.describe(paths, decoder: decoder)
            cached = text
            return text
        }
    }

    private static func describe(_ paths: [String], decoder: ImageDecoder) -> String {
        var counts: [String: (count: Int, example: String, first: Int)] = [:]
        for (index, path) in paths.enumerated() {
            let key = (try? decoder.header(file: path)).map { "\($0.width)x\($0.height)" } ?? "unreadable header"
            counts[key, default: (0, path, index)].count += 1
        }
        let sorted = counts.sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.value.first < $1.value.first }
        var parts = sorted.prefix(10).map { "\($0.key): \($0.value.count) image\($0.value.count == 1 ? "" : "s") (e.g. \($0.value.example))" }
        if sorted.count > 10 { parts.append("and \(sorted.count - 10) more sizes") }
        return "\(sorted.count) sizes found: " + parts.joined(separator: "; ")
    }
}
