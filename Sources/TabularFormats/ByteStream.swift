import CZlib
import DataPipeline
import SystemIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Sequential reading of a file's bytes, decompressing gzip input (recognised by its magic
/// number, whatever the file's name) through zlib.
final class ByteStream {
    let path: String
    let isCompressed: Bool
    private var descriptor: Int32 = -1
    private var gzip: gzFile?

    init(path: String) throws(DataError) {
        self.path = path
        // Regular files only: /dev/zero, a FIFO or a directory is refused before any read.
        let descriptor = try FileBytes.openRegularFile(path)
        var magic: [UInt8] = [0, 0]
        let got = pread(descriptor, &magic, 2, 0)
        isCompressed = got == 2 && magic == [0x1F, 0x8B]
        if isCompressed {
            guard let handle = gzdopen(descriptor, "rb") else {
                close(descriptor)
                throw DataError(.unreadable, path: path, reason: "zlib could not open the gzip stream", fix: "check the file")
            }
            gzbuffer(handle, 1 << 20)
            gzip = handle
        } else {
            self.descriptor = descriptor
        }
    }

    /// Reads up to `count` bytes; returns 0 at the end of the input.
    func read(into pointer: UnsafeMutableRawPointer, count: Int, offset: Int) throws(DataError) -> Int {
        if let gzip {
            let got = gzread(gzip, pointer, UInt32(min(count, Int(Int32.max))))
            if got < 0 {
                var code: Int32 = 0
                let message = gzerror(gzip, &code).map { String(cString: $0) } ?? "unknown"
                throw DataError(
                    .corrupt, path: path, byteOffset: offset, reason: "gzip: \(message) (at uncompressed offset \(offset))",
                    fix: "the compressed file is damaged: decompress it with gzip -t to check, or fetch it again")
            }
            if got == 0 {
                // zlib reports a stream cut short as Z_BUF_ERROR ("unexpected end of file") while
                // gzread itself just returns 0: without this check a truncated file would look
                // like a shorter one.
                var code: Int32 = 0
                let message = gzerror(gzip, &code).map { String(cString: $0) } ?? ""
                if code != Z_OK {
                    throw DataError(
                        .truncated, path: path, byteOffset: offset, reason: "gzip: \(message) (after \(offset) uncompressed bytes)",
                        fix: "the compressed file is incomplete: fetch or compress it again")
                }
            }
            return Int(got)
        }
        while true {
            let got = Glibc.read(descriptor, pointer, count)
            if got >= 0 { return got }
            if errno != EINTR {
                throw DataError(
                    .unreadable, path: path, byteOffset: offset, reason: "read failed: \(String(cString: strerror(errno)))",
                    fix: "check the disk and the file's permissions")
            }
        }
    }

    /// Reads up to `count` bytes into `buffer` at `position`; returns 0 at the end of the input.
    func read(into buffer: inout [UInt8], at position: Int, count: Int, offset: Int) throws(DataError) -> Int {
        var failure: DataError?
        let got = buffer.withUnsafeMutableBytes { raw -> Int in
            do throws(DataError) {
                return try read(into: raw.baseAddress! + position, count: count, offset: offset)
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        return got
    }

    deinit {
        if let gzip { gzclose(gzip) } else if descriptor >= 0 { close(descriptor) }
    }
}
