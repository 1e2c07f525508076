import ImageFormats
import SystemIO

/// libFuzzer entry: PNG bytes must decode (8-bit and 16-bit, every channel mode, header only) or
/// throw `DataError`, never trap. The whole input is the file (so a crash artifact is the PNG
/// itself); its size modulo 3 picks the channel mode.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let modes: [ChannelMode] = [.gray, .rgb, .rgba]
    let mode = modes[size % modes.count]
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decoder = PNGDecoder()
    let header = try? decoder.header(bytes, path: "fuzz.png")
    do {
        let image = try decoder.decode(bytes, path: "fuzz.png", channels: mode)
        precondition(image.pixels.count == image.width * image.height * mode.channelCount, "8-bit pixel count")
        precondition(header != nil, "decoded an image whose header was refused")
    } catch {
        _ = error.description
    }
    do {
        let image = try decoder.decodeSixteenBit(bytes, path: "fuzz.png", channels: mode)
        precondition(image.pixels.count == image.width * image.height * mode.channelCount, "16-bit pixel count")
    } catch {
        _ = error.description
    }
    return 0
}
