import ArgumentParser
import Foundation
import Tensors
import Training

/// `millrace bench gemm`: single-precision matrix multiply speed by size and thread count.
struct BenchGemmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Measure sgemm throughput (GFLOP/s) per size and thread count, and name the backend (oneDNN and its version).",
        discussion: "Example: swift run -c release millrace bench gemm --sizes 256,512,1024 --shapes 64x256x784 --threads 1,2 --json"
    )

    @Option(help: "Comma-separated square sizes.")
    var sizes: String = "256,512,1024"

    @Option(help: "Comma-separated extra products MxNxK (an MxK matrix times a KxN one), e.g. 64x256x784.")
    var shapes: String = ""

    @Option(help: "Comma-separated thread counts.")
    var threads: String = "1,2"

    @Option(help: "Seconds of timed work per measurement (the best of 3 repetitions is reported).")
    var seconds: Double = 0.3

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard parsedSizes != nil, parsedThreads != nil else {
            throw ValidationError("--sizes and --threads take comma-separated positive integers, e.g. --sizes 256,512")
        }
        guard parsedShapes != nil else {
            throw ValidationError("--shapes takes comma-separated MxNxK products of positive integers, e.g. --shapes 64x256x784")
        }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        for shape in (parsedSizes ?? []).map(GemmShape.square) + (parsedShapes ?? []) {
            // A (m x k), B (k x n) and C (m x n), with overflow checks.
            let multiply = MemoryEstimate.multiply
            let floats = [multiply(shape.m, shape.k), multiply(shape.k, shape.n), multiply(shape.m, shape.n)].reduce(0, MemoryEstimate.add)
            try BenchBudget.check(
                "the \(shape.description) product (three float matrices)", bytes: BenchBudget.bytes(ofFloats: floats),
                fix: "use smaller --sizes or --shapes")
        }
    }

    private var parsedSizes: [Int]? { BenchGemmCommand.parseList(sizes) }
    private var parsedThreads: [Int]? { BenchGemmCommand.parseList(threads) }
    private var parsedShapes: [GemmShape]? { GemmShape.parseList(shapes) }

    static func parseList(_ text: String) -> [Int]? {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return values.compactMap { $0 }
    }

    func run() throws {
        let squares = (parsedSizes ?? []).map(GemmShape.square)
        let measurements = GemmBenchmark.measure(shapes: squares + (parsedShapes ?? []), threads: parsedThreads ?? [], seconds: seconds)
        if json {
            try ResultOutput.print(try GemmBenchmark.json(measurements))
        } else {
            try ResultOutput.print("backend: \(MatrixBackend.description)")
            try ResultOutput.print("       size  threads  GFLOP/s")
            for m in measurements {
                let size = m.shape.description
                try ResultOutput.print(
                    String(repeating: " ", count: max(0, 11 - size.count)) + size + String(format: "  %7d  %7.1f", m.threads, m.gflops))
            }
        }
    }
}

/// The dimensions of one product: an `m` x `k` matrix times a `k` x `n` one.
struct GemmShape: Equatable {
    var m: Int
    var n: Int
    var k: Int

    /// The product of two `size` x `size` matrices.
    static func square(_ size: Int) -> GemmShape {
        GemmShape(m: size, n: size, k: size)
    }

    /// `256` for a square product, else `MxNxK`.
    var description: String { m == n && n == k ? String(m) : "\(m)x\(n)x\(k)" }

    /// Parses `MxNxK,MxNxK`; an empty text is an empty list, anything malformed nil.
    static func parseList(_ text: String) -> [GemmShape]? {
        var shapes: [GemmShape] = []
        for item in text.split(separator: ",") {
            let values = item.split(separator: "x").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == 3, let m = values[0], let n = values[1], let k = values[2], m > 0, n > 0, k > 0 else { return nil }
            shapes.append(GemmShape(m: m, n: n, k: k))
        }
        return shapes
    }
}

/// One sgemm measurement.
struct GemmMeasurement: Equatable {
    var shape: GemmShape
    var threads: Int
    var gflops: Double
}

/// Times `C = A B` for square float matrices.
enum GemmBenchmark {
    /// Measures square products of the given sizes.
    static func measure(sizes: [Int], threads: [Int], seconds: Double) -> [GemmMeasurement] {
        measure(shapes: sizes.map(GemmShape.square), threads: threads, seconds: seconds)
    }

    /// Measures `C = A B` for each shape and thread count.
    static func measure(shapes: [GemmShape], threads: [Int], seconds: Double) -> [GemmMeasurement] {
        var results: [GemmMeasurement] = []
        for shape in shapes {
            var generator = RandomGenerator(seed: 42)
            let a = Initializer.uniform(lower: -1, upper: 1).makeTensor(shape: [shape.m, shape.k], generator: &generator)
            let b = Initializer.uniform(lower: -1, upper: 1).makeTensor(shape: [shape.k, shape.n], generator: &generator)
            var c = Tensor.zeros([shape.m, shape.n])
            let flops = 2 * Double(shape.m) * Double(shape.n) * Double(shape.k)
            for threadCount in threads {
                let run = { Tensor.multiply(a, b, into: &c, threads: threadCount) }
                run()  // warm-up: page in buffers, let oneDNN compile its kernels for this shape
                let start = DispatchTime.now().uptimeNanoseconds
                run()
                let once = max(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, 1e-7)
                let repeats = max(1, Int(seconds / once))
                var best = Double.infinity
                for _ in 0..<3 {
                    let begin = DispatchTime.now().uptimeNanoseconds
                    for _ in 0..<repeats { run() }
                    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9 / Double(repeats))
                }
                results.append(GemmMeasurement(shape: shape, threads: threadCount, gflops: flops / best / 1e9))
            }
        }
        return results
    }

    /// `{"benchmark": "gemm", "backend": "oneDNN", "version": "2.6.3", "kernel": "oneDNN 2.6.3",
    /// "gflops": {"<size or MxNxK>": {"<threads>": value}}, "results": [...]}`
    static func json(_ measurements: [GemmMeasurement]) throws -> String {
        var table: [String: [String: Double]] = [:]
        for m in measurements {
            table[m.shape.description, default: [:]][String(m.threads)] = (m.gflops * 10).rounded() / 10
        }
        let object: [String: Any] = [
            "benchmark": "gemm",
            "backend": MatrixBackend.name,
            "version": MatrixBackend.version,
            "kernel": MatrixBackend.description,
            "gflops": table,
            "results": measurements.map {
                ["m": $0.shape.m, "n": $0.shape.n, "k": $0.shape.k, "threads": $0.threads, "gflops": ($0.gflops * 10).rounded() / 10]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
