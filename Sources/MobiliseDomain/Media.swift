import Crypto
import Foundation

/// The kinds of file a post can carry, recognised from the file's bytes.
public enum MediaType: String, Sendable, Codable, CaseIterable {
    case jpeg = "image/jpeg"
    case png = "image/png"
    case webp = "image/webp"
    case mp4 = "video/mp4"

    /// The largest file a post can carry: 10 MiB.
    public static let maximumSize = 10 * 1024 * 1024

    /// The type of a complete file of a supported kind, recognised from its bytes alone (magic
    /// numbers and structure); nil when the bytes are anything else, or a supported kind cut short.
    ///
    /// ```swift
    /// MediaType.sniff(Data([0xFF, 0xD8, 0xFF, 0xE0, …, 0xFF, 0xD9]))  // .jpeg
    /// ```
    public static func sniff(_ bytes: Data) -> MediaType? {
        if case .recognised(let type) = MediaSniffer.inspect(bytes) { return type }
        return nil
    }

    /// A media type as an HTTP client names it (`image/JPEG; charset=…`, `image/jpg`), or nil
    /// for types Mobilise does not take.
    init?(claimed: String) {
        let essence = claimed.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
        let normalised = essence.trimmingCharacters(in: .whitespaces).lowercased()
        if normalised == "image/jpg" || normalised == "image/pjpeg" {
            self = .jpeg
        } else if let type = MediaType(rawValue: normalised) {
            self = type
        } else {
            return nil
        }
    }
}

/// What is known about a stored file, without its bytes.
public struct MediaInfo: Sendable, Codable, Equatable, Hashable {
    public var type: MediaType
    /// Size in bytes.
    public var size: Int
    /// SHA-256 of the bytes, 64 lowercase hex digits.
    public var sha256: String

    public init(type: MediaType, size: Int, sha256: String) {
        self.type = type
        self.size = size
        self.sha256 = sha256
    }
}

/// A file and what is known about it: an upload once checked, or a stored file being served.
public struct MediaFile: Sendable, Equatable {
    public var info: MediaInfo
    public var bytes: Data

    public init(info: MediaInfo, bytes: Data) {
        self.info = info
        self.bytes = bytes
    }
}

/// A file as a client sent it, not yet checked.
public struct MediaUpload: Sendable, Equatable {
    public var bytes: Data
    /// The `Content-Type` the client gave, if any. It never decides the type (the bytes do); a
    /// claim that disagrees with the bytes is refused. `application/octet-stream` counts as no claim.
    public var claimedType: String?

    public init(bytes: Data, claimedType: String? = nil) {
        self.bytes = bytes
        self.claimedType = claimedType
    }

    /// Checks the upload and describes it: its size (1 byte to ``MediaType/maximumSize``), its
    /// type recognised from its bytes, and its SHA-256; the file returned has lost its location,
    /// device and authoring metadata (``MediaMetadata``).
    ///
    /// - Throws: ``MobiliseError`` `.tooLarge` (`media_too_large`), `.invalid` (`media_empty`), or
    ///   `.unsupportedMediaType`: `unsupported_media_type` (not a JPEG, PNG, WebP or MP4 file),
    ///   `media_malformed` (a supported kind, but cut short, or with other data glued on), `media_type_mismatch` (the
    ///   claimed type disagrees with the bytes).
    public func validated() throws -> MediaFile {
        guard !bytes.isEmpty else { throw MobiliseError(.invalid, code: .mediaEmpty, "the attached file is empty") }
        guard bytes.count <= MediaType.maximumSize else {
            throw MobiliseError(
                .tooLarge, code: .mediaTooLarge,
                "the attached file is \(bytes.count) bytes; the limit is \(MediaType.maximumSize) bytes (10 MiB)")
        }
        let type: MediaType
        switch MediaSniffer.inspect(bytes) {
        case .recognised(let recognised):
            type = recognised
        case .malformed(let kind, let reason):
            throw MobiliseError(.unsupportedMediaType, code: .mediaMalformed, "the attached file looks like \(kind.rawValue) but \(reason)")
        case .unrecognised:
            throw MobiliseError(
                .unsupportedMediaType, code: .unsupportedMediaType,
                "the attached file is not a JPEG, PNG, WebP image or MP4 video (recognised from its content, not its name or declared type)")
        }
        if let claimedType, !Self.isNoClaim(claimedType) {
            guard let claimed = MediaType(claimed: claimedType), claimed == type else {
                throw MobiliseError(
                    .unsupportedMediaType, code: .mediaTypeMismatch,
                    "the file was declared as '\(claimedType.prefix(100))' but its content is \(type.rawValue)")
            }
        }
        // Colleagues see the file as stored: without the place it was taken or the device (``MediaMetadata``).
        let clean = MediaMetadata.stripped(bytes, type: type)
        guard MediaSniffer.inspect(clean) == .recognised(type) else {
            throw MobiliseError(.unsupportedMediaType, code: .mediaMalformed, "the attached \(type.rawValue) file could not be read through")
        }
        return MediaFile(info: MediaInfo(type: type, size: clean.count, sha256: Self.sha256Hex(clean)), bytes: clean)
    }

