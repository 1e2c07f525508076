import Foundation
import SystemIO

extension CheckpointManifest {
    /// The manifest's canonical bytes: compact JSON with sorted keys and unescaped slashes,
    /// without `manifestCRC32`. Equal manifests have equal canonical bytes.
    func canonicalBytes() throws -> [UInt8] {
        var unsealed = self
        unsealed.manifestCRC32 = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(unsealed))
    }

    /// A copy carrying the CRC32 of its canonical bytes, as the store writes it.
    public func sealed() throws -> CheckpointManifest {
        var sealed = self
        sealed.manifestCRC32 = CRC32.checksum(try canonicalBytes())
        return sealed
    }

    /// Throws `.checksumMismatch` when the manifest carries a checksum that its fields (as read
    /// back from `path`) do not match: a byte of `manifest.json` changed after it was written.
    /// A manifest without one (written by an earlier Millrace) passes, unless `bytes` (the file)
    /// holds a key no manifest has: a damaged key name, which could otherwise hide the checksum.
    public func verifySeal(path: String, bytes: [UInt8]) throws(CheckpointError) {
        let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        // A newer format may add keys: the version check refuses it with its own message.
        if formatVersion <= CheckpointManifest.currentFormatVersion, let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw CheckpointError(
                .corrupt, path: path, reason: "unknown key '\(unknown)' (a damaged manifest)", fix: "the manifest is damaged: use another checkpoint")
        }
        guard let recorded = manifestCRC32 else { return }
        let actual: UInt32
        do { actual = CRC32.checksum(try canonicalBytes()) } catch {
            throw CheckpointError(.corrupt, path: path, reason: "cannot encode the manifest again: \(error)", fix: "use another checkpoint")
        }
        guard actual == recorded else {
            throw CheckpointError(
                .checksumMismatch, path: path, reason: "the manifest's CRC32 \(actual) differs from the \(recorded) it recorded",
                fix: "the manifest is damaged: use another checkpoint")
        }
    }
}
