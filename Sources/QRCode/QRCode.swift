import CQREncode

/// A QR code's modules, encoded by libqrencode (https://fukuchi.org/works/qrencode/manual/).
///
/// ```swift
/// let code = try QRCode(encoding: "https://mobilise.example.com/?campaign=heforshe&channel=qr")
/// code.isDark(x: 0, y: 0)  // true: a finder pattern's corner
/// ```
///
/// The C `QRcode` is copied into Swift storage and freed at once, so a value owns no C memory and is
/// `Sendable`. Encoding a URL takes microseconds: callers may run it on Swift's cooperative pool.
public struct QRCode: Sendable, Equatable {
    /// How much of the code may be damaged (a poster's corner torn off, a smudge) and still be read.
    public enum Correction: Sendable {
        /// About 7% (`QR_ECLEVEL_L`).
        case low
        /// About 15% (`QR_ECLEVEL_M`).
        case medium
        /// About 25% (`QR_ECLEVEL_Q`).
        case quartile
        /// About 30% (`QR_ECLEVEL_H`).
        case high

        var level: QRecLevel {
            switch self {
            case .low: QR_ECLEVEL_L
            case .medium: QR_ECLEVEL_M
            case .quartile: QR_ECLEVEL_Q
            case .high: QR_ECLEVEL_H
            }
        }
    }

    /// Why a text could not be encoded.
    public struct EncodingError: Error, CustomStringConvertible, Equatable {
        public var length: Int
        public var description: String {
            "a text of \(length) bytes cannot be encoded as a QR code (too long for version 40, or not valid for the encoder)"
        }
    }

    /// The QR version (1–40): the code is `17 + 4 × version` modules wide.
    public let version: Int
    /// Modules per side (without the quiet zone).
    public let width: Int
    /// Row by row, `width × width` values: true for a dark module.
    public let modules: [Bool]

    /// Encodes `text` (UTF-8, byte mode, case kept) at the smallest version that holds it.
    public init(encoding text: String, correction: Correction = .medium) throws {
        let length = text.utf8.count
        // `QRcode_encodeString` reads a NUL-terminated string; a NUL inside would cut the text short.
        guard !text.utf8.contains(0) else { throw EncodingError(length: length) }
        guard let code = QRcode_encodeString(text, 0, correction.level, QR_MODE_8, 1) else {
            throw EncodingError(length: length)
        }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        version = Int(code.pointee.version)
        self.width = width
        // Bit 0 of each byte is the module's colour (1: dark); the other bits describe its role.
        modules = (0 ..< width * width).map { code.pointee.data[$0] & 1 == 1 }
    }

    /// Whether the module at column `x`, row `y` is dark (false outside the code: the quiet zone).
    public func isDark(x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < width, y < width else { return false }
        return modules[y * width + x]
    }

    /// The dark modules as one SVG path in module units, each row's runs as rectangles
    /// (`M x y h n v 1 h -n z`), offset by `margin` modules of quiet zone.
    public func svgPath(margin: Int = 4) -> String {
        var path = ""
        for y in 0 ..< width {
            var x = 0
            while x < width {
                guard isDark(x: x, y: y) else { x += 1; continue }
                var run = 1
                while isDark(x: x + run, y: y) { run += 1 }
                path += "M\(x + margin) \(y + margin)h\(run)v1h-\(run)z"
                x += run
            }
        }
        return path
    }
}