    /// SHA-256 of `bytes` as 64 lowercase hex digits.
    public static func sha256Hex(_ bytes: Data) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    private static func isNoClaim(_ claimed: String) -> Bool {
        let essence = claimed.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
        let normalised = essence.trimmingCharacters(in: .whitespaces).lowercased()
        return normalised.isEmpty || normalised == "application/octet-stream"
    }
}

/// Recognises files by their bytes. Beyond the magic number, each kind's structure is checked far
/// enough to refuse a file cut short, or with something else glued on behind it (a polyglot):
///
/// - JPEG: `FF D8`, then segments that follow one another exactly up to the end-of-image marker
///   (`FF D9`): each a marker (`FF` and a code, after any `FF` fill bytes) with, unless it stands
///   alone (`TEM`, `RSTn`), a big-endian length of at least 2 that stays within the file; a frame
///   header (`SOFn`: at least one component, a width, and a length that matches its components)
///   before the first scan; each scan (`SOS`: 1 to 4 components, a length that matches them)
///   followed by its entropy-coded data, in which `FF` is only ever followed by `00`, an `RSTn`
///   or fill; at least one scan before the end. No other marker (`SOI` again, `00`, reserved
///   codes) is accepted. Data after the end-of-image marker is tolerated: phones append trailers
///   and motion-photo videos there.
/// - PNG: the 8-byte signature, an `IHDR` chunk first and an `IEND` chunk last.
/// - WebP: `RIFF`, a size that matches the file exactly, `WEBP`, and a `VP8 `/`VP8L`/`VP8X` chunk.
/// - MP4: an `ftyp` box at offset 4 naming a known brand, then top-level boxes that tile the file
///   exactly, one of them `moov`.
enum MediaSniffer {
    enum Outcome: Equatable {
        case recognised(MediaType)
        case malformed(MediaType, reason: String)
        case unrecognised
    }

