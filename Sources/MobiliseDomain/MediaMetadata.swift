import Foundation

/// Removes what a photo or video says about where it was taken and with what, before colleagues
/// see it: phones write the place (EXIF GPS, QuickTime `©xyz` and location keys), the device, its
/// owner's name and the software into every file. What a viewer needs to show the picture the right
/// way up stays: the EXIF orientation is kept (rewritten alone), and so are colour profiles.
///
/// - JPEG: every APP1 (EXIF, XMP), APP3–APP13 and APP15 (IPTC, Photoshop…) and comment segment goes;
///   APP0 (JFIF), APP2 ICC profiles and APP14 (Adobe colour transform, needed to decode CMYK) stay.
/// - PNG: `tEXt`, `zTXt`, `iTXt` and `tIME` chunks go, and `eXIf` keeps the orientation alone.
/// - WebP: `EXIF` and `XMP ` chunks go, and the VP8X header stops announcing them.
/// - MP4: `udta`, `meta` and `uuid` boxes (in `moov`, its tracks, or at the top) keep their size but
///   become `free` boxes of zeros, so no sample offset moves.
///
/// Hand-written: no kept Swift library rewrites these containers, and each walk is the same
/// segment/chunk/box structure ``MediaType/sniff(_:)`` already checks. A file whose structure cannot
/// be walked is returned unchanged (the sniffer refuses such files before this runs).
public enum MediaMetadata {
    /// `bytes` without location, device and authoring metadata.
    public static func stripped(_ bytes: Data, type: MediaType) -> Data {
        let input = [UInt8](bytes)
        let output: [UInt8]?
        switch type {
        case .jpeg: output = jpeg(input)
        case .png: output = png(input)
        case .webp: output = webp(input)
        case .mp4: output = mp4(input)
        }
        return output.map { Data($0) } ?? bytes
    }

    // MARK: - JPEG

    private static func jpeg(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        var kept: [UInt8] = [0xFF, 0xD8]
        var orientation: UInt16?
        var exifInsertion = 2  // after SOI, or after APP0 when there is one
        var offset = 2
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xFF else { return nil }
            let marker = bytes[offset + 1]
            if marker == 0xFF { offset += 1; continue }  // fill byte
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { return nil }  // not expected before SOS
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard length >= 2, offset + 2 + length <= bytes.count else { return nil }
            let segment = bytes[offset..<(offset + 2 + length)]
            let payload = bytes[(offset + 4)..<(offset + 2 + length)]
            if marker == 0xDA {
                // Start of scan: the picture is the scans up to the end-of-image marker. Whatever a camera or an
                // editor appended after it (a phone maker's trailer with the place and the device, say) is dropped.
                kept.append(contentsOf: bytes[offset..<endOfImage(bytes, scanAt: offset)])
                break
            }
            switch marker {
            case 0xE1:  // EXIF or XMP
                if payload.starts(with: Array("Exif\0\0".utf8)), let value = exifOrientation(Array(payload.dropFirst(6))) {
                    orientation = value
                }
            case 0xE3...0xED, 0xEF, 0xFE:  // APP3–APP13, APP15, comments
                break
            case 0xE2 where !payload.starts(with: Array("ICC_PROFILE\0".utf8)):  // FlashPix and others, not a colour profile
                break
            case 0xE0:
                kept.append(contentsOf: segment)
                if payload.starts(with: Array("JFIF\0".utf8)) { exifInsertion = kept.count }
            default:
                kept.append(contentsOf: segment)
            }
            offset += 2 + length
        }
        if let orientation {
            let exif = Array("Exif\0\0".utf8) + tiffWithOrientation(orientation)
            let length = exif.count + 2
            kept.insert(contentsOf: [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + exif, at: exifInsertion)
        }
        return kept
    }

    /// The index just past the JPEG's end-of-image marker (FFD9), walking from its first start-of-scan:
    /// each scan's entropy-coded data (where FF is followed by 00, a restart marker or fill), the segments
    /// between scans (a progressive JPEG's tables), up to EOI; the whole file when it has none (truncated).
    private static func endOfImage(_ bytes: [UInt8], scanAt start: Int) -> Int {
        var offset = start
        while offset + 1 < bytes.count, bytes[offset] == 0xFF {
            let marker = bytes[offset + 1]
            if marker == 0xD9 { return offset + 2 }
            if marker == 0xFF { offset += 1; continue }
            guard offset + 3 < bytes.count else { break }
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard length >= 2 else { break }
            offset += 2 + length
            guard marker == 0xDA else { continue }
            // Entropy-coded data runs to the next marker that is not a stuffed byte or a restart.
            while offset + 1 < bytes.count {
                if bytes[offset] == 0xFF, bytes[offset + 1] != 0x00, !(0xD0...0xD7).contains(bytes[offset + 1]), bytes[offset + 1] != 0xFF { break }
                offset += 1
            }
        }
        return bytes.count
    }

    // MARK: - PNG

    private static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    private static let pngMetadataChunks: Set<String> = ["eXIf", "tEXt", "zTXt", "iTXt", "tIME"]

    private static func png(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.starts(with: pngSignature) else { return nil }
        var kept = pngSignature
        var offset = 8
        while offset + 12 <= bytes.count {
            let length = Int(uint32BigEndian(bytes, offset))
            guard length <= bytes.count - offset - 12 else { return nil }
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let end = offset + 12 + length
            if type == "eXIf", let orientation = exifOrientation(Array(bytes[(offset + 8)..<(offset + 8 + length)])) {
                // The orientation alone, in a chunk of its own (PNG allows one eXIf, before the image data).
                let chunk = Array("eXIf".utf8) + tiffWithOrientation(orientation)
                kept += bigEndian32(chunk.count - 4) + chunk + bigEndian32(Int(crc32(chunk)))
            } else if !pngMetadataChunks.contains(type) {
                kept.append(contentsOf: bytes[offset..<end])
            }
            offset = end
            if type == "IEND" { break }
        }
        return kept
    }

