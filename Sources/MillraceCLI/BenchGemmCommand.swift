import ArgumentParser
import Foundation
import Tensors

/// `millrace bench gemm`: single-precision matrix multiply speed by size and thread count.
struct BenchGemmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Measure square sgemm throughput (GFLOP/s) per size and thread count.",
        discussion: "Example: swift run -c release millrace bench gemm --sizes 256,512,1024 --threads 1,2 --json"
    )

    @Option(help: "Comma-separated square sizes.")
    var sizes: String = "256,512,1024"

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
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
    }

    private var parsedSizes: [Int]? { BenchGemmCommand.parseList(sizes) }
    private var parsedThreads: [Int]? { BenchGemmCommand.parseList(threads) }

    static func parseList(_ text: String) -> [Int]? {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return values.compactMap { $0 }
    }

    func run() throws {
        let measurements = GemmBenchmark.measure(sizes: parsedSizes ?? [], threads: parsedThreads ?? [], seconds: seconds)
        if json {
            print(try GemmBenchmark.json(measurements))
        } else {
            print("kernel: \(Tensor.matrixKernelName)")
            print("size  threads  GFLOP/s")
            for m in measurements {
                print(String(format: "%4d  %7d  %7.1f", m.size, m.threads, m.gflops))
            }
        }
    }
}

/// One sgemm measurement.
struct GemmMeasurement: Codable, Equatable {
    var size: Int
    var threads: Int
    var gflops: Double
}

/// Times `C = A B` for square float matrices.
enum GemmBenchmark {
    static func measure(sizes: [Int], threads: [Int], seconds: Double) -> [GemmMeasurement] {
        var results: [GemmMeasurement] = []
        for size in sizes {
            var generator = RandomGenerator(seed: 42)
            let a = Initializer.uniform(lower: -1, upper: 1).makeTensor(shape: [size, size], generator: &generator)
            let b = Initializer.uniform(lower: -1, upper: 1).makeTensor(shape: [size, size], generator: &generator)
            var c = Tensor.zeros([size, size])
            let flops = 2 * Double(size) * Double(size) * Double(size)
            for threadCount in threads {
                let run = { Tensor.multiply(a, b, into: &c, threads: threadCount) }
                run()  // warm-up: page in buffers
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
                results.append(GemmMeasurement(size: size, threads: threadCount, gflops: flops / best / 1e9))
            }
        }
        return results
    }

    /// `{"benchmark": "gemm", "kernel": ..., "gflops": {"<size>": {"<threads>": value}}, "results": [...]}`
    static func json(_ measurements: [GemmMeasurement]) throws -> String {
        var table: [String: [String: Double]] = [:]
        for m in measurements {
            table[String(m.size), default: [:]][String(m.threads)] = (m.gflops * 10).rounded() / 10
        }
        let object: [String: Any] = [
            "benchmark": "gemm",
            "kernel": Tensor.matrixKernelName,
            "gflops": table,
            "results": measurements.map { ["size": $0.size, "threads": $0.threads, "gflops": ($0.gflops * 10).rounded() / 10] },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