    static func inspect(_ data: Data) -> Outcome {
        let bytes = Bytes(data)
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return jpeg(bytes) }
        if bytes.starts(with: pngSignature) { return png(bytes) }
        if bytes.starts(with: Array("RIFF".utf8)) {
            // A RIFF file that is not WebP (WAV, AVI) is simply another kind of file.
            guard bytes.count >= 12 else { return .unrecognised }
            return bytes.matches(Array("WEBP".utf8), at: 8) ? webp(bytes) : .unrecognised
        }
        if bytes.count >= 8, bytes.matches(Array("ftyp".utf8), at: 4) { return mp4(bytes) }
        return .unrecognised
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    private static func jpeg(_ bytes: Bytes) -> Outcome {
        // The byte after FF D8 FF is the first segment's marker (APPn, DQT, SOF, COM…).
        guard bytes.count >= 4, bytes[3] >= 0xC0, bytes[3] != 0xFF else {
            return .malformed(.jpeg, reason: "it ends right after its signature")
        }
        let cutShort = Outcome.malformed(.jpeg, reason: "it has no end-of-image marker: the file was cut short")
        var offset = 2
        var sawFrame = false
        var sawScan = false
        while true {
            guard offset < bytes.count else { return cutShort }
            guard bytes[offset] == 0xFF else {
                return .malformed(.jpeg, reason: "a segment at byte \(offset) does not start with a marker")
            }
            while offset < bytes.count, bytes[offset] == 0xFF { offset += 1 }  // fill bytes
            guard offset < bytes.count else { return cutShort }
            let marker = bytes[offset]
            offset += 1
            switch marker {
            case 0xD9:
                return sawScan ? .recognised(.jpeg) : .malformed(.jpeg, reason: "it ends before any image data (no scan)")
            case 0x01, 0xD0...0xD7:
                continue  // TEM and RSTn stand alone
            case 0xC0...0xFE where marker != 0xD8:
                break
            default:
                return .malformed(.jpeg, reason: "it holds a marker that has no place there (FF \(hex(marker)))")
            }
            guard bytes.count - offset >= 2 else { return cutShort }
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            guard length >= 2 else { return .malformed(.jpeg, reason: "its FF \(hex(marker)) segment has an impossible length") }
            guard length <= bytes.count - offset else { return cutShort }
            if jpegFrameMarkers.contains(marker) {
                // P, Y (2), X (2), Nf, then 3 bytes per component.
                guard length >= 8, bytes[offset + 7] >= 1, length == 8 + 3 * Int(bytes[offset + 7]),
                      Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) > 0
                else { return .malformed(.jpeg, reason: "its frame header is malformed") }
                sawFrame = true
            }
            if marker == 0xDA {
                // Ns, 2 bytes per component, Ss, Se, Ah/Al.
                guard sawFrame else { return .malformed(.jpeg, reason: "it has image data before its frame header") }
                guard length >= 3, (1...4).contains(Int(bytes[offset + 2])), length == 6 + 2 * Int(bytes[offset + 2]) else {
                    return .malformed(.jpeg, reason: "its scan header is malformed")
                }
                sawScan = true
                offset += length
                // Entropy-coded data: up to the next FF that is neither stuffing (FF 00), a restart
                // marker (FF D0–D7) nor fill (FF FF).
                while true {
                    guard let ff = bytes.firstIndex(of: 0xFF, from: offset), ff + 1 < bytes.count else { return cutShort }
                    let next = bytes[ff + 1]
                    if next == 0x00 || (0xD0...0xD7).contains(next) {
                        offset = ff + 2
                    } else if next == 0xFF {
                        offset = ff + 1
                    } else {
                        offset = ff
                        break
                    }
                }
            } else {
                offset += length
            }
        }
    }

    /// Start-of-frame markers: SOF0–SOF3, SOF5–SOF7, SOF9–SOF11, SOF13–SOF15 (not DHT, JPG or DAC).
    static let jpegFrameMarkers: Set<UInt8> = [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF]

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }

    private static func png(_ bytes: Bytes) -> Outcome {
        // Signature, IHDR (4 length + 4 type + 13 data + 4 CRC), IEND (12 bytes).
        guard bytes.count >= 8 + 25 + 12 else { return .malformed(.png, reason: "it is too short to hold an image") }
        guard bytes.matches([0, 0, 0, 13] + Array("IHDR".utf8), at: 8) else {
            return .malformed(.png, reason: "its first chunk is not IHDR")
        }
        let iend: [UInt8] = [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
        guard bytes.matches(iend, at: bytes.count - 12) else {
            return .malformed(.png, reason: "it does not end with an IEND chunk: it was cut short or has data glued after it")
        }
        return .recognised(.png)
    }

    private static func webp(_ bytes: Bytes) -> Outcome {
        guard bytes.count >= 20 else { return .malformed(.webp, reason: "it is too short to hold an image") }
        let riffSize = bytes.uint32LittleEndian(at: 4)
        guard Int(riffSize) + 8 == bytes.count else {
            return .malformed(.webp, reason: "its RIFF size (\(riffSize) + 8 bytes) does not match the file's \(bytes.count) bytes")
        }
        let chunk = bytes.slice(12, 4)
        guard chunk == Array("VP8 ".utf8) || chunk == Array("VP8L".utf8) || chunk == Array("VP8X".utf8) else {
            return .malformed(.webp, reason: "its first chunk is not VP8, VP8L or VP8X")
        }
        return .recognised(.webp)
    }

    /// ISO base media brands that mean MP4 (QuickTime's `qt  ` and 3GPP's are other types).
    static let mp4Brands: Set<String> = [
        "isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso7", "iso8", "iso9",
        "mp41", "mp42", "avc1", "M4V ", "M4A ", "dash", "mmp4", "MSNV", "f4v ",
    ]

    private static func mp4(_ bytes: Bytes) -> Outcome {
        guard bytes.count >= 16 else { return .malformed(.mp4, reason: "it is too short to hold a video") }
        // size, "ftyp", major brand, minor version, then compatible brands of 4 bytes each.
        let ftypSize = Int(bytes.uint32BigEndian(at: 0))
        var brands = [bytes.slice(8, 4)]
        var offset = 16
        while offset + 4 <= min(ftypSize, bytes.count) {
            brands.append(bytes.slice(offset, 4))
            offset += 4
        }
        guard brands.contains(where: { mp4Brands.contains(String(decoding: $0, as: UTF8.self)) }) else {
            return .unrecognised
        }
        guard ftypSize >= 16, (ftypSize - 16) % 4 == 0 else { return .malformed(.mp4, reason: "its ftyp box has an impossible size") }
        guard ftypSize <= bytes.count else { return .malformed(.mp4, reason: "its ftyp box is cut short") }
        // Walk the top-level boxes: they must tile the file exactly, and one must be `moov`.
        offset = ftypSize
        var sawMovie = false
        while offset < bytes.count {
            guard bytes.count - offset >= 8 else { return .malformed(.mp4, reason: "it ends inside a box header") }
            var size = UInt64(bytes.uint32BigEndian(at: offset))
            let type = bytes.slice(offset + 4, 4)
            if size == 1 {
                guard bytes.count - offset >= 16 else { return .malformed(.mp4, reason: "it ends inside a box header") }
                size = UInt64(bytes.uint32BigEndian(at: offset + 8)) << 32 | UInt64(bytes.uint32BigEndian(at: offset + 12))
                guard size >= 16 else { return .malformed(.mp4, reason: "a box has an impossible size") }
            } else if size == 0 {
                size = UInt64(bytes.count - offset)  // the last box runs to the end of the file
            } else if size < 8 {
                return .malformed(.mp4, reason: "a box has an impossible size")
            }
            guard size <= UInt64(bytes.count - offset) else {
                return .malformed(.mp4, reason: "its '\(String(decoding: type, as: UTF8.self))' box is cut short")
            }
            if type == Array("moov".utf8) { sawMovie = true }
            offset += Int(size)
        }
        guard sawMovie else { return .malformed(.mp4, reason: "it has no movie header (moov box)") }
        return .recognised(.mp4)
    }
}