    /// CRC-32 (ISO 3309, as PNG chunks use it) of `bytes`.
    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    // MARK: - WebP

    private static func webp(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) else { return nil }
        var chunks: [[UInt8]] = []
        var orientation: UInt16?
        var offset = 12
        while offset + 8 <= bytes.count {
            let fourCC = String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self)
            let size = Int(uint32LittleEndian(bytes, offset + 4))
            let padded = size + size % 2
            guard size <= bytes.count - offset - 8 else { return nil }
            let end = min(offset + 8 + padded, bytes.count)
            switch fourCC {
            case "EXIF":
                var exif = Array(bytes[(offset + 8)..<(offset + 8 + size)])
                if exif.starts(with: Array("Exif\0\0".utf8)) { exif.removeFirst(6) }
                orientation = exifOrientation(exif) ?? orientation
            case "XMP ":
                break
            default:
                chunks.append(Array(bytes[offset..<end]))
            }
            offset = end
        }
        if let orientation, let header = chunks.firstIndex(where: { $0.starts(with: Array("VP8X".utf8)) }) {
            let exif = tiffWithOrientation(orientation)
            chunks.append(Array("EXIF".utf8) + littleEndian32(exif.count) + exif + (exif.count % 2 == 1 ? [0] : []))
            chunks[header][8] |= 0x08
        }
        for index in chunks.indices where chunks[index].starts(with: Array("VP8X".utf8)) && chunks[index].count > 8 {
            if orientation == nil { chunks[index][8] &= ~0x08 }  // no EXIF chunk any more
            chunks[index][8] &= ~0x04  // no XMP chunk any more
        }
        let body = chunks.flatMap { $0 }
        return Array("RIFF".utf8) + littleEndian32(body.count + 4) + Array("WEBP".utf8) + body
    }

    // MARK: - MP4

    /// Boxes whose children are walked: where `udta` and `meta` live.
    private static let mp4Containers: Set<String> = ["moov", "trak", "mdia", "minf", "edts"]
    private static let mp4Metadata: Set<String> = ["udta", "meta", "uuid"]

    private static func mp4(_ bytes: [UInt8]) -> [UInt8]? {
        var output = bytes
        guard blankMetadataBoxes(&output, from: 0, to: output.count) else { return nil }
        return output
    }

    /// Turns the metadata boxes between `start` and `end` into `free` boxes of zeros; false when the
    /// boxes do not tile the range.
    private static func blankMetadataBoxes(_ bytes: inout [UInt8], from start: Int, to end: Int) -> Bool {
        var offset = start
        while offset + 8 <= end {
            var size = Int(uint32BigEndian(bytes, offset))
            var header = 8
            if size == 1 {
                guard offset + 16 <= end else { return false }
                let large = (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[offset + 8 + $1]) }
                guard large <= UInt64(end - offset) else { return false }
                size = Int(large)
                header = 16
            } else if size == 0 {
                size = end - offset
            }
            guard size >= header, size <= end - offset else { return false }
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            if mp4Metadata.contains(type) {
                bytes.replaceSubrange((offset + 4)..<(offset + 8), with: Array("free".utf8))
                for index in (offset + header)..<(offset + size) { bytes[index] = 0 }
            } else if mp4Containers.contains(type) {
                guard blankMetadataBoxes(&bytes, from: offset + header, to: offset + size) else { return false }
            }
            offset += size
        }
        return offset == end
    }

    // MARK: - EXIF

    /// The Orientation (tag 0x0112) of IFD0 of a TIFF structure (EXIF without its `Exif\0\0` prefix).
    static func exifOrientation(_ tiff: [UInt8]) -> UInt16? {
        guard tiff.count >= 8 else { return nil }
        let bigEndian: Bool
        switch (tiff[0], tiff[1]) {
        case (0x4D, 0x4D): bigEndian = true
        case (0x49, 0x49): bigEndian = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            return bigEndian ? Int(tiff[at]) << 8 | Int(tiff[at + 1]) : Int(tiff[at + 1]) << 8 | Int(tiff[at])
        }
        func u32(_ at: Int) -> Int? {
            guard let high = u16(bigEndian ? at : at + 2), let low = u16(bigEndian ? at + 2 : at) else { return nil }
            return high << 16 | low
        }
        guard let ifd = u32(4), let count = u16(ifd) else { return nil }
        for entry in 0..<min(count, 512) {
            let at = ifd + 2 + entry * 12
            guard let tag = u16(at) else { return nil }
            if tag == 0x0112, u16(at + 2) == 3, let value = u16(at + 8), (1...8).contains(value) { return UInt16(value) }
        }
        return nil
    }

    /// A big-endian TIFF structure holding one IFD with the Orientation alone.
    static func tiffWithOrientation(_ orientation: UInt16) -> [UInt8] {
        [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,  // "MM", 42, IFD0 at 8
         0x00, 0x01,  // one entry
         0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, UInt8(orientation >> 8), UInt8(orientation & 0xFF), 0x00, 0x00,
         0x00, 0x00, 0x00, 0x00]  // no next IFD
    }

    private static func uint32BigEndian(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[at + $1]) }
    }

    private static func uint32LittleEndian(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[at + $1]) }
    }

    private static func bigEndian32(_ value: Int) -> [UInt8] {
        (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    private static func littleEndian32(_ value: Int) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}
