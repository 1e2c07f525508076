import Foundation
import Training

/// libFuzzer entry: pipeline-file JSON must decode and validate or throw
/// `RunConfigurationError`, never trap; what decodes encodes again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    do {
        let configuration = try RunConfiguration.decode(bytes, path: "fuzz.json")
        _ = configuration.jsonText()
    } catch {
        _ = error.description
    }
    return 0
}