/// Offsets into `Data` from zero, whatever the `Data`'s own start index (a slice's isn't 0).
private struct Bytes {
    let data: Data
    init(_ data: Data) { self.data = data }

    var count: Int { data.count }
    subscript(offset: Int) -> UInt8 { data[data.startIndex + offset] }

    func starts(with prefix: [UInt8]) -> Bool { matches(prefix, at: 0) }

    func matches(_ pattern: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, count - offset >= pattern.count else { return false }
        for (index, byte) in pattern.enumerated() where self[offset + index] != byte { return false }
        return true
    }

    func slice(_ offset: Int, _ length: Int) -> [UInt8] {
        guard offset >= 0, count - offset >= length else { return [] }
        return [UInt8](data[(data.startIndex + offset)..<(data.startIndex + offset + length)])
    }

    func uint32BigEndian(at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 8 | UInt32(self[offset + $1]) }
    }

    func uint32LittleEndian(at offset: Int) -> UInt32 {
        (0..<4).reversed().reduce(0) { $0 << 8 | UInt32(self[offset + $1]) }
    }

    /// The offset of the first `byte` at or after `offset`, or nil.
    func firstIndex(of byte: UInt8, from offset: Int) -> Int? {
        guard offset < count else { return nil }
        return data.withUnsafeBytes { raw in
            raw[offset...].firstIndex(of: byte)
        }
    }
}
