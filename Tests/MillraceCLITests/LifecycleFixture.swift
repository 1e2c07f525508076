import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The data and pipeline files of the lifecycle tests: 96 CSV rows (4 features, 3 classes) and
/// small MLPs trained 2 epochs of 12 steps, logging every step to metrics.jsonl.
enum LifecycleFixture {
    /// Writes `data.csv` and the pipelines `adam`, `wide`, `tanh`, `sgd`, `sgd-momentum`,
    /// `sgd-momentum-half` and `big` (a model whose checkpoint files are about 200 KB) into `directory`.
    static func write(into directory: TemporaryDirectory) throws {
        let rows = (0..<96).map { "\($0 % 7),\($0 % 5 - 2),\($0),\(($0 * 7) % 11),\($0 % 3)" }
        try (["a,b,c,d,label"] + rows).joined(separator: "\n").appending("\n").write(
            to: directory.path("data.csv"), atomically: true, encoding: .utf8)
        let variants: [(String, units: Int, activation: String, optimizer: String)] = [
            ("adam", 16, "relu", #"{"type": "adam", "learning_rate": 0.01}"#),
            ("wide", 32, "relu", #"{"type": "adam", "learning_rate": 0.01}"#),
            ("tanh", 16, "tanh", #"{"type": "adam", "learning_rate": 0.01}"#),
            ("sgd", 16, "relu", #"{"type": "sgd", "learning_rate": 0.05}"#),
            ("sgd-momentum", 16, "relu", #"{"type": "sgd", "learning_rate": 0.05, "momentum": 0.9}"#),
            ("sgd-momentum-half", 16, "relu", #"{"type": "sgd", "learning_rate": 0.05, "momentum": 0.5}"#),
            ("big", 4096, "relu", #"{"type": "adam", "learning_rate": 0.001}"#),
        ]
        for (name, units, activation, optimizer) in variants {
            try """
            {"name": "\(name)", "dataset": {"kind": "csv", "path": "\(directory.path("data.csv").path)", "label_column": "label"},
             "pipeline": {"batch_size": 8, "threads": 2}, "logging": {"every_steps": 1},
             "model": {"layers": [{"type": "dense", "units": \(units)}, {"type": "\(activation)"}, {"type": "dense"}]},
             "loss": "cross-entropy", "optimizer": \(optimizer), "epochs": 2, "seed": 3}
            """.write(to: directory.path("\(name).json"), atomically: true, encoding: .utf8)
        }
    }

    /// Takes the lock a running `train` holds on `folder` (flock on `.lock`, this pid inside) and
    /// returns the descriptor; closing it releases the lock.
    static func holdLock(on folder: String) throws -> Int32 {
        let descriptor = open(folder + "/.lock", O_RDWR | O_CREAT, 0o644)
        guard descriptor >= 0, flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { throw POSIXError(.EBUSY) }
        _ = ftruncate(descriptor, 0)
        let text = Array("\(getpid())\n".utf8)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return descriptor
    }
}
