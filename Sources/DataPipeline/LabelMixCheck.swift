import Foundation

/// The shuffle guardrail: watches the label mix of a stream's first batches and, when they hold
/// far fewer distinct labels than a shuffled stream would, gives one warning with the fix (a
/// class-sorted source that the shuffle does not mix, such as a window too small for sorted
/// chunks). Runs on the consumer's side.
struct LabelMixCheck {
    /// The number of batches judged.
    static let batchesJudged = 8

    /// The number of classes of the data.
    let classCount: Int
    /// Whether the stream is shuffled.
    let shuffle: Bool
    /// Whether the source is chunked (shuffled inside windows of chunks).
    let isChunked: Bool
    /// The number of chunks of a chunked source.
    let chunkTotal: Int?
    /// Chunks shuffled together.
    let windowChunks: Int
    /// Samples per epoch.
    let datasetCount: Int
    /// The distinct labels of each batch observed so far.
    private var distinctLabels: [Int] = []

    init(classCount: Int, shuffle: Bool, isChunked: Bool, chunkTotal: Int?, windowChunks: Int, datasetCount: Int) {
        self.classCount = classCount
        self.shuffle = shuffle
        self.isChunked = isChunked
        self.chunkTotal = chunkTotal
        self.windowChunks = windowChunks
        self.datasetCount = datasetCount
    }

    /// Observes the next batch's labels; the warning when this batch completes the judged
    /// batches and their mix is under half a shuffled stream's, else nil.
    mutating func observe(_ batch: Batch) -> String? {
        let classes = classCount
        let judged = LabelMixCheck.batchesJudged
        guard distinctLabels.count < judged, classes > 1, batch.count > 1 else { return nil }
        distinctLabels.append(Set(batch.labels).count)
        guard distinctLabels.count == judged else { return nil }
        let observed = Double(distinctLabels.reduce(0, +)) / Double(judged)
        let size = Double(batch.count)
        let c = Double(classes)
        let expected = c * (1 - pow(1 - 1 / c, size))  // distinct labels in a uniformly shuffled batch
        guard observed < 0.5 * expected else { return nil }
        let advice: String
        if !shuffle {
            advice = "shuffling is off: turn it on"
        } else if isChunked {
            let perChunk = Double(datasetCount) / Double(max(1, chunkTotal ?? 1))
            let needed = Int((Double(datasetCount) / perChunk / 2).rounded(.up))
            advice =
                "the shuffle window of \(windowChunks) chunks (about \(Int(perChunk) * windowChunks) samples) is too small for class-sorted data: raise windowChunks (to about \(max(needed, windowChunks * 4)) chunks) or shuffle the file once (millrace pack)"
        } else {
            advice = "check the labels"
        }
        return String(
            format: "the first 8 batches hold on average %.1f distinct labels of %d (a full shuffle gives about %.1f): %@",
            observed, classes, expected, advice)
    }
}
