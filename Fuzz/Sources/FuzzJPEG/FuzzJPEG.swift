import ImageFormats
import SystemIO

/// libFuzzer entry: JPEG bytes must decode (every channel mode, orientation ignored or applied,
/// header only, and through the folder's decoder that picks the format by signature) or throw
/// `DataError`, never trap. The whole input is the file (so a crash artifact is the JPEG itself);
/// its size modulo 6 picks the channel mode and the orientation. The pixel limit is 2^22 (a
/// 2048 x 2048 image), so libjpeg's whole-image buffers stay far below the 1 GiB allocation limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let modes: [ChannelMode] = [.gray, .rgb, .rgba]
    let mode = modes[size % modes.count]
    let orientation: ExifOrientation = size % 6 < 3 ? .ignore : .apply
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decoder = JPEGDecoder(maximumPixels: 1 << 22, orientation: orientation)
    let header = try? decoder.header(bytes, path: "fuzz.jpg")
    do {
        let image = try decoder.decode(bytes, path: "fuzz.jpg", channels: mode)
        precondition(image.pixels.count == image.width * image.height * mode.channelCount, "pixel count")
        guard let header else { preconditionFailure("decoded an image whose header was refused") }
        let size = header.decodedSize(orientation)
        precondition(size.width == image.width && size.height == image.height, "header size differs from the decoded size")
    } catch {
        _ = error.description
    }
    do {
        let scratch = DecodeScratch()
        try bytes.withUnsafeBufferPointer { buffer in
            try ImageDecoder(maximumPixels: 1 << 22, orientation: orientation).withDecoded(buffer, path: "fuzz.jpg", channels: mode, scratch: scratch)
            {
                header, pixels in
                precondition(pixels.count == header.width * header.height * mode.channelCount, "folder decoder's pixel count")
            }
        }
    } catch let error as DataError {
        _ = error.description
    } catch {
        preconditionFailure("an error other than DataError: \(error)")
    }
    return 0
}
